"""Incremental crawls, changed layouts, and what may not be fetched."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler

from crawlers.middlewares.url_safety import UnsafeURL, URLSafetyMiddleware
from crawlers.run import crawl
from crawlers.sample_sites.server import (
    board_content,
    serve_sample_sites,
)
from crawlers.settings import UNSCORED
from index.sqlite import SQLiteStore
from lurewatch.config import Source
from lurewatch.urls import UnsafeURLError
from tests.crawlers.conftest import (
    READABLE_HOSTILE,
    Crawled,
    make_settings,
    sources_for,
)

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
