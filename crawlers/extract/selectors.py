"""Boards without structured data: fields read with per-source CSS or XPath selectors."""

from __future__ import annotations

from urllib.parse import urljoin

from parsel import Selector, SelectorList
from parsel.csstranslator import HTMLTranslator

from crawlers.extract.common import (
    OG_IMAGE_XPATH,
    PageRejected,
    html_to_text,
    image_urls,
    parse_datetime,
)
from crawlers.extract.jsonld import PageContext
from lurewatch.config import Selectors
from lurewatch.record import Ad

_FIELDS = ("item_link", "title", "body", "date", "employer", "location", "next_page")


def is_xpath(expression: str) -> bool:
    return expression.lstrip().startswith(("/", "(", "./"))


def select(selector: Selector, expression: str) -> SelectorList[Selector]:
    """CSS (parsel's ``::text`` / ``::attr()`` included) or XPath when it starts with ``/``."""
    if is_xpath(expression):
        return selector.xpath(expression)
    return selector.css(expression)


def validate_selectors(selectors: Selectors) -> None:
    """Compile every selector once; raises ``ValueError`` naming the bad key."""
    probe = Selector(text="<html><body></body></html>")
    translator = HTMLTranslator()
    for name in _FIELDS:
        expression = getattr(selectors, name)
        if expression is None:
            continue
        try:
            if not is_xpath(expression):
                translator.css_to_xpath(expression)
            select(probe, expression)
        except Exception as exc:  # parsel/cssselect/lxml each raise their own kinds
            raise ValueError(f"selectors.{name}: {expression!r} is not a valid selector "
                             f"({exc.__class__.__name__}: {exc})") from exc


def _joined_text(found: SelectorList[Selector]) -> str:
    """Text of what a selector matched: plain strings as they are, elements as text."""
    parts = []
    for item in found:
        value = item.get()
        parts.append(html_to_text(value) if value.lstrip().startswith("<") else value.strip())
    return "\n".join(p for p in parts if p).strip()


def item_links(selector: Selector, selectors: Selectors, page_url: str) -> list[str]:
    return [urljoin(page_url, href.strip()) for href in
            select(selector, selectors.item_link).getall() if href.strip()]


def next_page(selector: Selector, selectors: Selectors, page_url: str) -> str | None:
    if not selectors.next_page:
        return None
    href = select(selector, selectors.next_page).get()
    return urljoin(page_url, href.strip()) if href and href.strip() else None


def ad_from_selectors(selector: Selector, selectors: Selectors, page: PageContext) -> Ad:
    """The record a detail page gives; :class:`PageRejected` (``selectors_matched_nothing``)
    when title and body both come out empty, the sign of a changed layout."""
    title = _joined_text(select(selector, selectors.title))
    body = _joined_text(select(selector, selectors.body))
    if not title and not body:
        raise PageRejected("selectors_matched_nothing", page.url)

    def optional(expression: str | None) -> str | None:
        return _joined_text(select(selector, expression)) or None if expression else None

    return Ad(source=page.source, url=page.url, platform="web", title=title, text=body,
              posted_at=parse_datetime(optional(selectors.date)),
              employer=optional(selectors.employer), location=optional(selectors.location),
              country=page.country, language=page.language,
              images=image_urls(selector.xpath(OG_IMAGE_XPATH).getall(), page.url))
