"""The monitor on real crawls of the loopback sample sites: schedules, a layout change
turning a source unhealthy, alerts to real local SMTP and webhook receivers, SIGTERM in
the middle of a crawl, ``lurewatch status``, ``/metrics``."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from crawlers.run import crawl
from crawlers.sample_sites.server import SampleSites, serve_sample_sites
from index.query import SearchFilters
from index.sqlite import SQLiteStore
from lurewatch.config import Settings, load_settings, load_sources
from monitor.scheduler import Monitor
from tests.conftest import REPO_ROOT
from tests.monitor.conftest import HttpReceiver, Mailbox, free_port

pytestmark = pytest.mark.slow

FLAGGED = ["deceptive_recruitment", "smuggling_offer"]
FLAGGED_RULE = {"name": "flagged", "kind": "high_score", "score_min": 0.5, "labels": FLAGGED}


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def write_config(folder: Path, **sections: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = {"data_dir": str(folder / "data"),
              "store": {"path": str(folder / "data" / "store.db")},
              "crawl": {"jobdir": str(folder / "data" / "jobs"), "download_delay": 0},
              "review": {"base_url": "https://review.example.org"}}
    for name, values in sections.items():
        config[name] = {**config.get(name, {}), **values}
    path = folder / "lurewatch.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
def sites() -> Iterator[SampleSites]:
    with serve_sample_sites() as site:
        yield site


def test_layout_change_turns_a_source_unhealthy_and_flagged_records_alert_once(
        tmp_path: Path, sites: SampleSites, smtp_server: Mailbox, http_receiver: HttpReceiver,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(
        tmp_path,
        monitor={"interval_override_seconds": 2, "alert_check_seconds": 1,
                 "metrics_port": None},
        alerts={"rules": [{**FLAGGED_RULE, "channels": ["email", "webhook"]},
                          {"name": "source-broken", "kind": "source_unhealthy",
                           "unhealthy_runs": 2, "channels": ["webhook"]}],
                "email": {"host": smtp_server.host, "port": smtp_server.port,
                          "starttls": False, "sender": "lurewatch@example.org",
                          "recipients": ["analysts@example.org"]},
                "webhook": {"url": f"{http_receiver.base_url}/hook"}})
    monkeypatch.setenv("LUREWATCH_CONFIG", str(config))
    settings = load_settings()
    sources = [s for s in load_sources(settings.sources_file, base_url=sites)
               if s.name == "iklan-jawatan"]
    store = SQLiteStore(settings.store.path)
    monitor = Monitor(settings, sources, store)

    def finished_runs() -> list[Any]:
        return [r for r in store.recent_runs("iklan-jawatan", 20) if r.outcome != "running"]

    monitor.start()
    try:
        [first] = wait_until(finished_runs, 240, "the first crawl")
        assert (first.outcome, first.health) == ("ok", "healthy"), first
        assert first.counts["scoring_seconds"], "the crawl process timed no scoring batch"
        flagged = store.count(SearchFilters(labels=tuple(FLAGGED), score_min=0.5))
        assert first.counts["stored"] >= flagged >= 1
        wait_until(lambda: len(smtp_server.messages) >= flagged, 30, "the e-mail alerts")
        sites.set_layout("changed")

        def two_unhealthy() -> list[Any]:
            runs = finished_runs()  # a crawl that began before the switch may still be healthy
            return runs if all(run.health == "unhealthy" for run in runs[:2]) else []

        runs = wait_until(two_unhealthy, 400, "two crawls of the changed layout")
    finally:
        monitor.stop()

    latest, second = runs[0], runs[1]
    for run in (latest, second):
        assert (run.outcome, run.health) == ("ok", "unhealthy"), run
        assert any("no records found" in problem for problem in run.problems), run.problems
    source_alerts = [a for a in store.alerts() if a.rule == "source-broken"]
    assert len(source_alerts) == 1
    assert source_alerts[0].link == "https://review.example.org/sources/iklan-jawatan"
    hooks = http_receiver.bodies("/hook")
    assert sum(1 for body in hooks if body["rule"] == "source-broken") == 1

    # Every flagged record alerted exactly once per channel, however many checks ran.
    record_alerts = [a for a in store.alerts() if a.rule == "flagged"]
    assert len(record_alerts) == flagged
    assert len(smtp_server.messages) == flagged
    assert sorted(b["subject_id"] for b in hooks if b["rule"] == "flagged") == sorted(
        a.subject_id for a in record_alerts)
    for alert in record_alerts:
        record = store.get(alert.subject_id)
        assert record is not None and record.text[:40] not in json.dumps(hooks)

    from typer.testing import CliRunner

    from lurewatch.cli import load_commands  # the whole command line: heavy, so only here
    app = load_commands()

    result = CliRunner().invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    [row] = [r for r in json.loads(result.stdout)["sources"] if r["source"] == "iklan-jawatan"]
    # The latest run in the store, whichever it is: a crawl that began just before stop()
    # was cut short by it (interrupted, health unknown); else the second unhealthy one.
    last = store.last_runs()["iklan-jawatan"]
    assert last.id == latest.id or last.outcome == "interrupted", last
    assert row["last_run"]["started_at"] == last.started_at.isoformat()
    assert (row["health"], row["last_run"]["outcome"]) == (last.health, last.outcome)


def start_monitor(config: Path, site: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LUREWATCH_CONFIG": str(config),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT),
                                                       os.environ.get("PYTHONPATH")]))}
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "lurewatch", "monitor",
             "--source", "kerjahub", "--base-url", site],
            cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def test_sigterm_mid_crawl_then_restart_loses_nothing_and_stores_nothing_twice(
        tmp_path: Path, sites: SampleSites, http_receiver: HttpReceiver) -> None:
    metrics_port = free_port()
    config = write_config(
        tmp_path / "monitored",
        # Slow enough to be caught in the middle; one crawl per start.
        crawl={"download_delay": 0.4},
        monitor={"interval_override_seconds": 3600, "alert_check_seconds": 1,
                 "metrics_port": metrics_port},
        alerts={"rules": [FLAGGED_RULE], "webhook": {"url": f"{http_receiver.base_url}/hook"}})
    settings = Settings(**yaml.safe_load(config.read_text()))
    store = SQLiteStore(settings.store.path)
    log = tmp_path / "monitor.log"

    monitor = start_monitor(config, sites, log)
    try:
        # The monitor, like every `lurewatch` command, imports the whole CLI first.
        wait_until(lambda: store.count() > 0, 480, "the first stored records")
        assert [r.outcome for r in store.recent_runs("kerjahub", 5)] == ["running"]
        monitor.send_signal(signal.SIGTERM)
        assert monitor.wait(timeout=120) == 0, log.read_text()[-3000:]
    finally:
        if monitor.poll() is None:
            monitor.kill()
    [stopped] = store.recent_runs("kerjahub", 5)
    assert stopped.outcome == "interrupted", (stopped, log.read_text()[-3000:])
    stored_before_restart = store.count()

    monitor = start_monitor(config, sites, log)
    try:
        wait_until(lambda: store.recent_runs("kerjahub", 1)[0].outcome == "ok", 480,
                   "the catch-up crawl after the restart")
        wait_until(lambda: len(http_receiver.posts) >= store.count(
            SearchFilters(labels=tuple(FLAGGED), score_min=0.5)), 30, "the alerts")
        exposition = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
        monitor.send_signal(signal.SIGTERM)
        assert monitor.wait(timeout=120) == 0
    finally:
        if monitor.poll() is None:
            monitor.kill()
    assert 'lurewatch_crawls_total{outcome="ok",source="kerjahub"} 1.0' in exposition
    # The crawl process timed its scoring batches; the monitor observed them.
    [scored_batches] = re.findall(r"^lurewatch_scoring_latency_seconds_count (\S+)$",
                                  exposition, re.MULTILINE)
    assert float(scored_batches) > 0
    assert "lurewatch_records{" in exposition
    assert 'lurewatch_store_info{store="SQLite ' in exposition
    resumed = store.recent_runs("kerjahub", 1)[0]
    assert resumed.counts["stored"] + stored_before_restart >= store.count()

    # Nothing twice: no posting page was fetched again after the restart.
    posting_hits = {path: n for path, n in sites.hits.items() if path.startswith("/board/job/")}
    assert posting_hits and max(posting_hits.values()) == 1, posting_hits

    # Nothing lost: the same records as one uninterrupted crawl of the same site.
    reference = Settings(data_dir=tmp_path / "reference", crawl={
        "jobdir": tmp_path / "reference" / "jobs", "download_delay": 0})
    reference_store = SQLiteStore(tmp_path / "reference" / "store.db")
    kerjahub = [s for s in load_sources(reference.sources_file, base_url=sites)
                if s.name == "kerjahub"]
    crawl(kerjahub, reference, store=reference_store)
    assert {ad.id for ad in store.scan()} == {ad.id for ad in reference_store.scan()}

    # And every flagged record alerted exactly once across both monitor runs.
    alerted = [body["subject_id"] for body in http_receiver.bodies("/hook")]
    assert len(alerted) == len(set(alerted)) == store.count(
        SearchFilters(labels=tuple(FLAGGED), score_min=0.5))


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    import shutil

    import redis

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                              stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.exceptions.ConnectionError:
                return False

        wait_until(answers, 20, "redis-server")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.redis
def test_two_monitors_sharing_redis_never_crawl_one_source_twice(
        tmp_path: Path, sites: SampleSites, redis_url: str) -> None:
    from monitor import metrics

    def skipped() -> float:
        return metrics.REGISTRY.get_sample_value("lurewatch_crawls_total", {
            "source": "iklan-jawatan", "outcome": "skipped_other_monitor"}) or 0.0

    skipped_before = skipped()
    monitors = []
    for name in ("a", "b"):  # two machines: their own data folders, one store, one Redis
        settings = Settings(
            data_dir=tmp_path / name, store={"path": tmp_path / "store.db"},
            crawl={"jobdir": tmp_path / name / "jobs", "download_delay": 0,
                   "redis_url": redis_url},
            monitor={"name": name, "interval_override_seconds": 2, "metrics_port": None})
        sources = [s for s in load_sources(settings.sources_file, base_url=sites)
                   if s.name == "iklan-jawatan"]
        monitors.append(Monitor(settings, sources, SQLiteStore(settings.store.path)))
    store = SQLiteStore(tmp_path / "store.db")

    def finished() -> list[Any]:  # both monitors' crawls, from the store they share
        return [run for run in store.recent_runs("iklan-jawatan", 20)
                if run.outcome != "running"]

    for monitor in monitors:
        monitor.start()
    try:
        wait_until(lambda: len(finished()) >= 2, 300, "two crawls")
    finally:
        for monitor in monitors:
            monitor.stop()
    runs = sorted(finished(), key=lambda run: run.started_at)
    assert {run.monitor for run in runs} <= {"a", "b"}
    for earlier, later in zip(runs, runs[1:], strict=False):
        assert later.started_at >= earlier.finished_at, (earlier, later)
    assert skipped() > skipped_before
