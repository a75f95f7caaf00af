"""One saved page in, records out: what ``lurewatch parse`` runs, with the spiders' code."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from parsel import Selector

from crawlers.extract.common import (
    PageRejected,
    decode_html,
    is_bot_challenge,
    is_login_wall,
    parse_html,
)
from crawlers.extract.feeds import parse_feed
from crawlers.extract.jsonld import PageContext, job_postings
from crawlers.extract.mastodon import parse_statuses
from crawlers.extract.selectors import ad_from_selectors
from crawlers.extract.telegram import parse_telegram_page
from lurewatch.config import Selectors
from lurewatch.record import Ad


@dataclass
class ParsedPage:
    kind: str
    records: list[Ad] = field(default_factory=list)


def _looks_like_json(body: bytes) -> bool:
    return body.lstrip()[:1] in (b"[", b"{")


def _looks_like_feed(head: bytes) -> bool:
    return any(tag in head for tag in (b"<rss", b"<feed", b"<rdf:RDF", b"<jobs", b"<source>"))


def explain_empty_page(text: str, reason: str, detail: str) -> PageRejected:
    """Why a page gave nothing. Only asked once extraction found nothing: real pages
    carry bot-check scripts and login links too, and must not be refused for them."""
    if is_bot_challenge(text):
        return PageRejected("bot_challenge", "a bot-check interstitial, not the page")
    if is_login_wall(text):
        return PageRejected("login_wall", "content behind a login; never logged into")
    return PageRejected(reason, detail)


def html_records(text: str, page: PageContext, selectors: Selectors | None = None) -> ParsedPage:
    """Records of an HTML page: Telegram preview, schema.org postings, else selectors."""
    if "tgme_widget_message" in text or "tgme_page" in text:
        return ParsedPage("telegram", parse_telegram_page(text, page).posts)
    records = job_postings(parse_html(text), page)
    if records:
        return ParsedPage("jsonld", records)
    if selectors is not None:
        try:
            return ParsedPage("selectors",
                              [ad_from_selectors(Selector(text=text), selectors, page)])
        except PageRejected as rejected:
            raise explain_empty_page(text, rejected.reason, rejected.detail) from rejected
    raise explain_empty_page(text, "no_job_posting", "no schema.org JobPosting on the page")


def parse_page(body: bytes, page: PageContext, content_type: str | None = None,
               selectors: Selectors | None = None) -> ParsedPage:
    """Records in a saved page (HTML, a Mastodon API response, or a feed).

    Raises :class:`PageRejected` with the reason the page gives nothing."""
    if not body.strip():
        raise PageRejected("empty_page")
    head = body[:2048].lstrip().lower()
    if _looks_like_json(body) or (content_type or "").startswith("application/json"):
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise PageRejected("bad_json", str(exc)[:200]) from exc
        return ParsedPage("mastodon", parse_statuses(data, page))
    if (head.startswith(b"<?xml") or _looks_like_feed(head[:512])) and b"<html" not in head:
        return ParsedPage("feed", parse_feed(body, page))
    return html_records(decode_html(body, content_type), page, selectors)
