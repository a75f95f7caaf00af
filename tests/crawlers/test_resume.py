"""Scoring in the pipeline, kill -9 and SIGTERM half-way, resuming, and a shared Redis frontier."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawlers.run import crawl
from crawlers.sample_sites.server import (
    THROTTLED_ONCE,
    SampleSites,
    board_content,
    serve_sample_sites,
    social_content,
)
from index.sqlite import SQLiteStore
from lurewatch.config import PACKAGE_ROOT
from tests.crawlers.conftest import (
    READABLE_HOSTILE,
    SOURCES_FILE,
    make_settings,
    sources_for,
)

# --- scoring in the pipeline, kill -9 and resume ---------------------------------------

@pytest.mark.slow
def test_full_pipeline_scores_in_batches(site: SampleSites, tmp_path: Path) -> None:
    """The default pipeline (normalise -> score -> store) with the project's scorer."""
    store = SQLiteStore(tmp_path / "store.db")
    stats = crawl(sources_for(site, "tg-kerja-luar-negara"), make_settings(tmp_path),
                  store=store)
    ads = list(store.scan())
    assert len(ads) == stats.totals.stored == len(social_content()["telegram"]["posts"])
    assert all(ad.model_version and ad.risk_label is not None for ad in ads)
    assert any(ad.flagged for ad in ads)
    batches = stats.totals.scoring_seconds  # one timing per scored batch, for the monitor
    assert 1 <= len(batches) <= len(ads) and all(seconds > 0 for seconds in batches)


CRAWL_SCRIPT = """
import json, sys
from pathlib import Path
from crawlers.run import crawl
from crawlers.settings import UNSCORED
from index.sqlite import SQLiteStore
from lurewatch.config import Settings, load_sources
root, base, sources_file, crawl_settings = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
settings = Settings(data_dir=root, crawl={"jobdir": root / "jobs", **json.loads(crawl_settings)})
sources = [s for s in load_sources(Path(sources_file), base_url=base) if s.name == "kerjahub"]
stats = crawl(sources, settings, store=SQLiteStore(root / "store.db"),
              overrides={**UNSCORED, "STORE_BATCH_SIZE": 2})
print("STATS", json.dumps({**stats.to_dict()["sources"]["kerjahub"],
                           "interrupted": stats.interrupted}), flush=True)
"""
SLOW_POLITE = {"download_delay": 0.15, "concurrent_requests_per_domain": 1,
               "autothrottle": False}


def _run_crawl_process(root: Path, site: str, crawl_settings: dict[str, object]
                       ) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(PACKAGE_ROOT)}
    return subprocess.Popen([sys.executable, "-c", CRAWL_SCRIPT, str(root), site,
                             str(SOURCES_FILE), json.dumps(crawl_settings)],
                            stdout=subprocess.PIPE, text=True, env=env, start_new_session=True)


def _start_slow_crawl(root: Path, site: str, store: SQLiteStore) -> subprocess.Popen[str]:
    """A slow crawl process, returned once it has stored a few records (or stopped)."""
    process = _run_crawl_process(root, site, SLOW_POLITE)
    deadline = time.monotonic() + 90
    while store.count() < 4 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    return process


def _wait_for_log_lines(log: Path, text: str, count: int,
                        processes: list[subprocess.Popen[str]]) -> None:
    """Wait until ``log`` holds ``text`` ``count`` times (the crawl processes share it)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and all(p.poll() is None for p in processes):
        if log.exists() and log.read_text(errors="replace").count(text) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"{log} never held {text!r} {count} times")


def _stats_of(process: subprocess.Popen[str]) -> dict[str, object]:
    out, _ = process.communicate(timeout=180)
    assert process.returncode == 0
    return json.loads(out.split("STATS", 1)[1])


def board_record_count() -> int:
    board = board_content()
    return len(board["postings"]) + len(board["multi"]["postings"]) + len(READABLE_HOSTILE)


@pytest.mark.slow
def test_kill_9_half_way_then_resume_loses_nothing_stores_nothing_twice(
        site: SampleSites, tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.db")
    expected = board_record_count()
    first = _run_crawl_process(tmp_path, site, SLOW_POLITE)
    deadline = time.monotonic() + 90
    while store.count() < 6 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.1)
    os.killpg(first.pid, signal.SIGKILL)  # the crawl parent and its Scrapy child
    first.wait()
    stored_before = store.count()
    assert 0 < stored_before < expected, "the kill must land half-way"

    stored_again = _stats_of(_run_crawl_process(tmp_path, site, SLOW_POLITE))["stored"]
    assert store.count() == expected  # nothing lost
    assert stored_before + stored_again == expected  # nothing stored twice
    assert len({ad.id for ad in store.scan()}) == expected


@pytest.mark.slow
def test_sigterm_stops_gracefully_and_the_next_run_resumes(site: SampleSites,
                                                          tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.db")
    first = _start_slow_crawl(tmp_path, site, store)
    first.send_signal(signal.SIGTERM)  # the crawl parent passes it to its Scrapy child
    stopped = _stats_of(first)
    assert stopped["interrupted"] and stopped["finish_reason"] == "shutdown"
    assert store.count() < board_record_count()
    assert list((tmp_path / "jobs" / "kerjahub").glob("requests.queue/*")), "queue kept"

    resumed = _stats_of(_run_crawl_process(tmp_path, site, SLOW_POLITE))
    assert resumed["finish_reason"] == "finished"
    assert store.count() == board_record_count()
    assert int(stopped["stored"]) + int(resumed["stored"]) == board_record_count()


@pytest.mark.slow
def test_crawl_child_stops_gracefully_when_its_parent_dies(site: SampleSites,
                                                           tmp_path: Path) -> None:
    import psutil

    store = SQLiteStore(tmp_path / "store.db")
    parent = _start_slow_crawl(tmp_path, site, store)
    children = psutil.Process(parent.pid).children()
    assert children, "the Scrapy child must be running"
    parent.kill()  # SIGKILL to the parent only
    parent.wait()
    gone, alive = psutil.wait_procs(children, timeout=30)
    assert not alive
    assert "the crawl parent is gone" in (tmp_path / "logs" / "crawl.log").read_text()
    jobdir = tmp_path / "jobs" / "kerjahub"
    assert not (jobdir / "lurewatch-running").exists()  # closed, not killed: resumable


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A private redis-server (Debian's package) on a free loopback port."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install -y redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                              stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.redis
@pytest.mark.slow
def test_two_processes_share_one_frontier_and_fetch_every_page_once(
        redis_url: str, tmp_path: Path) -> None:
    with serve_sample_sites() as site:
        # Pages wait until both crawlers are up, so neither can drain the shared queue
        # while the other is still starting (a loaded CI machine starts them seconds
        # apart); the delay keeps the crawl longer than an idle peer's 5 s heartbeat.
        site.hold_pages()
        polite = {**SLOW_POLITE, "download_delay": 0.3, "redis_url": redis_url}
        first = _run_crawl_process(tmp_path, site, polite)
        second = _run_crawl_process(tmp_path, site, polite)
        _wait_for_log_lines(tmp_path / "logs" / "crawl.log", "Spider opened", 2, [first, second])
        site.release_pages()
        stats = [_stats_of(first), _stats_of(second)]
        hits = dict(site.hits)
    pages = {path: n for path, n in hits.items() if path != "/robots.txt"}
    retried = {THROTTLED_ONCE: 2}  # answered 429 once, then fetched: one page, two requests
    assert {path: n for path, n in pages.items() if n != retried.get(path, 1)} == {}
    refused = sum(s["rejected"].get("too_large", 0) for s in stats)  # type: ignore[attr-defined]
    assert sum(int(s["pages_fetched"]) for s in stats) + refused == len(pages)
    assert all(int(s["pages_fetched"]) > 0 for s in stats), "both processes must fetch"
    assert SQLiteStore(tmp_path / "store.db").count() == board_record_count()
