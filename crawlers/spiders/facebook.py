"""Facebook public pages. Facebook answers logged-out visitors with a login wall for
nearly every page now; this spider reads what a page shows without login and, at a
login wall or bot check, stops and counts it. It never logs in and never works around
a wall (see docs/crawlers.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawlers.extract.pages import html_records
from crawlers.spiders.base import LurewatchSpider


class FacebookSpider(LurewatchSpider):
    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        self.fetched(response)
        yield from self.extract(response, lambda: html_records(
            self.page_text(response), self.context(response.url)).records)
