"""Retries with backoff that respect what the server says.

Replaces Scrapy's ``RetryMiddleware``: a 429 or 5xx (``RETRY_HTTP_CODES``) is retried
after the server's ``Retry-After`` (seconds or an HTTP date, capped at
``RETRY_AFTER_MAX``), else after ``RETRY_BACKOFF_BASE * 2**attempt`` seconds. The wait
also pauses the whole download slot (the domain), not just the one request. Mastodon's
``X-RateLimit-Remaining`` / ``X-RateLimit-Reset`` pause the slot before the limit is hit.
"""

from __future__ import annotations

import email.utils
import time
from datetime import UTC, datetime
from typing import Self

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import response_status_message
from twisted.internet import reactor
from twisted.internet.task import deferLater

from crawlers.extract.common import parse_datetime

RATE_LIMIT_LOW_WATER = 5  # remaining calls at which the slot starts waiting for the reset


def retry_after_seconds(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: ``"120"`` or an HTTP date; None if absent/bad."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.settings)
        self.crawler = crawler
        self.backoff_base = crawler.settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.backoff_max = crawler.settings.getfloat("RETRY_AFTER_MAX", 300.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def _wait_for(self, request: Request, response: Response) -> float:
        told = retry_after_seconds(response.headers.get("Retry-After"))
        if told is not None:
            return min(told, self.backoff_max)
        attempt = request.meta.get("retry_times", 0)
        return min(self.backoff_base * 2 ** attempt, self.backoff_max)

    def _pause_slot(self, request: Request, seconds: float) -> None:
        """Hold the request's download slot (its domain) for ``seconds``: the downloader
        waits ``delay`` after ``lastseen`` (on the monotonic clock, when the delay is
        non-zero, as the politeness settings make it), so moving ``lastseen`` ahead
        pauses the domain once without slowing the rest of the crawl."""
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        if downloader is None:
            return
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None:
            slot.lastseen = max(slot.lastseen, time.monotonic() + min(seconds, self.backoff_max))

    def _note_rate_limit(self, request: Request, response: Response) -> None:
        remaining = response.headers.get("X-RateLimit-Remaining")
        reset = response.headers.get("X-RateLimit-Reset")
        if remaining is None or reset is None:
            return
        try:
            left = int(remaining)
        except ValueError:
            return
        if left > RATE_LIMIT_LOW_WATER:
            return
        reset_at = parse_datetime(reset.decode("latin-1"))
        if reset_at is not None:
            wait = (reset_at - datetime.now(UTC)).total_seconds()
            self._pause_slot(request, max(wait, 0.0) / max(left, 1))

    async def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        self._note_rate_limit(request, response)
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        wait = self._wait_for(request, response)
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        self.crawler.stats.inc_value("lurewatch/backoff_seconds", wait)
        self._pause_slot(request, wait)
        await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        return retry
