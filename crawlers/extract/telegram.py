"""Telegram public channel web previews (``https://t.me/s/<channel>``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from parsel import Selector

from crawlers.extract.common import (
    PageRejected,
    first_line,
    html_to_text,
    image_urls,
    parse_datetime,
)
from crawlers.extract.jsonld import PageContext
from lurewatch.record import Ad, Contacts

_VIEWS = re.compile(r"^([\d.,]+)\s*([KkMm]?)$")


@dataclass(frozen=True)
class TelegramPage:
    """Posts on one preview page, oldest first, and the id to page back from."""

    posts: list[Ad]
    before: int | None


def parse_views(text: str | None) -> int | None:
    """``"4.4K"`` -> 4400."""
    match = _VIEWS.match((text or "").strip())
    if not match:
        return None
    number = float(match.group(1).replace(",", ""))
    return int(number * {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()])


_BACKGROUND_URL = re.compile(r"background-image:\s*url\(['\"]?([^'\")]+)['\"]?\)")


def _photo_urls(message: Selector) -> list[str]:
    """Photos of a preview post: their URL is in the wrapper's inline style."""
    styles = message.css(".tgme_widget_message_photo_wrap::attr(style)").getall()
    return [match.group(1) for style in styles if (match := _BACKGROUND_URL.search(style))]


def _post(message: Selector, page: PageContext) -> Ad | None:
    data_post = message.attrib.get("data-post", "")
    channel, _, number = data_post.rpartition("/")
    if not channel or not number.isdigit():
        return None
    text_html = message.css(".tgme_widget_message_text").get()
    text = html_to_text(text_html) if text_html else ""
    when: datetime | None = parse_datetime(
        message.css(".tgme_widget_message_date time::attr(datetime)").get())
    links = [href for href in message.css(".tgme_widget_message_text a::attr(href)").getall()
             if href.startswith(("http://", "https://"))]
    forwarded = " ".join(t.strip() for t in message.css(
        ".tgme_widget_message_forwarded_from_name ::text").getall()).strip()
    return Ad(
        source=page.source,
        url=f"https://t.me/{channel}/{number}",
        platform="telegram",
        post_id=f"{channel}/{number}",
        posted_at=when,
        title=first_line(text),
        text=text,
        language=page.language,
        country=page.country,
        contacts=Contacts(urls=links),
        views=parse_views(message.css(".tgme_widget_message_views::text").get()),
        forwarded_from=forwarded or None,
        images=image_urls(_photo_urls(message), f"https://t.me/{channel}/{number}"),
    )


def parse_telegram_page(html: str, page: PageContext) -> TelegramPage:
    """Posts of a ``t.me/s/<channel>`` page. A channel *landing* page (``t.me/<channel>``
    without ``/s/``) or a group page has no posts: :class:`PageRejected` (``no_preview``)."""
    selector = Selector(text=html)
    messages = selector.css(".tgme_widget_message[data-post]")
    if not messages:
        raise PageRejected("no_preview", "no tgme_widget_message posts (not a /s/ preview?)")
    posts = [ad for ad in (_post(m, page) for m in messages) if ad is not None]
    before = selector.css("a.tme_messages_more::attr(data-before)").get()
    return TelegramPage(sorted(posts, key=lambda a: int(a.post_id.rsplit("/", 1)[1])),
                        int(before) if before and before.isdigit() else None)
