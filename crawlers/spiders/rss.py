"""RSS and Atom job feeds (and aggregator ``<jobs>`` XML feeds)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawlers.extract.feeds import parse_feed
from crawlers.spiders.base import LurewatchSpider


class FeedSpider(LurewatchSpider):
    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        self.fetched(response)
        yield from self.extract(response, lambda: parse_feed(response.body,
                                                             self.context(response.url)))
