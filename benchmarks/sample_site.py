"""A generated job board of any size, served on loopback, for the crawl benchmarks.

The bundled sample board (``crawlers/sample_sites``) has a few dozen pages: too few to
time a crawl by. This board repeats its 24 postings with the details that vary between
real re-posts changed (reference number, pay, date), in the same schema.org shapes
(plain, ``@graph``, array, HTML-escaped JSON-LD), so extraction, normalising, scoring
and clustering do their usual work on every page. Listing pages carry an ItemList and a
``rel="next"`` link, as on the bundled board; every page is rendered before the server
starts, so serving costs the crawlers sharing the CPUs as little as it can.
"""

from __future__ import annotations

import contextlib
import html
import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from crawlers.sample_sites.server import board_content, jsonld_scripts
from crawlers.sample_sites.serving import serving
from lurewatch.config import Source

LISTING_SIZE = 20
SOURCE_NAME = "generated-board"
ROBOTS = b"User-agent: *\nDisallow: /board/private/\n"


def generated_postings(count: int) -> Iterator[dict[str, Any]]:
    """``count`` postings: the bundled board's, repeated with their details changed."""
    templates = board_content()["postings"]
    for number in range(count):
        posting = dict(templates[number % len(templates)])
        posting["slug"] = f"{posting['slug']}-{number}"
        posting["title"] = f"{posting['title']} (ref {number})"
        # Microdata postings would need the bundled board's templates; JSON-LD says the same.
        if posting.get("shape") == "microdata":
            posting["shape"] = "plain"
        posting["date"] = f"2026-11-{number % 28 + 1:02d}{posting['date'][10:]}"
        posting["description"] = (f"{posting['description']}\n<p>Ref. KH-{number:06d}, "
                                  f"{number % 9 + 1} kekosongan.</p>")
        yield posting


def _page(title: str, head: str, body: str) -> bytes:
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            f"</title>{head}</head><body>{body}</body></html>").encode()


def render_board(base: str, count: int) -> dict[str, bytes]:
    """Every page of a ``count``-posting board at ``base``, by path."""
    pages: dict[str, bytes] = {"/robots.txt": ROBOTS}
    postings = list(generated_postings(count))
    listings = (count + LISTING_SIZE - 1) // LISTING_SIZE
    for page in range(1, listings + 1):
        shown = postings[(page - 1) * LISTING_SIZE: page * LISTING_SIZE]
        urls = [f"{base}/board/job/{p['slug']}" for p in shown]
        item_list = json.dumps({"@context": "https://schema.org", "@type": "ItemList",
                                "itemListElement": [{"@type": "ListItem", "position": i + 1,
                                                     "url": url} for i, url in enumerate(urls)]})
        head = f'<script type="application/ld+json">{item_list}</script>'
        links = "".join(f'<li><a href="{url}">{html.escape(p["title"])}</a></li>'
                        for url, p in zip(urls, shown, strict=True))
        body = f"<h1>Jawatan kosong</h1><ul>{links}</ul>"
        if page < listings:
            next_url = f"{base}/board/jobs?page={page + 1}"
            head += f'<link rel="next" href="{next_url}">'
            body += f'<a rel="next" href="{next_url}">Seterusnya</a>'
        pages["/board/jobs" if page == 1 else f"/board/jobs?page={page}"] = _page(
            f"Jawatan kosong {page}", head, body)
    for posting, url in ((p, f"{base}/board/job/{p['slug']}") for p in postings):
        scripts = "".join(f'<script type="application/ld+json">{script}</script>'
                          for script in jsonld_scripts(posting, url))
        pages[url.removeprefix(base)] = _page(
            posting["title"], scripts,
            f"<h1>{html.escape(posting['title'])}</h1>{posting['description']}")
    return pages


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = self.server.pages.get(self.path)
        self.send_response(200 if body is not None else 404)
        kind = "text/plain" if self.path == "/robots.txt" else "text/html; charset=utf-8"
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body or b"")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    pages: dict[str, bytes]


@contextmanager
def serve_generated_board(count: int) -> Iterator[str]:
    """Serve a ``count``-posting board on ``127.0.0.1`` (a free port); yield its base URL."""
    server = _Server(("127.0.0.1", 0), _Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    server.pages = render_board(base, count)
    with serving(server, "generated-board"):
        yield base


def board_source(base: str, count: int) -> Source:
    """The Lurewatch source for the board: every listing page and posting within budget."""
    listings = (count + LISTING_SIZE - 1) // LISTING_SIZE
    return Source(name=SOURCE_NAME, kind="jsonld", start_urls=[f"{base}/board/jobs"],
                  country="MY", local_test=True, max_pages=count + listings + 1)
