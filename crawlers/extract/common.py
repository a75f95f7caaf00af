"""What every extractor needs: decoding hostile bytes, dates, plain text, rejections."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import charset_normalizer
import lxml.html
from dateutil import parser as date_parser
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, resolve_encoding

from classifiers.normalise import html_to_text

__all__ = ["PageRejected", "decode_html", "html_to_text", "parse_datetime", "parse_html",
           "first_line", "image_urls", "is_bot_challenge", "OG_IMAGE_XPATH"]

# Share of U+FFFD replacement characters above which a decoding is judged wrong.
MAX_REPLACEMENT_SHARE = 0.01
TITLE_FROM_TEXT_CHARS = 140
MAX_IMAGES = 10  # per record: a page listing a hundred thumbnails is not the ad
MAX_URL_CHARS = 2048
# The page's Open Graph images (og:image, og:image:url), for lxml and parsel alike.
OG_IMAGE_XPATH = '//meta[@property="og:image" or @property="og:image:url"]/@content'


class PageRejected(Exception):
    """A page that yields no records for a known reason (counted in the crawl stats)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
         (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def _strict(body: bytes, encoding: str | None) -> str | None:
    if not encoding:
        return None
    try:
        text = body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    if text.count("\ufffd") > MAX_REPLACEMENT_SHARE * max(len(text), 1):
        return None
    return text


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode a page the way its bytes, not its claims, allow.

    Order: byte-order mark; the HTTP header's charset; the ``<meta>`` declaration; a
    guess from the bytes. A claim is only believed if the bytes decode under it without
    errors, because servers lie (a Thai page in cp874 sent as ``charset=utf-8``).
    Raises :class:`PageRejected` (``undecodable``) when nothing reads cleanly.
    """
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type and not (media_type.startswith("text/") or "html" in media_type
                           or "xml" in media_type):
        raise PageRejected("not_html", f"content type {media_type}")
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            text = _strict(body, encoding)
            if text is not None:
                return text.lstrip("\ufeff")
    declared = [http_content_type_encoding(content_type) if content_type else None,
                html_body_declared_encoding(body[:4096])]
    for encoding in declared:
        text = _strict(body, resolve_encoding(encoding) if encoding else None)
        if text is not None:
            return text
    if not declared[0] and not declared[1]:
        text = _strict(body, "utf-8")
        if text is not None:
            return text
    best = charset_normalizer.from_bytes(body[:200_000]).best()
    if best is not None:
        text = _strict(body, best.encoding)
        if text is not None:
            return text
    raise PageRejected("undecodable", "no charset decodes the page cleanly")


def parse_html(text: str) -> lxml.html.HtmlElement:
    """An lxml tree of ``text``, or :class:`PageRejected` (``unparseable_html``)."""
    try:
        root = lxml.html.fromstring(text)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise PageRejected("unparseable_html", str(exc)) from exc
    return root


_OFFSET_WITHOUT_COLON = re.compile(r"([+-]\d{2})(\d{2})$")


def parse_datetime(value: object, *, dayfirst: bool = True) -> datetime | None:
    """A timezone-aware UTC datetime from what sites write, or None.

    Accepts ISO 8601 (with ``+0530`` offsets lacking the colon), RFC 822 dates, plain
    dates and ``dd/mm/yyyy``; naive values are taken as UTC.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        raw = _OFFSET_WITHOUT_COLON.sub(r"\1:\2", value.strip())
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            try:
                parsed = date_parser.parse(raw, dayfirst=dayfirst)
            except (ValueError, OverflowError):
                return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def first_line(text: str, limit: int = TITLE_FROM_TEXT_CHARS) -> str:
    """A title for a post that has none: its first non-empty line, shortened."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def image_urls(candidates: Iterable[object], base_url: str) -> list[str]:
    """The images of a record as absolute http(s) URLs, resolved against ``base_url``, in
    order, without repeats, at most :data:`MAX_IMAGES`; anything else (``data:``,
    ``javascript:``, non-strings, over-long) is dropped."""
    found: list[str] = []
    for candidate in candidates:
        if not isinstance(candidate, str) or not candidate.strip():
            continue
        url = urljoin(base_url, candidate.strip())
        parts = urlsplit(url)
        if (parts.scheme in ("http", "https") and parts.hostname and len(url) <= MAX_URL_CHARS
                and url not in found):
            found.append(url)
        if len(found) == MAX_IMAGES:
            break
    return found


_CHALLENGE_MARKERS = ("cf-browser-verification", "challenge-platform", "cf_chl_opt",
                      "Just a moment...", "Attention Required! | Cloudflare",
                      "captcha-delivery.com", "px-captcha")
_LOGIN_MARKERS = ('id="login_form"', "You must log in to continue")


def is_bot_challenge(text: str) -> bool:
    """A bot-check interstitial served instead of the page (never solved, only counted)."""
    head = text[:20_000]
    return any(marker in head for marker in _CHALLENGE_MARKERS)


def is_login_wall(text: str) -> bool:
    """A login form served instead of the content (never logged into, only counted)."""
    head = text[:50_000]
    return any(marker in head for marker in _LOGIN_MARKERS)
