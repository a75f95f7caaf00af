"""schema.org JobPosting (JSON-LD and microdata, read by extruct) into records."""

from __future__ import annotations

import copy
import html
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import lxml.html
from extruct.jsonld import JsonLdExtractor
from extruct.w3cmicrodata import MicrodataExtractor

from classifiers.salary import monthly_usd
from crawlers.extract.common import (
    OG_IMAGE_XPATH,
    PageRejected,
    html_to_text,
    image_urls,
    parse_datetime,
)
from lurewatch.record import Ad, Salary, canonical_url

SCHEMA_PERIODS = {"HOUR": "hour", "DAY": "day", "WEEK": "week", "MONTH": "month",
                  "YEAR": "year", "ANNUAL": "year", "YEARLY": "year", "MONTHLY": "month"}
MAX_NODES = 10_000  # a page with more JSON-LD nodes than this is not a job page


@dataclass(frozen=True)
class PageContext:
    """Where a page came from, for building records."""

    url: str
    source: str
    country: str | None = None
    language: str | None = None


@dataclass
class StructuredData:
    """What a page says in schema.org terms."""

    postings: list[dict[str, Any]]
    item_urls: list[str]
    bad_blocks: int


# A page's industry or occupation is a short label; more is not a label.
MAX_SECTOR_CHARS = 200


def _nodes(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every schema.org node in a JSON-LD value: unwraps arrays and ``@graph``."""
    if depth > 20:
        return
    if isinstance(value, list):
        for item in value:
            yield from _nodes(item, depth + 1)
    elif isinstance(value, dict):
        yield value
        if "@graph" in value:
            yield from _nodes(value["@graph"], depth + 1)


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type") or node.get("type") or []
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).rsplit("/", 1)[-1] for k in kinds}


def _jsonld_blocks(root: lxml.html.HtmlElement) -> tuple[list[Any], int]:
    """Each JSON-LD script parsed on its own, so one broken block spoils only itself."""
    extractor = JsonLdExtractor()
    blocks: list[Any] = []
    bad = 0
    for script in root.xpath('//script[@type="application/ld+json"]'):
        holder = lxml.html.Element("div")
        holder.append(copy.deepcopy(script))
        try:
            blocks.extend(extractor.extract_items(holder))
        except (ValueError, TypeError, RecursionError):
            bad += 1
    return blocks, bad


def _microdata_nodes(root: lxml.html.HtmlElement, url: str) -> list[dict[str, Any]]:
    items = MicrodataExtractor().extract_items(root, url)
    nodes: list[dict[str, Any]] = []
    for item in items:
        node = dict(item.get("properties", {}))
        node["@type"] = item.get("type")
        nodes.append(_flatten_microdata(node))
    return nodes


def _flatten_microdata(value: Any) -> Any:
    """Microdata nests ``{"type": ..., "properties": {...}}``: make it JSON-LD shaped."""
    if isinstance(value, dict):
        if "properties" in value and "type" in value:
            inner = {k: _flatten_microdata(v) for k, v in value["properties"].items()}
            inner["@type"] = value["type"]
            return inner
        return {k: _flatten_microdata(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_flatten_microdata(v) for v in value]
    return value


def read_structured_data(root: lxml.html.HtmlElement, url: str) -> StructuredData:
    """JobPostings and ItemList entries (links to postings) of a parsed page."""
    blocks, bad = _jsonld_blocks(root)
    nodes = list(_nodes(blocks))[:MAX_NODES] + _microdata_nodes(root, url)
    postings = [n for n in nodes if "JobPosting" in _types(n)]
    item_urls: list[str] = []
    for node in nodes:
        if "ItemList" not in _types(node):
            continue
        elements = node.get("itemListElement") or []
        for element in elements if isinstance(elements, list) else [elements]:
            if isinstance(element, dict):
                target = element.get("url") or element.get("item")
                if isinstance(target, dict):
                    target = target.get("url") or target.get("@id")
                if isinstance(target, str):
                    item_urls.append(urljoin(url, target))
    return StructuredData(postings, item_urls, bad)


def _text(value: Any) -> str:
    """A schema.org text value: may be a list, a ``{"@value": ...}``, or HTML-escaped."""
    if isinstance(value, list):
        value = next((v for v in value if v), "")
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name") or ""
    if value is None:
        return ""
    return html.unescape(str(value)).strip()


def _description(value: Any) -> str:
    raw = _text(value)  # unescaped once: "&lt;p&gt;" becomes "<p>", "&amp;amp;" stays "&amp;"
    return html_to_text(raw) if "<" in raw else raw


def _employer(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return _text(value.get("name")) or None
    return _text(value) or None


def _places(value: Any) -> list[dict[str, Any]]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, dict)]


def _address_parts(place: dict[str, Any]) -> tuple[list[str], str | None]:
    address = place.get("address", place)
    if isinstance(address, list):
        address = address[0] if address else {}
    if isinstance(address, str):
        return [address.strip()], None
    if not isinstance(address, dict):
        return [], None
    parts = [_text(address.get(key)) for key in
             ("addressLocality", "addressRegion")]
    country = address.get("addressCountry")
    country_text = _text(country.get("name") if isinstance(country, dict) else country)
    code = country_text.upper() if len(country_text) == 2 and country_text.isalpha() else None
    if country_text and code is None:
        parts.append(country_text)  # a country name, not a code: keep it readable
    return [p for p in parts if p], code


def _location(value: Any) -> tuple[str | None, str | None]:
    texts, countries = [], []
    for place in _places(value):
        parts, code = _address_parts(place)
        if parts or code:
            texts.append(", ".join(parts + ([code] if code else [])))
        if code:
            countries.append(code)
    return ("; ".join(texts) or None), (countries[0] if countries else None)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", ""))
        except ValueError:
            return None
    return None


def _salary(value: Any) -> Salary | None:
    """``baseSalary``: a MonetaryAmount with a QuantitativeValue, a bare number, or text."""
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or value == "":
        return None
    if not isinstance(value, dict):
        return Salary(text=_text(value))
    currency = _text(value.get("currency")).upper() or None
    amount = value.get("value")
    unit = _text(value.get("unitText"))
    low = high = None
    if isinstance(amount, dict):
        unit = _text(amount.get("unitText")) or unit
        low = _number(amount.get("minValue"))
        high = _number(amount.get("maxValue"))
        single = _number(amount.get("value"))
        if single is not None:
            low = low if low is not None else single
            high = high if high is not None else single
        shown = _text(amount.get("value")) if single is None else ""
    else:
        low = high = _number(amount)
        shown = _text(amount) if low is None else ""
    if low is None and high is not None:
        low = high
    if high is None and low is not None:
        high = low
    period = SCHEMA_PERIODS.get(unit.upper()) if unit else None
    if low is None:
        text = shown or " ".join(filter(None, [currency, unit]))
    else:
        span = f"{low:,.0f}" if low == high else f"{low:,.0f}-{high:,.0f}"
        text = " ".join(filter(None, [currency, span, f"/{period}" if period else ""]))
    return Salary(text=text, amount_min=low, amount_max=high, currency=currency,
                  period=period, monthly_usd=monthly_usd(high, currency, period)
                  if currency and high else None)


def _images(value: Any) -> list[Any]:
    """``image``: a URL, an ImageObject (``contentUrl``/``url``), or a list of either."""
    values = value if isinstance(value, list) else [value]
    return [v.get("contentUrl") or v.get("url") if isinstance(v, dict) else v for v in values]


def og_images(root: lxml.html.HtmlElement) -> list[str]:
    """The page's Open Graph images (``og:image``, ``og:image:url``)."""
    return [str(v) for v in root.xpath(OG_IMAGE_XPATH)]


def posting_to_ad(node: dict[str, Any], page: PageContext, *, position: int | None,
                  page_images: list[str] | None = None) -> Ad:
    """One JobPosting node as a record. ``position`` is set when a page holds several
    postings: each then gets its own id (its ``url`` if distinct, else its position).
    ``page_images`` (the page's og:image) follow the posting's own ``image``."""
    description = _description(node.get("description"))
    title = _text(node.get("title")) or _text(node.get("name"))
    location, country = _location(node.get("jobLocation"))
    if location is None and node.get("jobLocationType"):
        location = _text(node.get("jobLocationType"))
    post_id = None
    if position is not None:
        own_url = urljoin(page.url, _text(node.get("url"))) if node.get("url") else ""
        distinct = own_url and own_url.rstrip("/") != page.url.rstrip("/")
        post_id = own_url if distinct else f"{canonical_url(page.url)}#{position}"
    return Ad(
        source=page.source,
        url=page.url,
        platform="web",
        post_id=post_id,
        posted_at=parse_datetime(_text(node.get("datePosted")) or None),
        title=title,
        text=description,
        language=page.language,
        country=country or page.country,
        location=location,
        employer=_employer(node.get("hiringOrganization")),
        # The page's own words for it; the scorer maps them onto the sector vocabulary.
        sector=(_text(node.get("industry"))
                or _text(node.get("occupationalCategory")))[:MAX_SECTOR_CHARS] or None,
        salary=_salary(node.get("baseSalary") or node.get("estimatedSalary")),
        images=image_urls([*_images(node.get("image")), *(page_images or [])], page.url),
    )


def job_postings(root: lxml.html.HtmlElement, page: PageContext) -> list[Ad]:
    """Records for every JobPosting on the page; :class:`PageRejected` (``bad_jsonld``)
    when the page's only structured data is broken."""
    data = read_structured_data(root, page.url)
    if not data.postings and data.bad_blocks:
        raise PageRejected("bad_jsonld", f"{data.bad_blocks} JSON-LD block(s) are not JSON")
    several = len(data.postings) > 1
    # One page-level og:image belongs to the page's only posting, not to each of several.
    page_images = [] if several else og_images(root)
    return [posting_to_ad(node, page, position=i if several else None, page_images=page_images)
            for i, node in enumerate(data.postings)]

