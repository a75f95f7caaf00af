"""Boards without structured data, read with the source's CSS/XPath selectors
(``selectors:`` in sources.yaml): a new site is configuration, not code."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from parsel import Selector
from scrapy.http import Response

from crawlers.extract.common import PageRejected
from crawlers.extract.pages import check_html_page
from crawlers.extract.selectors import ad_from_selectors, item_links, next_page, validate_selectors
from crawlers.spiders.base import LurewatchSpider
from lurewatch.config import ConfigError, Selectors


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

    def _selector(self, response: Response) -> Selector | None:
        try:
            text = self.page_text(response)
            check_html_page(text)
        except PageRejected as rejected:
            self.reject(rejected.reason, f"{response.url}: {rejected.detail}")
            return None
        return Selector(text=text)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """A list page: follow item links not yet stored, then the next page."""
        self.fetched(response)
        selector = self._selector(response)
        if selector is None:
            return
        links = item_links(selector, self.selectors, response.url)
        if not links:
            # The layout changed, or the selectors were wrong from the start.
            self.reject("selectors_matched_nothing", f"{response.url}: item_link found nothing")
            return
        unseen = [url for url in links if not self.is_seen(url)]
        self.inc("already_seen", len(links) - len(unseen))
        for url in unseen:
            if self.page_budget_left():
                yield self.request(url, self.parse_item)
        following = next_page(selector, self.selectors, response.url)
        if following and self.page_budget_left() and (unseen or not self.stop_at_seen):
            yield self.request(following, self.parse)

    def parse_item(self, response: Response) -> Iterator[Any]:
        self.fetched(response)
        selector = self._selector(response)
        if selector is None:
            return
        yield from self.extract(response, lambda: [
            ad_from_selectors(selector, self.selectors, self.context(response.url))])
