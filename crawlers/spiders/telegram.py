"""Public Telegram channels through the web preview ``https://t.me/s/<channel>``,
paging back with ``?before=<id>`` until posts already stored, the source's
``max_age_days`` or ``max_pages``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from scrapy.http import Response

from crawlers.extract.common import PageRejected
from crawlers.extract.telegram import parse_telegram_page
from crawlers.spiders.base import LurewatchSpider


def page_before(url: str, before: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=f"before={before}"))


class TelegramSpider(LurewatchSpider):
    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        self.fetched(response)
        try:
            page = parse_telegram_page(self.page_text(response), self.context(response.url))
        except PageRejected as rejected:
            self.reject(rejected.reason, f"{response.url}: {rejected.detail}")
            return
        yield from self.emit(page.posts)
        if page.before is None or not self.page_budget_left():
            return
        known = [p for p in page.posts
                 if self.is_seen(platform="telegram", post_id=p.post_id)]
        if known and self.stop_at_seen:
            return  # reached what the last finished run stored
        if self.source.max_age_days and page.posts:
            oldest = min((p.posted_at for p in page.posts if p.posted_at), default=None)
            limit = datetime.now(UTC) - timedelta(days=self.source.max_age_days)
            if oldest is not None and oldest < limit:
                return
        yield self.request(page_before(response.url, page.before), self.parse)
