"""Crawler tests: real Scrapy crawls of the bundled sample sites on loopback, extractor
tests on hostile bytes, and parse tests on the real pages in ../shared/fixtures."""

from __future__ import annotations

import codecs
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler

from crawlers.extract.common import PageRejected, decode_html, parse_datetime
from crawlers.extract.jsonld import PageContext
from crawlers.extract.pages import parse_page
from crawlers.middlewares.backoff import retry_after_seconds
from crawlers.middlewares.url_safety import UnsafeURL, URLSafetyMiddleware
from crawlers.run import crawl
from crawlers.sample_sites.server import (
    HOSTILE_PAGES,
    THROTTLED_ONCE,
    SampleSites,
    board_content,
    serve_sample_sites,
    social_content,
)
from crawlers.settings import ITEM_PIPELINES_UNSCORED
from crawlers.stats import CrawlStats
from index.query import SearchFilters
from index.sqlite import SQLiteStore
from lurewatch.config import PACKAGE_ROOT, Selectors, Settings, Source, load_sources
from lurewatch.record import Ad
from lurewatch.urls import UnsafeURLError

SOURCES_FILE = PACKAGE_ROOT / "crawlers" / "sample_sites" / "sources.yaml"
UNSCORED = {"ITEM_PIPELINES": ITEM_PIPELINES_UNSCORED}
# Hostile board pages that must still give a record (odd but readable charsets).
READABLE_HOSTILE = ("thai-cp874", "chinese-gb18030", "japanese-shift-jis", "utf16-bom",
                    "wrong-charset-header")


def make_settings(root: Path, **crawl: object) -> Settings:
    return Settings(data_dir=root, crawl={"jobdir": root / "jobs", "download_delay": 0.001,
                                          "concurrent_requests_per_domain": 8, **crawl})


def sources_for(site: str, *names: str) -> list[Source]:
    sources = load_sources(SOURCES_FILE, base_url=site)
    return [s for s in sources if not names or s.name in names]


@dataclass
class Crawled:
    site: SampleSites
    settings: Settings
    store: SQLiteStore
    stats: CrawlStats

    def records(self, source: str) -> list[Ad]:
        return list(self.store.scan(SearchFilters(sources=(source,))))


@pytest.fixture(scope="module")
def site() -> Iterator[SampleSites]:
    with serve_sample_sites() as served:
        yield served


@pytest.fixture(scope="module")
def crawled(site: SampleSites, tmp_path_factory: pytest.TempPathFactory) -> Crawled:
    """Every sample source crawled once (unscored; scoring has its own test)."""
    root = tmp_path_factory.mktemp("crawl")
    settings = make_settings(root)
    store = SQLiteStore(root / "store.db")
    stats = crawl([*sources_for(site), facebook_page(site)], settings, store=store,
                  overrides=UNSCORED)
    return Crawled(site, settings, store, stats)


def facebook_page(site: str) -> Source:
    return Source(name="fb-page", kind="facebook", local_test=True,
                  start_urls=[f"{site}/facebook/KerjaKosongMY"])


# --- the JSON-LD board ----------------------------------------------------------------

def test_jsonld_board_every_posting_extracted_with_its_fields(crawled: Crawled) -> None:
    board = board_content()
    records = {r.title: r for r in crawled.records("kerjahub")}
    expected = len(board["postings"]) + len(board["multi"]["postings"]) + len(READABLE_HOSTILE)
    assert len(records) == expected
    for posting in board["postings"]:
        ad = records[posting["title"]]
        assert ad.posted_at == parse_datetime(posting["date"])
        assert ad.country == posting["locations"][0]["country"]
        assert posting["locations"][0]["locality"] in (ad.location or "")
        employer = posting.get("employer")
        expected_employer = employer.get("name") if isinstance(employer, dict) else employer
        assert ad.employer == expected_employer
        assert "<" not in ad.text and ad.text  # HTML stripped, escaped HTML decoded once
        salary = posting.get("salary")
        if isinstance(salary, dict):
            assert ad.salary is not None and ad.salary.currency == salary["currency"]
            assert ad.salary.amount_max == salary.get("max", salary.get("value"))
        elif isinstance(salary, str):
            assert ad.salary is not None and ad.salary.text == salary
        image = posting.get("image")
        assert ad.images == ([crawled.site.base_url + image] if image else [])


def test_jsonld_board_several_postings_on_one_page_get_distinct_ids(crawled: Crawled) -> None:
    titles = {p["title"] for p in board_content()["multi"]["postings"]}
    multi = [r for r in crawled.records("kerjahub") if r.title in titles]
    assert len({r.id for r in multi}) == len(titles) == len(multi)


def test_hostile_pages_counted_with_reasons_and_odd_charsets_read(crawled: Crawled) -> None:
    stats = crawled.stats.sources["kerjahub"]
    assert stats.rejected == {"bad_jsonld": 2, "no_job_posting": 1, "not_html": 1,
                              "too_large": 1}
    titles = {r.title for r in crawled.records("kerjahub")}
    assert {"พนักงานขายหน้าร้าน กรุงเทพฯ", "仓库管理员（新山）", "介護スタッフ（特定技能）",
            "Pemandu Grab sambilan – Melaka", "แม่บ้านทำความสะอาด ภูเก็ต"} <= titles
    assert len(HOSTILE_PAGES) == len(READABLE_HOSTILE) + sum(stats.rejected.values())


def test_politeness_robots_user_agent_and_retry_after(crawled: Crawled) -> None:
    hits = crawled.site.hits
    assert hits["/robots.txt"] >= 1
    assert not any(path.startswith("/board/private/") for path in hits)  # disallowed
    stats = crawled.stats.sources["kerjahub"]
    assert stats.http_status == {"429": 1}
    assert hits["/board/jobs?page=2"] == 2  # answered 429 with Retry-After: 1, then retried
    assert hits["/board/jobs?page=3"] == 1


# --- the other spiders ------------------------------------------------------------------

def test_selectors_board(crawled: Crawled) -> None:
    ads = {r.title: r for r in crawled.records("iklan-jawatan")}
    expected = social_content()["classifieds"]
    assert len(ads) == len(expected)
    for item in expected:
        ad = ads[item["title"]]
        assert ad.employer == item.get("employer")
        assert ad.location == item["location"]
        assert ad.posted_at is not None and ad.posted_at.date().isoformat() == item["posted"]
        assert item["body"].split()[0] in ad.text


def test_telegram_channel_paged_back_with_views_and_forwards(crawled: Crawled) -> None:
    content = social_content()["telegram"]
    ads = {r.post_id: r for r in crawled.records("tg-kerja-luar-negara")}
    assert set(ads) == {f"{content['channel']}/{p['id']}" for p in content["posts"]}
    assert any(path.startswith("/telegram/s/kerja_luar_negara?before=")
               for path in crawled.site.hits)
    post = ads[f"{content['channel']}/204"]
    assert post.forwarded_from == "Jalur Aman Malaysia"
    assert post.views == 5100
    assert post.url == f"https://t.me/{content['channel']}/204"
    assert post.posted_at == parse_datetime("2026-10-23T22:45:00+00:00")


def test_mastodon_hashtags_paged_with_link_header(crawled: Crawled) -> None:
    statuses = social_content()["mastodon"]["statuses"]
    ads = crawled.records("mastodon-sosial")
    assert len(ads) == len(statuses)
    assert any("max_id=" in path for path in crawled.site.hits)
    by_text = {a.text: a for a in ads}
    for status in statuses:
        ad = next(a for text, a in by_text.items() if status["text"][:30] in text)
        assert ad.language == status["lang"] and ad.platform == "mastodon"
        image = status.get("image")
        assert ad.images == ([f"{crawled.site.base_url}/board/images/{image}"] if image else [])


def test_rss_feed(crawled: Crawled) -> None:
    items = social_content()["rss"]["items"]
    ads = {r.post_id: r for r in crawled.records("kerjarss")}
    assert set(ads) == {i["guid"] for i in items}
    assert all(ad.posted_at is not None and ad.text for ad in ads.values())
    for item in items:  # image enclosures
        assert ads[item["guid"]].images == ([f"{crawled.site.base_url}/board/images/"
                                             f"{item['image']}"] if "image" in item else [])


def test_stats_are_json_ready_and_add_up(crawled: Crawled) -> None:
    data = crawled.stats.to_dict()
    totals = data["totals"]
    assert totals["stored"] == crawled.store.count()
    assert totals["new"] == totals["stored"]
    assert totals["already_seen"] == 0  # a page linked twice in one run is not "seen"
    assert set(data["sources"]) == {s.name for s in sources_for(crawled.site)} | {"fb-page"}
    assert all(s["finish_reason"] == "finished" for s in data["sources"].values())


# --- incremental, changed layouts, safety -----------------------------------------------

def test_second_crawl_fetches_only_what_is_new(crawled: Crawled) -> None:
    before = crawled.store.count()
    hits_before = sum(crawled.site.hits.values())
    again = crawl(sources_for(crawled.site), crawled.settings, store=crawled.store,
                  overrides=UNSCORED)
    assert again.totals.stored == 0 and again.totals.new == 0
    assert crawled.store.count() == before
    board = again.sources["kerjahub"]
    assert board.already_seen > 0
    # No detail page is fetched again: listing, sitemap and hostile pages only.
    assert board.pages_fetched < crawled.stats.sources["kerjahub"].pages_fetched
    assert sum(crawled.site.hits.values()) - hits_before < hits_before / 2


def test_changed_layout_extracts_nothing_and_says_why(tmp_path: Path) -> None:
    with serve_sample_sites(layout="changed") as site:
        stats = crawl(sources_for(site, "iklan-jawatan", "kerjahub"), make_settings(tmp_path),
                      store=SQLiteStore(tmp_path / "store.db"), overrides=UNSCORED)
        site.set_layout("normal")
    classifieds = stats.sources["iklan-jawatan"]
    assert classifieds.records_extracted == 0 and classifieds.pages_fetched > 0
    assert classifieds.rejected["selectors_matched_nothing"] >= 1
    board = stats.sources["kerjahub"]
    assert board.records_extracted == len(READABLE_HOSTILE)  # only the hostile pages kept JSON-LD
    assert board.rejected["no_job_posting"] >= len(board_content()["postings"])


def test_unsafe_sources_refused_before_fetching(tmp_path: Path) -> None:
    source = Source(name="sneaky", kind="rss", start_urls=["http://127.0.0.1:9/feed"])
    with pytest.raises(UnsafeURLError, match="non-public"):
        crawl([source], make_settings(tmp_path), store=SQLiteStore(tmp_path / "s.db"))
    with pytest.raises(ValueError, match="only http and https"):
        Source(name="f", kind="rss", start_urls=["file:///etc/passwd"])


@pytest.mark.parametrize("url", ["http://10.0.0.7/", "http://169.254.169.254/latest/",
                                 "http://[::1]:8080/", "http://localhost/"])
def test_every_request_checked_for_private_addresses(url: str) -> None:
    crawler = get_crawler(settings_dict={})
    crawler.spider = type("S", (), {"source": Source(name="x", kind="rss",
                                                     start_urls=["https://example.org/"])})()
    middleware = URLSafetyMiddleware.from_crawler(crawler)
    with pytest.raises(UnsafeURL):
        middleware.process_request(Request(url))


def test_facebook_login_wall_is_counted_not_crossed(crawled: Crawled) -> None:
    facebook = crawled.stats.sources["fb-page"]
    assert facebook.rejected == {"login_wall": 1}
    assert facebook.records_extracted == 0
    assert not any(path.startswith("/facebook/login/device") for path in crawled.site.hits)


# --- hostile bytes, dates, headers (no network) -----------------------------------------

@pytest.mark.parametrize(("encoding", "content_type", "meta"), [
    ("cp874", "text/html", "windows-874"),
    ("cp874", "text/html; charset=utf-8", "windows-874"),  # the header lies
    ("gb18030", "text/html; charset=gb18030", None),
    ("shift_jis", "text/html", "shift_jis"),
    ("utf-16", "text/html", None),  # BOM only
])
def test_decode_html_believes_bytes_over_claims(encoding: str, content_type: str,
                                               meta: str | None) -> None:
    text = "ทดสอบ 测试 テスト Ujian"
    if encoding == "cp874":
        text = "ทดสอบ ภาษาไทย Ujian"
    elif encoding in ("gb18030",):
        text = "测试 招聘 Ujian"
    elif encoding == "shift_jis":
        text = "テスト 募集 Ujian"
    head = f'<meta charset="{meta}">' if meta else ""
    page = f"<html><head>{head}</head><body><p>{text}</p></body></html>"
    assert text in decode_html(page.encode(encoding), content_type)


def test_decode_html_refuses_binary() -> None:
    with pytest.raises(PageRejected, match="not_html"):
        decode_html(b"\x89PNG\r\n", "image/png")
    assert decode_html(codecs.BOM_UTF8 + "ok é".encode(), None) == "ok é"


@pytest.mark.parametrize(("raw", "iso"), [
    ("2026-11-02T09:15:00+08:00", "2026-11-02T01:15:00+00:00"),
    ("2026-11-02T09:15:00+0530", "2026-11-02T03:45:00+00:00"),
    ("2026-11-02", "2026-11-02T00:00:00+00:00"),
    ("Mon, 02 Nov 2026 09:00:00 +0800", "2026-11-02T01:00:00+00:00"),
    ("05/11/2026", "2026-11-05T00:00:00+00:00"),
])
def test_parse_datetime(raw: str, iso: str) -> None:
    parsed = parse_datetime(raw)
    assert parsed is not None and parsed.isoformat() == iso


def test_retry_after_seconds_or_http_date() -> None:
    assert retry_after_seconds(b"7") == 7.0
    assert retry_after_seconds("garbage") is None
    when = retry_after_seconds("Wed, 21 Oct 2099 07:28:00 GMT")
    assert when is not None and when > 0


def test_images_from_jsonld_og_image_and_telegram_photos() -> None:
    """Absolute http(s) URLs resolved against the page, in order, once; ``data:`` and
    ``javascript:`` dropped."""
    page = PageContext(url="https://jobs.example.my/job/7", source="f")
    posting = {"@context": "https://schema.org/", "@type": "JobPosting", "title": "Operator",
               "description": "Kerja kilang", "image": [
                   "/img/a.jpg", {"@type": "ImageObject", "contentUrl": "https://cdn.example/b.png"},
                   "data:image/png;base64,AAAA", "javascript:alert(1)", "/img/a.jpg"]}
    html = (f'<html><head><meta property="og:image" content="//cdn.example/og.jpg">'
            f'<script type="application/ld+json">{json.dumps(posting)}</script></head>'
            f"<body>Operator</body></html>")
    [ad] = parse_page(html.encode(), page).records
    assert ad.images == ["https://jobs.example.my/img/a.jpg", "https://cdn.example/b.png",
                         "https://cdn.example/og.jpg"]
    telegram = ('<div class="tgme_widget_message" data-post="kerja/9">'
                '<a class="tgme_widget_message_photo_wrap" style="width:800px;background-image:'
                "url('https://cdn4.telesco.pe/file/abc.jpg')\"></a>"
                '<div class="tgme_widget_message_text">Kerja di Kemboja</div></div>')
    [post] = parse_page(telegram.encode(), PageContext(url="https://t.me/s/kerja",
                                                       source="f")).records
    assert post.images == ["https://cdn4.telesco.pe/file/abc.jpg"]


def test_parse_page_on_a_sample_page_with_broken_jsonld() -> None:
    body = (b'<html><head><script type="application/ld+json">{"@type": "JobPosting", '
            b'"title": "Cash</script><script type="application/ld+json">'
            b'{"@context": "https://schema.org", "@type": "JobPosting", "title": "Baker",'
            b' "hiringOrganization": "Roti Sdn Bhd", "datePosted": "2026-11-01"}'
            b'</script></head><body></body></html>')
    parsed = parse_page(body, PageContext(url="https://example.org/j/1", source="t"))
    assert [(r.title, r.employer) for r in parsed.records] == [("Baker", "Roti Sdn Bhd")]


def test_real_page_with_challenge_script_and_login_link_still_parses() -> None:
    """Bot-check scripts and login links sit on ordinary pages too: only a page that
    gives nothing is called a bot challenge or a login wall."""
    body = (b'<html><head><script src="/cdn-cgi/challenge-platform/scripts/jsd/main.js">'
            b'</script><script type="application/ld+json">{"@context": "https://schema.org",'
            b' "@type": "JobPosting", "title": "Cook", "datePosted": "2026-11-01"}</script>'
            b'</head><body><a href="/login/?next=/jobs/1">Log in</a><div id="login_form">'
            b'</div></body></html>')
    parsed = parse_page(body, PageContext(url="https://example.org/jobs/1", source="t"))
    assert [r.title for r in parsed.records] == ["Cook"]


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
from crawlers.settings import ITEM_PIPELINES_UNSCORED
from index.sqlite import SQLiteStore
from lurewatch.config import Settings, load_sources
root, base, sources_file, crawl_settings = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
settings = Settings(data_dir=root, crawl={"jobdir": root / "jobs", **json.loads(crawl_settings)})
sources = [s for s in load_sources(Path(sources_file), base_url=base) if s.name == "kerjahub"]
stats = crawl(sources, settings, store=SQLiteStore(root / "store.db"),
              overrides={"ITEM_PIPELINES": ITEM_PIPELINES_UNSCORED, "STORE_BATCH_SIZE": 2})
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


# --- real pages from ../shared/fixtures ----------------------------------------------

FIXTURES = PACKAGE_ROOT.parent / "shared" / "fixtures"
needs_fixtures = pytest.mark.skipif(not FIXTURES.is_dir(),
                                    reason=f"{FIXTURES} is absent (real pages are not "
                                    "part of the repository)")


@dataclass(frozen=True)
class Says:
    """What a saved job page says, read off the page by a person."""

    title: str
    employer: str
    location: str  # a part of the stated location
    date: str | None  # ISO date of posting, None when the page gives none
    salary: tuple[float | None, float | None, str | None, str | None] | str | None
    text: str  # a sentence from the description


JOB_PAGES: dict[str, Says] = {
    "job_jsonld/indeed_au_senior_devops_papercut.html": Says(
        "Senior DevOps Engineer", "PaperCut Software", "Camberwell", "2026-08-06",
        (130000, 160000, "AUD", "year"), "we believe two things"),
    "job_jsonld/stackoverflow_jobs_spacex_2017.html": Says(
        "SpaceX Enterprise Software Engineer, Full Stack", "SpaceX", "Hawthorne", "2017-11-01",
        None, "Paid relocation"),
    "job_jsonld/topcv_vn_ai_engineer_2128588.html": Says(
        "AI Engineer (Middle)", "Công ty cổ phần PT HUB", "Hà Nội", "2026-04-17",
        (60_000_000, 60_000_000, "VND", "month"), "Phát triển Core AI"),
    "job_jsonld/topcv_vn_network_engineer_2130416.html": Says(
        "Network Engineer", "CHI NHÁNH TẠI TP HỒ CHÍ MINH - CÔNG TY CỔ PHẦN NETNAM (TP. HÀ NỘI)",
        "Hồ Chí Minh", "2026-04-18", "Thoả thuận", "Tech Lead"),
    "job_jsonld/topcv_vn_opera_pms_consultant.html": Says(
        "Chuyên Viên Triển Khai Phần Mềm Quản Lý Khách Sạn Oracle – Opera PMS/Opera Cloud/Opera "
        "PMS Implementation Consultant, Nhận Việc Ngay", "CÔNG TY TNHH CÔNG NGHỆ THÔNG TIN PHÚC AN",
        "Hồ Chí Minh", "2026-04-08", "Thoả thuận", "Oracle Opera PMS"),
    "job_jsonld/workday_thales_uk_engineering_delivery_manager.html": Says(
        "Engineering Delivery Manager", "Thales UK Limited", "Green Park", "2024-05-14", None,
        "customers worldwide rely on Thales"),
    "job_detail_no_jsonld/linkedin_au_heidi_senior_swe.html": Says(
        "Senior Software Engineer - Developer Experience", "Heidi", "Melbourne", None, None,
        "Heidi is building an AI Care Partner"),
    "job_detail_no_jsonld/linkedin_fr_secretaire_gentilly.html": Says(
        "Secrétaire / secrétaire de direction — H/F", "Association Monsieur Vincent", "Gentilly",
        None, None, "EHPAD de 86 lits recherche un/une secrétaire de direction"),
    "job_detail_no_jsonld/seek_au_senior_platform_engineer.html": Says(
        "Senior Platform Engineer | Remote | Australia", "iterate", "Melbourne", None, None,
        "Platform Engineer"),
    "job_detail_no_jsonld/greenhouse_jobboards_remote_forward_deployed_engineer.html": Says(
        "Senior Forward Deployed Engineer (Remote Build)", "Remote", "Remote-NORAM", None, None,
        "Forward Deployed"),
    "job_detail_no_jsonld/boss_zhipin_cn_embedded_engineer.html": Says(
        "高级嵌入式软件工程师", "新联电子", "", None, "17-30K·13薪", "嵌入式"),
}


_LINKEDIN_GUEST_JOB = Selectors(
    item_link="a.base-card__full-link::attr(href)",
    title="h1.top-card-layout__title::text",
    employer="a.topcard__org-name-link::text",
    location="(//span[contains(@class, 'topcard__flavor--bullet')])[1]/text()",
    body="div.show-more-less-html__markup",
)
# What a `selectors` source in sources.yaml would say for these sites: configuration only.
SITE_SELECTORS: dict[str, Selectors] = {
    "job_detail_no_jsonld/linkedin_au_heidi_senior_swe.html": _LINKEDIN_GUEST_JOB,
    "job_detail_no_jsonld/linkedin_fr_secretaire_gentilly.html": _LINKEDIN_GUEST_JOB,
    "job_detail_no_jsonld/seek_au_senior_platform_engineer.html": Selectors(
        item_link="a[data-automation='jobTitle']::attr(href)",
        title="h1[data-automation='job-detail-title'] ::text",
        employer="[data-automation='advertiser-name'] ::text",
        location="[data-automation='job-detail-location'] ::text",
        body="[data-automation='jobAdDetails']",
    ),
}


def field_problems(path: str, says: Says, selectors: Selectors | None = None) -> list[str]:
    """Fields of the first record of a saved page that differ from what the page says."""
    try:
        records = parse_page((FIXTURES / path).read_bytes(),
                             PageContext(url=f"https://example.org/{path}", source="fixture"),
                             selectors=selectors)
    except PageRejected as rejected:
        return [f"no record ({rejected.reason})"]
    ad = records.records[0]
    problems = []
    if ad.title != says.title:
        problems.append(f"title {ad.title!r}")
    if ad.employer != says.employer:
        problems.append(f"employer {ad.employer!r}")
    if says.location not in (ad.location or ""):
        problems.append(f"location {ad.location!r}")
    date = ad.posted_at.date().isoformat() if ad.posted_at else None
    if date != says.date:
        problems.append(f"date {date!r}")
    salary = ad.salary
    if isinstance(says.salary, tuple):
        got = (salary.amount_min, salary.amount_max, salary.currency, salary.period) \
            if salary else None
        if got != says.salary:
            problems.append(f"salary {got!r}")
    elif (salary.text if salary else None) != says.salary:
        problems.append(f"salary {salary!r}")
    if says.text not in ad.text or "<" in ad.text[:200]:
        problems.append("text")
    return problems


@needs_fixtures
@pytest.mark.parametrize("path", [p for p in JOB_PAGES if p.startswith("job_jsonld/")])
def test_real_jsonld_job_pages_parse_as_the_page_says(path: str) -> None:
    assert field_problems(path, JOB_PAGES[path]) == []


@needs_fixtures
def test_share_of_real_job_pages_parsed_with_all_fields_right(
        capsys: pytest.CaptureFixture[str]) -> None:
    generic = {path: field_problems(path, says) for path, says in JOB_PAGES.items()}
    configured = {path: field_problems(path, says, SITE_SELECTORS.get(path))
                  for path, says in JOB_PAGES.items()}
    with capsys.disabled():
        for name, problems in (("as is", generic), ("with site selectors", configured)):
            right = [p for p, found in problems.items() if not found]
            print(f"\nreal job pages parsed with all fields right, {name}: "
                  f"{len(right)}/{len(problems)} ({len(right) / len(problems):.0%})")
            for path, found in problems.items():
                if found:
                    print(f"  {path}: {', '.join(found)}")
    jsonld_pages = [p for p in JOB_PAGES if p.startswith("job_jsonld/")]
    assert [p for p, found in generic.items() if not found] == jsonld_pages
    assert [p for p, found in configured.items() if not found] == [
        p for p in JOB_PAGES if p in jsonld_pages or p in SITE_SELECTORS]


@needs_fixtures
@pytest.mark.parametrize(("path", "reason"), [
    ("malformed/cloudflare_challenge_instead_of_indeed.html", "bot_challenge"),
    ("telegram/tme_durov_channel_landing.html", "no_preview"),
    ("telegram/tme_python_group_landing.html", "no_preview"),
    ("malformed/jsoup_bom_utf16le.html", "no_job_posting"),
    ("malformed/jsoup_baidu_cn_home_gb2312.html", "no_job_posting"),
    ("malformed/extruct_jsonld_js_comments_udn.html", "no_job_posting"),
])
def test_real_pages_without_postings_are_refused_with_a_reason(path: str, reason: str) -> None:
    with pytest.raises(PageRejected) as refused:
        parse_page((FIXTURES / path).read_bytes(), PageContext(url="https://example.org/",
                                                                source="fixture"))
    assert refused.value.reason == reason


@needs_fixtures
@pytest.mark.parametrize("path", ["malformed/jsoup_fuzz_1646_deep_nesting.html",
                                  "malformed/jsoup_fuzz_2374_wordpress_svg.html",
                                  "malformed/jsoup_garble.html"])
def test_real_hostile_pages_do_not_crash(path: str) -> None:
    try:
        parse_page((FIXTURES / path).read_bytes(), PageContext(url="https://e.org/", source="f"))
    except PageRejected as refused:
        assert refused.reason in ("undecodable", "no_job_posting", "unparseable_html")


@needs_fixtures
def test_real_telegram_preview() -> None:
    parsed = parse_page((FIXTURES / "telegram/tme_s_xCareers_2020.html").read_bytes(),
                        PageContext(url="https://t.me/s/xCareers", source="f"))
    posts = {ad.post_id: ad for ad in parsed.records}
    assert len(posts) == 20
    first = posts["xCareers/1491"]
    assert first.title == "РАЗРАБОТЧИК IOS 🔥"
    assert first.posted_at == parse_datetime("2020-04-30T17:00:04+00:00")
    assert first.views == 4400
    assert "Зарплата: от 170 000 рублей в месяц" in first.text
    assert first.url == "https://t.me/xCareers/1491"


@needs_fixtures
@pytest.mark.parametrize(("path", "count", "language"), [
    ("mastodon/bigbone_tag_timeline_mastodon_2017.json", 20, None),
    ("mastodon/mastodonpy_timelines_public.json", 8, "ja"),  # as the response says
    ("mastodon/tootsdk_akkoma_quote_post.json", 1, "en"),
    ("mastodon/tootsdk_akkoma_status_emojis_attachments.json", 1, None),
])
def test_real_mastodon_responses(path: str, count: int, language: str | None) -> None:
    parsed = parse_page((FIXTURES / path).read_bytes(),
                        PageContext(url="https://mastodon.example/api", source="f"))
    assert len(parsed.records) == count
    assert all(ad.posted_at and ad.text and "<p>" not in ad.text for ad in parsed.records)
    assert len({ad.id for ad in parsed.records}) == count
    if language:
        assert parsed.records[0].language == language
    if "attachments" in path:
        assert parsed.records[0].images == [
            "https://m.iamkonstantin.eu/media/3febd084-8f52-461f-a30e-c4cdac6ba1e4/image.jpeg"]


@needs_fixtures
@pytest.mark.parametrize(("path", "count", "title"), [
    ("rss/weworkremotely_programming_2014.rss", 25, "Kaleo Software: Senior Software Engineer"),
    ("rss/research_computing_teams_jobs_2026.rss", 350, None),
    ("rss/surprise_com_jobs_feed.xml", 7, "Algorithm Developer"),
    ("rss/recruityard_talentcom_job_feed_2025.xml", 100, "Client Support with Icelandic - Remote"),
])
def test_real_feeds(path: str, count: int, title: str | None) -> None:
    parsed = parse_page((FIXTURES / path).read_bytes(),
                        PageContext(url="https://example.org/feed", source="f"))
    assert len(parsed.records) == count
    assert all(ad.text and ad.posted_at for ad in parsed.records)
    if title:
        assert parsed.records[0].title == title


@pytest.mark.slow
def test_parse_command_prints_json_lines_and_one_line_errors(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from lurewatch.cli import load_commands
    app = load_commands()

    runner = CliRunner()
    missing = runner.invoke(app, ["parse", str(tmp_path / "nope.html"), "--url", "http://e/"])
    assert missing.exit_code == 2 and len(missing.output.strip().splitlines()) == 1
    page = tmp_path / "job.html"
    page.write_text('<script type="application/ld+json">{"@context": "https://schema.org", '
                    '"@type": "JobPosting", "title": "Tukang masak", "hiringOrganization": '
                    '"Warung Mak Som", "datePosted": "2026-11-03"}</script>', encoding="utf-8")
    parsed = runner.invoke(app, ["parse", str(page), "--url", "https://example.my/j/1"])
    assert parsed.exit_code == 0
    records = [Ad.from_json(line) for line in parsed.stdout.strip().splitlines()]
    assert [(r.title, r.employer, r.url) for r in records] == [
        ("Tukang masak", "Warung Mak Som", "https://example.my/j/1")]
    nothing = tmp_path / "empty.html"
    nothing.write_text("<html><body>hello</body></html>", encoding="utf-8")
    refused = runner.invoke(app, ["parse", str(nothing), "--url", "https://example.my/"])
    assert refused.exit_code == 2 and "no_job_posting" in refused.output
