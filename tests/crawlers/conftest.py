"""What the crawler tests share: settings, the sample sites served once per module, and
one crawl of every sample source."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawlers.run import crawl
from crawlers.sample_sites.server import (
    SampleSites,
    serve_sample_sites,
)
from crawlers.settings import UNSCORED
from crawlers.stats import CrawlStats
from index.query import SearchFilters
from index.sqlite import SQLiteStore
from lurewatch.config import PACKAGE_ROOT, Settings, Source, load_sources
from lurewatch.record import Ad

SOURCES_FILE = PACKAGE_ROOT / "crawlers" / "sample_sites" / "sources.yaml"
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
