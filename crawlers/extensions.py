"""The extension that closes a source's run: records whether it finished (so the next
run knows it may stop early at pages already seen), releases the JOBDIR and reports the
source's stats to the parent process."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Self

import redis
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from crawlers.settings import crawl_config
from crawlers.sink import SINK_FD_SETTING, sink_for_fd
from crawlers.state import CrawlState

RUNNING_MARKER = "lurewatch-running"
FINISHED_MARKER = "lurewatch-finished"


def prepare_jobdir(jobdir: Path) -> bool:
    """Make a JOBDIR ready for a run; returns True when the last run was killed.

    Only a run stopped gracefully (SIGTERM, Ctrl-C) is resumed from its JOBDIR. After a
    finished run the JOBDIR is emptied, or its dupe filter would never let a listing page
    be fetched again. After a run killed with SIGKILL it is emptied too: Scrapy's disk
    queue and seen-requests file are then half-written, and resuming from them could skip
    requests never fetched. The seen ids (kept only for stored records) keep re-runs cheap.
    """
    jobdir.mkdir(parents=True, exist_ok=True)
    killed = (jobdir / RUNNING_MARKER).exists()
    if killed or (jobdir / FINISHED_MARKER).exists():
        for path in sorted(jobdir.rglob("*"), reverse=True):
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink()
    (jobdir / RUNNING_MARKER).touch()
    return killed


class SourceRun:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.source = crawl_config(crawler).source
        self.started = time.monotonic()
        fd = crawler.settings.getint(SINK_FD_SETTING, -1)
        self.sink = sink_for_fd(fd) if fd >= 0 else None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        state: CrawlState = spider.crawl_state  # type: ignore[attr-defined]
        state.finish_run(self.source.name, complete=reason == "finished")
        jobdir = self.crawler.settings.get("JOBDIR")
        if jobdir:
            if reason == "finished":
                (Path(jobdir) / FINISHED_MARKER).touch()
            (Path(jobdir) / RUNNING_MARKER).unlink(missing_ok=True)
        if self.crawler.settings.get("REDIS_URL"):
            expire_round(self.crawler.settings)
        stats = dict(self.crawler.stats.get_stats())
        stats["elapsed_time_seconds"] = time.monotonic() - self.started
        stats["finish_reason"] = reason
        if self.sink is not None:
            self.sink.stats(self.source.name, stats)


def expire_round(settings: BaseSettings) -> None:
    """Distributed mode: once the shared queue is empty, let the shared dupe filter
    expire after ``DISTRIBUTED_ROUND_TTL`` seconds, so the next scheduled crawl of the
    source fetches its listing pages again (peers finishing meanwhile still share it)."""
    server = redis.Redis.from_url(settings["REDIS_URL"])
    try:
        if server.llen(settings["SCHEDULER_QUEUE_KEY"]) == 0:
            server.expire(settings["SCHEDULER_DUPEFILTER_KEY"],
                          settings.getint("DISTRIBUTED_ROUND_TTL", 60))
    finally:
        server.close()
