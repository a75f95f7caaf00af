"""Mastodon (and Akkoma/Pleroma, same API) statuses into records."""

from __future__ import annotations

from typing import Any

from crawlers.extract.common import (
    PageRejected,
    first_line,
    html_to_text,
    image_urls,
    parse_datetime,
)
from crawlers.extract.jsonld import PageContext
from lurewatch.record import Ad, Contacts


def _status_to_ad(status: dict[str, Any], page: PageContext) -> Ad | None:
    if isinstance(status.get("reblog"), dict):
        status = status["reblog"]  # a boost: the record is what was boosted
    uri = status.get("uri") or status.get("url")
    if not isinstance(uri, str) or not status.get("id"):
        return None
    spoiler = html_to_text(status.get("spoiler_text") or "")
    text = html_to_text(status.get("content") or "")
    if spoiler:
        text = f"{spoiler}\n\n{text}".strip()
    card = status.get("card") if isinstance(status.get("card"), dict) else {}
    links = [u for u in [card.get("url")] if isinstance(u, str)]
    attachments = status.get("media_attachments")
    images = [a.get("url") for a in attachments if isinstance(a, dict)
              and a.get("type") in ("image", "gifv")] if isinstance(attachments, list) else []
    return Ad(
        source=page.source,
        url=status.get("url") or uri,
        platform="mastodon",
        post_id=uri,  # the status URI is global across servers; ids are per server
        posted_at=parse_datetime(status.get("created_at")),
        title=first_line(text),
        text=text,
        language=status.get("language") or page.language,
        country=page.country,
        contacts=Contacts(urls=links),
        images=image_urls(images, uri),
    )


def parse_statuses(data: Any, page: PageContext) -> list[Ad]:
    """Records from a timeline (a JSON array) or a single status (an object)."""
    if isinstance(data, dict) and "error" in data:
        raise PageRejected("api_error", str(data["error"])[:200])
    statuses = data if isinstance(data, list) else [data]
    if not all(isinstance(s, dict) for s in statuses):
        raise PageRejected("not_statuses", "expected a JSON array of status objects")
    return [ad for ad in (_status_to_ad(s, page) for s in statuses) if ad is not None]


def next_link(link_header: str | None) -> str | None:
    """The ``rel="next"`` URL of a Mastodon ``Link`` header."""
    for part in (link_header or "").split(","):
        url, _, params = part.partition(";")
        if 'rel="next"' in params.replace(" ", ""):
            return url.strip().strip("<>")
    return None
