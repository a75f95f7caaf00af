"""Boards without structured data, read with the source's CSS/XPath selectors
(``selectors:`` in sources.yaml): a new site is configuration, not code."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from parsel import Selector
from scrapy.http import Response

from crawlers.extract.common import PageRejected
from crawlers.extract.pages import explain_empty_page
from crawlers.extract.selectors import ad_from_selectors, item_links, next_page, validate_selectors
from crawlers.spiders.base import LurewatchSpider
from lurewatch.config import ConfigError, Selectors
from lurewatch.record import Ad


class SelectorsSpider(LurewatchSpider):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.source.selectors is None:
            raise ConfigError(f"source {self.source.name}: a selectors source needs selectors")
        try:
            validate_selectors(self.source.selectors)
        except ValueError as exc:
            raise ConfigError(f"source {self.source.name}: {exc}") from exc
        self.selectors: Selectors = self.source.selectors

    def _page(self, response: Response) -> str | None:
        try:
            return self.page_text(response)
        except PageRejected as rejected:
            self.reject(rejected.reason, f"{response.url}: {rejected.detail}")
            return None

    def detail_callback(self) -> Callable[[Response], Iterator[Any]]:
        return self.parse_item

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """A list page: follow item links not yet stored, then the next page."""
        self.fetched(response)
        text = self._page(response)
        if text is None:
            return
        selector = Selector(text=text)
        links = item_links(selector, self.selectors, response.url)
        if not links:
            # The layout changed, the selectors were wrong, or a wall stands in the way.
            refused = explain_empty_page(text, "selectors_matched_nothing",
                                         "item_link found nothing")
            self.reject(refused.reason, f"{response.url}: {refused.detail}")
            return
        unseen = self.not_yet_stored(links)
        for url in unseen:
            if self.page_budget_left():
                yield self.request(url, self.parse_item)
        following = next_page(selector, self.selectors, response.url)
        known_page = all(self.is_seen(url) for url in links)
        if following and self.page_budget_left() and not (known_page and self.stop_at_seen):
            yield self.request(following, self.parse)

    def parse_item(self, response: Response) -> Iterator[Any]:
        self.fetched(response)
        text = self._page(response)
        if text is None:
            return
        yield from self.extract(response, lambda: self._ad(text, response.url))

    def _ad(self, text: str, url: str) -> list[Ad]:
        try:
            return [ad_from_selectors(Selector(text=text), self.selectors, self.context(url))]
        except PageRejected as rejected:
            raise explain_empty_page(text, rejected.reason, rejected.detail) from rejected
