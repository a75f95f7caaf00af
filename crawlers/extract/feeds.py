"""RSS and Atom feeds (feedparser), and the ``<jobs><job>`` XML feeds job aggregators
(Talent.com, Indeed-style) read."""

from __future__ import annotations

from typing import Any

import feedparser
import lxml.etree

from crawlers.extract.common import (
    PageRejected,
    first_line,
    html_to_text,
    image_urls,
    parse_datetime,
)
from crawlers.extract.jsonld import PageContext
from lurewatch.record import Ad

# Aggregator feed tag -> record field; first tag present wins.
_JOB_FEED_TAGS = {
    "title": ("title", "name", "jobtitle"),
    "url": ("url", "link", "applyurl"),
    "text": ("description", "content", "summary"),
    "date": ("date", "pubdate", "posted_at", "dateposted", "created"),
    "employer": ("company", "companyname", "employer"),
    "location": ("city", "location", "region", "state"),
    "country": ("country",),
    "id": ("referencenumber", "id", "guid", "jobid"),
}


def _clean(value: str) -> str:
    value = value.strip()
    return html_to_text(value) if "<" in value else value


def _entry_to_ad(entry: Any, page: PageContext) -> Ad | None:
    link = entry.get("link") or page.url
    guid = entry.get("id") or link
    summary = entry.get("summary") or ""
    if entry.get("content"):
        summary = entry["content"][0].get("value") or summary
    text = _clean(summary)
    title = _clean(entry.get("title") or "") or first_line(text)
    if not title and not text:
        return None
    author = entry.get("author") or None
    return Ad(source=page.source, url=link, platform="rss", post_id=guid,
              posted_at=parse_datetime(entry.get("published") or entry.get("updated")),
              title=title, text=text, employer=author, country=page.country,
              language=page.language, images=image_urls(_entry_images(entry), link))


def _entry_images(entry: Any) -> list[Any]:
    """Image enclosures and Media RSS ``media:content``/``media:thumbnail`` of an entry."""
    enclosures = [e.get("href") for e in entry.get("enclosures") or []
                  if str(e.get("type") or "").startswith("image/")]
    media = [m.get("url") for m in entry.get("media_content") or []
             if str(m.get("medium") or m.get("type") or "image").startswith("image")]
    thumbnails = [t.get("url") for t in entry.get("media_thumbnail") or []]
    return [*enclosures, *media, *thumbnails]


def _job_feed(root: lxml.etree._Element, page: PageContext) -> list[Ad]:
    ads = []
    for job in root.iter("job"):
        fields: dict[str, str] = {}
        children = {str(child.tag).lower(): (child.text or "") for child in job
                    if isinstance(child.tag, str)}
        for name, tags in _JOB_FEED_TAGS.items():
            fields[name] = next((children[t].strip() for t in tags if children.get(t, "").strip()),
                                "")
        post_id = fields["id"] or job.get("id") or fields["url"]
        if not post_id or not (fields["title"] or fields["text"]):
            continue
        country = fields["country"].upper() if len(fields["country"]) == 2 else None
        location = ", ".join(p for p in (fields["location"], fields["country"] if not country
                                         else "") if p) or None
        ads.append(Ad(source=page.source, url=fields["url"] or page.url, platform="rss",
                      post_id=post_id, title=_clean(fields["title"]), text=_clean(fields["text"]),
                      posted_at=parse_datetime(fields["date"]), employer=fields["employer"] or None,
                      location=location, country=country or page.country,
                      language=page.language))
    return ads


def parse_feed(body: bytes, page: PageContext) -> list[Ad]:
    """Records from a feed. feedparser reads RSS/Atom even when not well-formed; a root
    ``<jobs>``/``<source>`` with ``<job>`` items is read as an aggregator job feed."""
    try:
        root = lxml.etree.fromstring(body, lxml.etree.XMLParser(recover=True,
                                                                 resolve_entities=False,
                                                                 no_network=True))
    except lxml.etree.XMLSyntaxError:
        root = None
    if root is not None and root.find(".//job") is not None and root.tag in ("jobs", "source"):
        return _job_feed(root, page)
    parsed = feedparser.parse(body)
    if not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise PageRejected("not_a_feed", str(problem)[:200] if problem else "no entries")
    return [ad for ad in (_entry_to_ad(e, page) for e in parsed.entries) if ad is not None]
