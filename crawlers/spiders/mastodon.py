"""Mastodon (and servers with the same API): hashtag timelines for the source's
``hashtags``, else the public timeline, paged with the ``Link: rel="next"`` header
(``max_id``) until statuses already stored or ``max_pages``. Rate-limit headers are
honoured by the backoff middleware."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

from scrapy.http import Request, Response

from crawlers.extract.common import PageRejected
from crawlers.extract.mastodon import next_link, parse_statuses
from crawlers.spiders.base import LurewatchSpider

PAGE_LIMIT = 40  # Mastodon's maximum per request


class MastodonSpider(LurewatchSpider):
    def start_requests_for(self, url: str) -> Iterable[Request]:
        base = url.rstrip("/")
        if "/api/v1/" in base:
            yield self.request(base, self.parse, dont_filter=self.refetch_start_pages)
            return
        timelines = [f"tag/{quote(tag.lstrip('#'))}" for tag in self.source.hashtags]
        for timeline in timelines or ["public"]:
            yield self.request(f"{base}/api/v1/timelines/{timeline}?limit={PAGE_LIMIT}",
                               self.parse, dont_filter=self.refetch_start_pages)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        self.fetched(response)
        try:
            try:
                data = json.loads(response.body)
            except (ValueError, RecursionError) as exc:
                raise PageRejected("bad_json", str(exc)[:200]) from exc
            statuses = parse_statuses(data, self.context(response.url))
        except PageRejected as rejected:
            self.reject(rejected.reason, f"{response.url}: {rejected.detail}")
            return
        yield from self.emit(statuses)
        following = next_link(response.headers.get("Link", b"").decode("latin-1"))
        if not following or not statuses or not self.page_budget_left():
            return
        known = any(self.is_seen(platform="mastodon", post_id=s.post_id) for s in statuses)
        if known and self.stop_at_seen:
            return
        yield self.request(response.urljoin(following), self.parse)
