"""Scrapy settings for Lurewatch crawls: the flat defaults, and the per-source settings
built from :class:`lurewatch.config.Settings` and a :class:`~lurewatch.config.Source`.

Pipeline stages are plugged by the usual ``{class path: order}`` dict; the gaps are on
purpose (near-duplicate clustering goes at 500, between scoring and storing)::

    100 normalise -> 300 score -> 500 (cluster) -> 900 store
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from scrapy.crawler import Crawler

from lurewatch.config import Settings, Source

BOT_NAME = "lurewatch"
ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False  # public pages only; never carry a session
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
RETRY_BACKOFF_BASE = 1.0
RETRY_AFTER_MAX = 300.0
DOWNLOAD_TIMEOUT = 30
SCORE_BATCH_MAX_WAIT = 0.5
STORE_BATCH_SIZE = 50
STORE_BATCH_MAX_WAIT = 1.0
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

DOWNLOADER_MIDDLEWARES = {
    "crawlers.middlewares.url_safety.URLSafetyMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.backoff.BackoffRetryMiddleware": 550,
}
# Every page that yields or changes a record is kept in a WARC file (crawlers.warc).
SNAPSHOT_ENABLED = True
SNAPSHOT_MAX_BYTES = 100 * 1024 * 1024  # a WARC file is rotated at this size
SPIDER_MIDDLEWARES = {
    "crawlers.middlewares.snapshot.SnapshotMiddleware": 950,
}
ITEM_PIPELINES = {
    "crawlers.pipelines.normalise.NormalisePipeline": 100,
    "crawlers.pipelines.score.ScorePipeline": 300,
    "crawlers.pipelines.cluster.ClusterPipeline": 500,
    "crawlers.pipelines.store.StorePipeline": 900,
}
# False: crawl without scoring (score later with ``lurewatch classify``); tests of crawl
# behaviour and the benchmark use it, since loading the scorer's lexicons takes a while.
SCORE_ENABLED = True
UNSCORED = {"SCORE_ENABLED": False}
EXTENSIONS = {
    "crawlers.extensions.SourceRun": 100,
}

_DEFAULT_NAMES = [name for name in dir() if name.isupper()]


def default_settings() -> dict[str, Any]:
    """This module's UPPER_CASE settings as a dict."""
    return {name: globals()[name] for name in _DEFAULT_NAMES}


def user_agent(settings: Settings) -> str:
    return settings.crawl.user_agent.format(contact_url=settings.crawl.contact_url)


def source_jobdir(settings: Settings, source: Source) -> Path:
    return settings.crawl.jobdir / source.name


def scrapy_settings(settings: Settings, source: Source, *, sink_fd: int | None = None,
                    overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything one source's crawler runs with."""
    crawl = settings.crawl
    values = default_settings()
    values.update(
        USER_AGENT=user_agent(settings),
        ROBOTSTXT_OBEY=crawl.obey_robots,
        AUTOTHROTTLE_ENABLED=crawl.autothrottle,
        AUTOTHROTTLE_START_DELAY=max(crawl.download_delay, 0.01),
        CONCURRENT_REQUESTS_PER_DOMAIN=crawl.concurrent_requests_per_domain,
        # Never zero: the backoff middleware pauses a domain through the slot delay.
        DOWNLOAD_DELAY=max(crawl.download_delay, 0.001),
        DOWNLOAD_MAXSIZE=crawl.max_page_bytes,
        DOWNLOAD_WARNSIZE=crawl.max_page_bytes // 2,
        JOBDIR=str(source_jobdir(settings, source)),
        SCORE_BATCH_SIZE=settings.model.batch_size,
        CLOSESPIDER_PAGECOUNT=source.max_pages * 4,  # backstop; spiders count their own pages
        LUREWATCH_SETTINGS=settings.model_dump(mode="json"),
        LUREWATCH_SOURCE=source.model_dump(mode="json"),
        LUREWATCH_STATE_PATH=str(crawl.jobdir / "seen.sqlite"),
    )
    if sink_fd is not None:
        values["LUREWATCH_SINK_FD"] = sink_fd
    if crawl.redis_url:
        values.update(redis_settings(crawl.redis_url, source))
    values.update(overrides or {})
    return values


def redis_settings(redis_url: str, source: Source) -> dict[str, Any]:
    """scrapy-redis: the request queue and dupe filter live in Redis, shared by every
    crawler process of the source (the JOBDIR is not used then)."""
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.FifoQueue",
        "SCHEDULER_QUEUE_KEY": f"lurewatch:{source.name}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"lurewatch:{source.name}:dupefilter",
        "REDIS_URL": redis_url,
        "JOBDIR": None,
    }


@dataclass(frozen=True)
class CrawlConfig:
    """What one crawler process runs with, typed: the Lurewatch settings and the source
    (read from the Scrapy settings once per crawler, however many components ask)."""

    settings: Settings
    source: Source
    state_path: Path


_configs: WeakKeyDictionary[Crawler, CrawlConfig] = WeakKeyDictionary()


def crawl_config(crawler: Crawler) -> CrawlConfig:
    """The :class:`CrawlConfig` of ``crawler`` (made on first use)."""
    config = _configs.get(crawler)
    if config is None:
        values = crawler.settings
        config = CrawlConfig(settings=Settings.model_validate(values["LUREWATCH_SETTINGS"]),
                             source=Source.model_validate(values["LUREWATCH_SOURCE"]),
                             state_path=Path(values["LUREWATCH_STATE_PATH"]))
        _configs[crawler] = config
    return config
