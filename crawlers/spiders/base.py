"""What every Lurewatch spider shares: its source, safety checks on start URLs,
counting pages and rejections, and deciding which records are new."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, Self

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, DownloadCancelledError, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers.extract.common import PageRejected, decode_html
from crawlers.extract.jsonld import PageContext
from crawlers.middlewares.url_safety import UnsafeURL
from crawlers.settings import crawl_config
from crawlers.sink import SINK_FD_SETTING, RecordSink, sink_for_fd
from crawlers.state import CrawlState
from lurewatch.config import Source
from lurewatch.record import Ad, record_id
from lurewatch.urls import UnsafeURLError, check_fetchable

logger = logging.getLogger(__name__)
# What a site answers for an ad it removed.
GONE_STATUSES = (404, 410)


class LurewatchSpider(scrapy.Spider):
    """Base spider: one instance crawls one :class:`Source`."""

    source: Source
    crawl_state: CrawlState
    sink: RecordSink | None = None
    distributed: bool = False
    _idle_since: float | None = None

    def __init__(self, source: Source, state: CrawlState, **kwargs: Any) -> None:
        super().__init__(name=source.name, **kwargs)
        self.source = source
        self.crawl_state = state
        self.pages = 0
        self.requested = 0
        self._requested_urls: set[str] = set()
        self._counted_seen: set[str] = set()
        self._emitted: set[str] = set()
        # Only after a run that finished may pagination stop at pages already seen:
        # after a killed run, older pages may hold records that were never stored.
        self.stop_at_seen = state.start_run(source.name)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        config = crawl_config(crawler)
        spider = cls(config.source, CrawlState(config.state_path), *args, **kwargs)
        spider._set_crawler(crawler)
        spider.distributed = bool(crawler.settings.get("REDIS_URL"))
        fd = crawler.settings.getint(SINK_FD_SETTING, -1)
        spider.sink = sink_for_fd(fd) if fd >= 0 else None
        if spider.distributed:
            crawler.signals.connect(spider.keep_alive_while_peers_work,
                                    signal=signals.spider_idle)
        return spider

    # -- requests --------------------------------------------------------------------

    def request(self, url: str, callback: Callable[..., Any], **kwargs: Any) -> Request:
        """A request with the spider's errback, so failures are counted with a reason."""
        self.requested += 1
        self._requested_urls.add(url)
        return Request(url, callback=callback, errback=self.on_error, **kwargs)

    async def start(self) -> AsyncIterator[Any]:
        for url in self.start_urls_checked():
            for request in self.start_requests_for(url):
                yield request
        for request in self.recheck_requests():
            yield request

    # -- re-checking stored ads --------------------------------------------------------

    def detail_callback(self) -> Callable[[Response], Iterator[Any]] | None:
        """How this spider reads the detail page of one ad; None where its sources have
        none (feeds, channels), so their ads are never re-checked."""
        return None

    def recheck_requests(self) -> Iterator[Request]:
        """Requests for ``recheck_per_run`` detail pages of ads stored earlier."""
        if self.sink is None or self.detail_callback() is None:
            return  # no parent process to tell, or no page to fetch
        for url, record_ids in self.crawl_state.to_recheck(self.source.name,
                                                           self.source.recheck_per_run):
            if not self.page_budget_left():
                return
            yield self.request(url, self.recheck, meta={
                "record_ids": record_ids, "handle_httpstatus_list": list(GONE_STATUSES)})

    def recheck(self, response: Response) -> Iterator[Any]:
        """A stored ad's page again: gone (404/410) is a takedown, anything else is read
        as a detail page, so an edited ad is stored with its earlier version kept."""
        record_ids: list[str] = response.meta["record_ids"]
        parse = self.detail_callback()
        assert parse is not None and self.sink is not None  # recheck_requests checked both
        self.crawl_state.mark_checked(self.source.name, record_ids)
        if response.status in GONE_STATUSES:
            self.inc("taken_down", len(record_ids))
            self.sink.taken_down(self.source.name, record_ids)
            return
        yield from parse(response)

    def start_urls_checked(self) -> list[str]:
        urls = []
        for url in self.source.start_urls:
            try:
                check_fetchable(url, allow_local=self.source.local_test)
            except UnsafeURLError as exc:
                self.reject("unsafe_url", str(exc))
                continue
            urls.append(url)
        return urls

    @property
    def refetch_start_pages(self) -> bool:
        """Start pages are fetched on every run, even when resuming from a JOBDIR; in
        distributed mode the shared dupe filter lets only one process fetch them."""
        return not self.distributed

    def start_requests_for(self, url: str) -> Iterable[Request]:
        yield self.request(url, self.parse, dont_filter=self.refetch_start_pages)

    def keep_alive_while_peers_work(self) -> None:
        """Distributed mode: a process whose own work is done stays open while the shared
        queue has requests, and for ``DISTRIBUTED_IDLE_GRACE`` seconds after it emptied,
        since a peer still parsing a page may add more."""
        grace = self.crawler.settings.getfloat("DISTRIBUTED_IDLE_GRACE", 6.0)
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        now = time.monotonic()
        if scheduler is not None and scheduler.has_pending_requests():
            self._idle_since = None
            raise DontCloseSpider
        if self._idle_since is None:
            self._idle_since = now
        if now - self._idle_since < grace:
            raise DontCloseSpider

    def page_budget_left(self) -> bool:
        """Whether another request fits in the source's ``max_pages``."""
        return self.requested < self.source.max_pages

    # -- counting --------------------------------------------------------------------

    def inc(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"lurewatch/{key}", count)

    def reject(self, reason: str, detail: str) -> None:
        self.inc(f"rejected/{reason}")
        self.logger.warning("rejected (%s): %s", reason, detail[:300])

    def fetched(self, response: Response) -> None:
        self.pages += 1
        self.inc("pages_fetched")

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        error = failure.value
        if isinstance(error, UnsafeURL):
            self.reject("unsafe_url", str(error))
        elif isinstance(error, HttpError):
            self.reject(f"http_{error.response.status}", request.url)
        elif isinstance(error, DownloadCancelledError) and "max size" in str(error):
            self.reject("too_large", request.url)
        elif isinstance(error, IgnoreRequest):
            self.inc("ignored")  # robots.txt and offsite refusals, counted by Scrapy too
        else:
            self.reject("fetch_failed", f"{request.url}: {error.__class__.__name__}: {error}")

    def page_text(self, response: Response) -> str:
        """The page as text, decoded from its bytes (see ``decode_html``)."""
        return decode_html(response.body, response.headers.get("Content-Type", b"").decode(
            "latin-1"))

    def context(self, url: str) -> PageContext:
        return PageContext(url=url, source=self.source.name, country=self.source.country,
                           language=self.source.language)

    # -- records ---------------------------------------------------------------------

    def is_seen(self, url: str | None = None, *, platform: str | None = None,
                post_id: str | None = None) -> bool:
        """Whether a record with this id was stored by an earlier run."""
        rid = record_id(url=url, platform=platform, post_id=post_id)
        return self.crawl_state.content_hash(self.source.name, rid) is not None

    def not_yet_stored(self, urls: list[str]) -> list[str]:
        """The detail pages worth fetching: not asked for in this run, and not stored by
        an earlier one (those are counted as ``already_seen``)."""
        fresh = [url for url in dict.fromkeys(urls) if url not in self._requested_urls]
        unseen = [url for url in fresh if not self.is_seen(url)]
        stored_before = set(fresh) - set(unseen) - self._counted_seen
        self._counted_seen |= stored_before
        self.inc("already_seen", len(stored_before))
        return unseen

    def emit(self, records: Iterable[Ad]) -> Iterator[Ad]:
        """Count records and pass on those that are new or changed since last stored."""
        for ad in records:
            self.inc("records_extracted")
            if not ad.text.strip():
                self.inc("empty_text")
            if ad.posted_at is None:
                self.inc("no_date")
            if ad.id in self._emitted:
                continue
            self._emitted.add(ad.id)
            stored_hash = self.crawl_state.content_hash(self.source.name, ad.id)
            if stored_hash == ad.content_hash:
                self.inc("already_seen")
                continue
            self.inc("new" if stored_hash is None else "changed")
            yield ad

    def extract(self, response: Response, extractor: Callable[[], Iterable[Ad]]
                ) -> Iterator[Ad]:
        """Run an extractor; a :class:`PageRejected` is counted, never raised."""
        try:
            records = list(extractor())
        except PageRejected as rejected:
            self.reject(rejected.reason, f"{response.url}: {rejected.detail}")
            return iter(())
        except RecursionError:
            self.reject("too_deep", response.url)
            return iter(())
        return self.emit(records)
