"""The bundled sample sites, served on loopback for tests, the demo and benchmarks.

One HTTP server hosts five sites under different path prefixes:

========================  ==========================================================
``/board/``               job board with schema.org JobPosting (JSON-LD, microdata),
                          listing pages with an ItemList, a sitemap, hostile pages
``/classifieds/``         a board without structured data (read with CSS selectors)
``/telegram/s/<name>``    a Telegram channel web preview, paged with ``?before=``
``/mastodon/api/v1/``     Mastodon's public timelines API (``max_id`` + ``Link``)
``/feeds/jobs.rss``       an RSS 2.0 feed
``/facebook/<page>``      a login wall, as Facebook now answers logged-out visitors
========================  ==========================================================

``layout="changed"`` (or :meth:`SampleSites.set_layout` at run time) serves the board
and the classifieds after a "redesign": the JSON-LD is gone and CSS classes are renamed,
so extraction breaks silently while every page still answers 200.
"""

from __future__ import annotations

import contextlib
import email.utils
import html
import json
import struct
import threading
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urljoin, urlsplit

import jinja2
import yaml

from crawlers.sample_sites.serving import serving

HERE = Path(__file__).resolve().parent
Layout = Literal["normal", "changed"]
BOARD_PAGE_SIZE = 8
CLASSIFIEDS_PAGE_SIZE = 3
TELEGRAM_PAGE_SIZE = 6
MASTODON_MAX_LIMIT = 4  # small on purpose, so paging is exercised
HOSTILE_PAGES = (
    "thai-cp874", "chinese-gb18030", "japanese-shift-jis", "utf16-bom", "wrong-charset-header",
    "truncated", "huge", "bad-jsonld", "deep-nesting", "not-html",
)
# The second board listing page answers 429 once per server, to exercise Retry-After.
THROTTLED_ONCE = "/board/jobs?page=2"
HUGE_PAGE_BYTES = 11 * 1024 * 1024
PAGE_HOLD_LIMIT = 120.0  # seconds a held page waits at most, so a broken test cannot hang
# Pictures the board and the Mastodon server show (a solid colour each), and one too big
# for the review application's image proxy.
SAMPLE_IMAGES = {"kilang.png": (200, 120, (200, 60, 40)), "dubai.png": (160, 160, (40, 90, 200))}
HUGE_IMAGE_BYTES = 6 * 1024 * 1024
# Record ids come from URLs, so runs that must meet the same records again (the demo run
# twice, a restarted monitor) serve the sample sites on this port, not on a free one.
STABLE_PORT = 8765

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=jinja2.select_autoescape(("html", "xml")),
    undefined=jinja2.StrictUndefined,
)


@cache
def board_content() -> dict[str, Any]:
    """The job board's postings (``content/board.yaml``), ground truth included."""
    return yaml.safe_load((HERE / "content" / "board.yaml").read_text(encoding="utf-8"))


@cache
def social_content() -> dict[str, Any]:
    """Classifieds, Telegram, Mastodon and RSS content (``content/social.yaml``)."""
    return yaml.safe_load((HERE / "content" / "social.yaml").read_text(encoding="utf-8"))


# --- schema.org JobPosting ------------------------------------------------------------

def _place(location: dict[str, str]) -> dict[str, Any]:
    address = {"@type": "PostalAddress", "addressLocality": location["locality"],
               "addressCountry": location["country"]}
    if "region" in location:
        address["addressRegion"] = location["region"]
    return {"@type": "Place", "address": address}


def _salary(salary: dict[str, Any] | str) -> dict[str, Any] | str:
    if isinstance(salary, str):
        return salary  # boards do put free text here
    value: dict[str, Any] = {"@type": "QuantitativeValue", "unitText": salary["unit"]}
    if "value" in salary:
        value["value"] = salary["value"]
    else:
        value.update(minValue=salary["min"], maxValue=salary["max"])
    return {"@type": "MonetaryAmount", "currency": salary["currency"], "value": value}


def job_posting(posting: dict[str, Any], url: str, *, escape_html: bool = False) -> dict[str, Any]:
    """The JobPosting node a board publishes for one posting."""
    description = posting["description"].strip()
    node: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": posting["title"],
        "description": html.escape(description) if escape_html else description,
        "datePosted": posting["date"],
        "employmentType": "FULL_TIME",
        "url": url,
    }
    employer = posting.get("employer")
    if isinstance(employer, dict):
        org = {"@type": "Organization", "name": employer["name"]}
        if "url" in employer:
            org["sameAs"] = employer["url"]
        node["hiringOrganization"] = org
    elif employer:
        node["hiringOrganization"] = employer
    places = [_place(loc) for loc in posting["locations"]]
    node["jobLocation"] = places[0] if len(places) == 1 else places
    if "salary" in posting:
        node["baseSalary"] = _salary(posting["salary"])
    if "image" in posting:
        node["image"] = {"@type": "ImageObject", "contentUrl": urljoin(url, posting["image"])}
    return node


def jsonld_scripts(posting: dict[str, Any], url: str) -> list[str]:
    """The ``<script type="application/ld+json">`` bodies for a posting's ``shape``."""
    shape = posting.get("shape", "plain")
    node = job_posting(posting, url, escape_html=shape == "escaped")
    breadcrumb = {"@context": "https://schema.org", "@type": "BreadcrumbList",
                  "itemListElement": [{"@type": "ListItem", "position": 1, "name": "Jobs",
                                       "item": url.rsplit("/job/", 1)[0] + "/jobs"}]}
    if shape == "microdata":
        return []
    if shape == "graph":
        node.pop("@context")
        payload: Any = {"@context": "https://schema.org",
                        "@graph": [{"@type": "WebSite", "name": "KerjaHub"}, node]}
    elif shape == "array":
        payload = [breadcrumb, node]
    else:
        payload = node
    # Escape "</" so a description can never close the script element early.
    return [json.dumps(payload, ensure_ascii=False, indent=1).replace("</", "<\\/")]


def microdata_location(posting: dict[str, Any]) -> dict[str, str]:
    return posting["locations"][0]


# --- the server -------------------------------------------------------------------------

class SampleSites(str):
    """What :func:`serve_sample_sites` yields: the base URL (it *is* the ``str``
    ``http://127.0.0.1:PORT``), with a few handles for tests and the monitor."""

    layout: Layout
    hits: Counter[str]
    # Postings answered 410 Gone, and descriptions edited: what a re-crawl should notice.
    taken_down: set[str]
    edited: dict[str, str]
    _throttled: set[str]
    _lock: threading.Lock
    _pages_open: threading.Event

    def __new__(cls, base_url: str) -> SampleSites:
        site = super().__new__(cls, base_url)
        site.layout = "normal"
        site.hits = Counter()
        site.taken_down = set()
        site.edited = {}
        site._throttled = set()
        site._lock = threading.Lock()
        site._pages_open = threading.Event()
        site._pages_open.set()
        return site

    @property
    def base_url(self) -> str:
        return str(self)

    def set_layout(self, layout: Layout) -> None:
        """Switch the board and classifieds layout while the server runs."""
        if layout not in ("normal", "changed"):
            raise ValueError(f"unknown layout {layout!r}; expected 'normal' or 'changed'")
        self.layout = layout

    def hold_pages(self) -> None:
        """Hold every answer but ``robots.txt`` until :meth:`release_pages` (at most
        ``PAGE_HOLD_LIMIT`` seconds), so a test can start several crawlers on an even
        footing."""
        self._pages_open.clear()

    def release_pages(self) -> None:
        self._pages_open.set()

    def wait_while_held(self) -> None:
        self._pages_open.wait(timeout=PAGE_HOLD_LIMIT)

    def count_hit(self, path: str) -> None:
        with self._lock:
            self.hits[path] += 1

    def throttle_first(self, path: str) -> bool:
        """True the first time ``path`` is asked for (the server answers 429 then)."""
        with self._lock:
            if path in self._throttled:
                return False
            self._throttled.add(path)
            return True


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def _html(template: str, **context: Any) -> Reply:
    return Reply(200, _templates.get_template(template).render(**context).encode("utf-8"))


def _not_found() -> Reply:
    return Reply(404, b"<html><body><h1>404 Not Found</h1></body></html>")


class _Routes:
    """Maps a request path to a :class:`Reply`; one instance per request."""

    def __init__(self, site: SampleSites, path: str, query: dict[str, list[str]]) -> None:
        self.site = site
        self.base = site.base_url
        self.path = path
        self.query = query

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def reply(self) -> Reply:
        path = self.path
        if path == "/robots.txt":
            return Reply(200, _templates.get_template("robots.txt").render(base=self.base)
                         .encode(), "text/plain; charset=utf-8")
        if path == "/board/jobs":
            return self.board_listing()
        if path == "/board/sitemap.xml":
            return self.board_sitemap()
        if path.startswith("/board/job/"):
            return self.board_job(path.removeprefix("/board/job/"))
        if path == f"/board/company/{board_content()['multi']['slug']}":
            return self.board_multi()
        if path.startswith("/board/hostile/"):
            return hostile_page(path.removeprefix("/board/hostile/"), self.base)
        if path.startswith("/board/images/"):
            return sample_image(path.removeprefix("/board/images/"))
        if path.startswith("/board/private/"):
            return _html("private.html")
        if path in ("/classifieds/", "/classifieds"):
            return self.classifieds_listing()
        if path.startswith("/classifieds/ad/"):
            return self.classifieds_ad(path.removeprefix("/classifieds/ad/"))
        if path.startswith("/telegram/s/"):
            return self.telegram(path.removeprefix("/telegram/s/"))
        if path.startswith("/mastodon/api/v1/timelines/"):
            return self.mastodon(path.removeprefix("/mastodon/api/v1/timelines/"))
        if path == "/feeds/jobs.rss":
            return self.rss()
        if path.startswith("/facebook/"):
            return self.facebook(path.removeprefix("/facebook/"))
        return _not_found()

    # -- board -----------------------------------------------------------------------

    def job_url(self, slug: str) -> str:
        return f"{self.base}/board/job/{slug}"

    def board_listing(self) -> Reply:
        postings = board_content()["postings"]
        try:
            page = int(self.arg("page", "1") or "1")
        except ValueError:
            return Reply(400, b"bad page")
        pages = (len(postings) + BOARD_PAGE_SIZE - 1) // BOARD_PAGE_SIZE
        if not 1 <= page <= pages:
            return _not_found()
        shown = postings[(page - 1) * BOARD_PAGE_SIZE: page * BOARD_PAGE_SIZE]
        items = [{"url": self.job_url(p["slug"]), "title": p["title"],
                  "location": p["locations"][0]["locality"]} for p in shown]
        item_list = json.dumps({
            "@context": "https://schema.org", "@type": "ItemList",
            "itemListElement": [{"@type": "ListItem", "position": i + 1, "url": item["url"]}
                                for i, item in enumerate(items)],
        }, ensure_ascii=False)
        next_url = f"{self.base}/board/jobs?page={page + 1}" if page < pages else None
        return _html("board_list.html", items=items, item_list=item_list, next_url=next_url,
                     page=page, pages=pages, layout=self.site.layout,
                     multi_url=f"{self.base}/board/company/{board_content()['multi']['slug']}")

    def board_job(self, slug: str) -> Reply:
        posting = next((p for p in board_content()["postings"] if p["slug"] == slug), None)
        if posting is None:
            return _not_found()
        if slug in self.site.taken_down:
            return Reply(410, b"<html><body><h1>410 Gone</h1></body></html>")
        if slug in self.site.edited:
            posting = {**posting, "description": self.site.edited[slug]}
        url = self.job_url(slug)
        changed = self.site.layout == "changed"
        scripts = [] if changed else jsonld_scripts(posting, url)
        return _html("board_job.html", posting=posting, scripts=scripts, changed=changed,
                     microdata=posting.get("shape") == "microdata" and not changed,
                     location=microdata_location(posting), salary=posting.get("salary"),
                     app_state=json.dumps({"job": {"title": posting["title"]}},
                                          ensure_ascii=False).replace("</", "<\\/"))

    def board_multi(self) -> Reply:
        multi = board_content()["multi"]
        url = f"{self.base}/board/company/{multi['slug']}"
        nodes = []
        for item in multi["postings"]:
            posting = {**multi, **item, "shape": "graph"}
            node = job_posting(posting, f"{url}#{item['slug']}")
            node.pop("@context")
            nodes.append(node)
        payload = {"@context": "https://schema.org", "@graph": nodes}
        scripts = [] if self.site.layout == "changed" else [
            json.dumps(payload, ensure_ascii=False).replace("</", "<\\/")]
        return _html("board_multi.html", multi=multi, scripts=scripts)

    def board_sitemap(self) -> Reply:
        content = board_content()
        urls = [(self.job_url(p["slug"]), p["date"][:10]) for p in content["postings"]]
        urls.append((f"{self.base}/board/company/{content['multi']['slug']}",
                     content["multi"]["date"][:10]))
        urls += [(f"{self.base}/board/hostile/{name}", "2026-11-01") for name in HOSTILE_PAGES]
        body = _templates.get_template("sitemap.xml").render(urls=urls)
        return Reply(200, body.encode(), "application/xml; charset=utf-8")

    # -- classifieds -----------------------------------------------------------------

    def classifieds_listing(self) -> Reply:
        ads = social_content()["classifieds"]
        try:
            page = int(self.arg("p", "1") or "1")
        except ValueError:
            return Reply(400, b"bad page")
        pages = (len(ads) + CLASSIFIEDS_PAGE_SIZE - 1) // CLASSIFIEDS_PAGE_SIZE
        if not 1 <= page <= pages:
            return _not_found()
        shown = ads[(page - 1) * CLASSIFIEDS_PAGE_SIZE: page * CLASSIFIEDS_PAGE_SIZE]
        return _html("classifieds_list.html", ads=shown, page=page,
                     next_page=page + 1 if page < pages else None, layout=self.site.layout)

    def classifieds_ad(self, ad_id: str) -> Reply:
        ad = next((a for a in social_content()["classifieds"] if str(a["id"]) == ad_id), None)
        if ad is None:
            return _not_found()
        return _html("classifieds_ad.html", ad=ad, layout=self.site.layout)

    # -- telegram, mastodon, rss, facebook ------------------------------------------

    def telegram(self, channel: str) -> Reply:
        content = social_content()["telegram"]
        if channel != content["channel"]:
            return _not_found()
        posts = sorted(content["posts"], key=lambda p: p["id"])
        before = self.arg("before")
        if before is not None:
            if not before.isdigit():
                return Reply(400, b"bad before")
            posts = [p for p in posts if p["id"] < int(before)]
        shown = posts[-TELEGRAM_PAGE_SIZE:]
        older = shown and posts[0]["id"] < shown[0]["id"]
        return _html("telegram.html", channel=channel, title=content["title"], posts=shown,
                     before=shown[0]["id"] if older else None)

    def mastodon(self, timeline: str) -> Reply:
        statuses = social_content()["mastodon"]["statuses"]
        if timeline.startswith("tag/"):
            tag = timeline.removeprefix("tag/").lower()
            statuses = [s for s in statuses if tag in s["tags"]]
        elif timeline != "public":
            return Reply(404, b'{"error":"Record not found"}', "application/json")
        max_id = self.arg("max_id")
        if max_id is not None:
            statuses = [s for s in statuses if int(s["id"]) < int(max_id or 0)]
        try:
            limit = min(int(self.arg("limit", "20") or "20"), MASTODON_MAX_LIMIT)
        except ValueError:
            return Reply(400, b'{"error":"bad limit"}', "application/json")
        shown = statuses[:limit]
        endpoint = f"{self.base}/mastodon/api/v1/timelines/{timeline}"
        headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "299",
                   "X-RateLimit-Reset": "2026-11-10T09:00:00.000Z"}
        if shown and len(statuses) > limit:
            headers["Link"] = (f'<{endpoint}?max_id={shown[-1]["id"]}>; rel="next", '
                               f'<{endpoint}?min_id={shown[0]["id"]}>; rel="prev"')
        body = json.dumps([mastodon_status(s, self.base) for s in shown], ensure_ascii=False)
        return Reply(200, body.encode(), "application/json; charset=utf-8", headers)

    def rss(self) -> Reply:
        content = social_content()["rss"]
        body = _templates.get_template("feed.xml").render(
            title=content["title"], base=self.base, items=content["items"])
        return Reply(200, body.encode(), "application/rss+xml; charset=utf-8")

    def facebook(self, page: str) -> Reply:
        if page.startswith("login"):
            return _html("facebook_login.html")
        return Reply(302, b"", headers={"Location": f"{self.base}/facebook/login/?next=/{page}"})


def mastodon_status(status: dict[str, Any], base: str) -> dict[str, Any]:
    """A status object shaped as Mastodon 4's API returns it."""
    server = f"{base}/mastodon"
    words = []
    for word in html.escape(status["text"]).split(" "):
        if word.startswith("#") and len(word) > 1:
            tag = word[1:]
            word = (f'<a href="{server}/tags/{tag}" class="mention hashtag" rel="tag">'
                    f"#<span>{tag}</span></a>")
        words.append(word)
    account = status["account"]
    return {
        "id": status["id"],
        "created_at": status["created_at"],
        "in_reply_to_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": status["lang"],
        "uri": f"{server}/users/{account}/statuses/{status['id']}",
        "url": f"{server}/@{account}/{status['id']}",
        "replies_count": 0,
        "reblogs_count": 1,
        "favourites_count": 2,
        "content": f"<p>{' '.join(words)}</p>",
        "reblog": None,
        "account": {"id": str(zlib.crc32(account.encode())), "username": account,
                    "acct": account, "display_name": account.replace("_", " ").title(),
                    "url": f"{server}/@{account}"},
        "media_attachments": [
            {"id": status["id"], "type": "image", "url": f"{base}/board/images/{status['image']}",
             "preview_url": f"{base}/board/images/{status['image']}", "description": None}
        ] if "image" in status else [],
        "mentions": [],
        "tags": [{"name": t, "url": f"{server}/tags/{t}"} for t in status["tags"]],
        "emojis": [],
        "card": None,
        "poll": None,
    }


@cache
def sample_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG of one colour (8-bit RGB, no filter), so a browser can draw it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    row = b"\x00" + bytes(rgb) * width
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


def sample_image(name: str) -> Reply:
    if name == "huge.png":  # a PNG header and then far too many bytes
        return Reply(200, sample_png(1, 1, (0, 0, 0)) + b"\x00" * HUGE_IMAGE_BYTES, "image/png")
    if name in SAMPLE_IMAGES:
        return Reply(200, sample_png(*SAMPLE_IMAGES[name]), "image/png")
    return _not_found()


# --- hostile pages -----------------------------------------------------------------------

_HOSTILE_POSTINGS = {
    "thai-cp874": ("cp874", "พนักงานขายหน้าร้าน กรุงเทพฯ", "ร้านค้าปลีกสยาม",
                   "รับสมัครพนักงานขาย เงินเดือน 15,000 บาท ทำงานวันละ 8 ชั่วโมง"),
    "chinese-gb18030": ("gb18030", "仓库管理员（新山）", "新山物流有限公司",
                        "负责仓库进出货记录，月薪马币2500，每周休息一天。"),
    "japanese-shift-jis": ("shift_jis", "介護スタッフ（特定技能）", "さくら介護株式会社",
                           "特定技能ビザで介護スタッフを募集します。月給20万円。"),
    "utf16-bom": ("utf-16", "Pemandu Grab sambilan – Melaka", "Melaka Ride Partners",
                  "Pendapatan fleksibel, kereta sendiri, lesen D. Hubungi pejabat Melaka."),
    "wrong-charset-header": ("cp874", "แม่บ้านทำความสะอาด ภูเก็ต", "ภูเก็ตคลีนนิ่ง",
                             "รับสมัครแม่บ้าน เงินเดือน 12,000 บาท มีวันหยุดสัปดาห์ละ 1 วัน"),
}


def _hostile_html(title: str, employer: str, text: str, url: str, charset: str) -> str:
    node = {"@context": "https://schema.org", "@type": "JobPosting", "title": title,
            "description": text, "datePosted": "2026-11-01", "hiringOrganization": employer,
            "jobLocation": {"@type": "Place", "address": {"addressCountry": "TH"}}, "url": url}
    return (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
            f"<title>{html.escape(title)}</title>"
            f'<script type="application/ld+json">{json.dumps(node, ensure_ascii=False)}</script>'
            f"</head><body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>")


def hostile_page(name: str, base: str) -> Reply:
    """Pages real crawlers meet: odd charsets, truncation, huge bodies, broken JSON-LD."""
    url = f"{base}/board/hostile/{name}"
    if name in _HOSTILE_POSTINGS:
        charset, title, employer, text = _HOSTILE_POSTINGS[name]
        declared = "windows-874" if charset == "cp874" else charset
        page = _hostile_html(title, employer, text, url, declared)
        if charset == "utf-16":
            # BOM first, no declaration anywhere: only the BOM says how to read it.
            return Reply(200, page.replace(f"; charset={declared}", "").encode("utf-16"),
                         "text/html")
        header = "text/html; charset=utf-8" if name == "wrong-charset-header" else "text/html"
        return Reply(200, page.encode(charset), header)
    if name == "truncated":
        page = _hostile_html("Operator Kilang – Nilai", "Nilai Plastics", "Gaji RM1,900.", url,
                             "utf-8")
        return Reply(200, page[: page.index('"description"') + 20].encode())
    if name == "huge":
        filler = b"<p>" + b"x" * 1000 + b"</p>\n"
        return Reply(200, b"<html><body>" + filler * (HUGE_PAGE_BYTES // len(filler))
                     + b"</body></html>")
    if name == "bad-jsonld":
        return Reply(200, b"<html><head><script type=\"application/ld+json\">"
                          b"{'@type': 'JobPosting', title: 'Cashier', // trailing comma\n}"
                          b"</script></head><body>Cashier</body></html>")
    if name == "deep-nesting":
        return Reply(200, b"<html><body>" + b"<div>" * 100_000 + b"deep" + b"</body></html>")
    if name == "not-html":
        return Reply(200, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "image/png")
    return _not_found()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        site = self.server.site
        parts = urlsplit(self.path)
        full_path = parts.path + (f"?{parts.query}" if parts.query else "")
        site.count_hit(full_path)
        if parts.path != "/robots.txt":
            site.wait_while_held()
        if full_path == THROTTLED_ONCE and site.throttle_first(full_path):
            reply = Reply(429, b"Too Many Requests", "text/plain",
                          {"Retry-After": "1"})
        else:
            try:
                reply = _Routes(site, parts.path, parse_qs(parts.query)).reply()
            except Exception as exc:  # a bug in a sample site must answer, not hang up
                reply = Reply(500, f"sample site error: {exc!r}".encode(), "text/plain")
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Date", email.utils.formatdate(usegmt=True))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        # The crawler may hang up on purpose (e.g. it refuses a huge page).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # quiet: tests read hits from SampleSites.hits


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: SampleSites


@contextmanager
def serve_sample_sites(port: int = 0, layout: Layout = "normal") -> Iterator[SampleSites]:
    """Serve the sample sites on ``127.0.0.1:port`` (0: any free port) in a background
    thread and yield the base URL ``http://127.0.0.1:PORT`` as a :class:`SampleSites`
    (a ``str``): ``site.set_layout("changed")`` breaks the board's layout at run time,
    ``site.hits`` counts how often each path was asked for."""
    server = _Server(("127.0.0.1", port), _Handler)
    site = SampleSites(f"http://127.0.0.1:{server.server_address[1]}")
    site.set_layout(layout)
    server.site = site
    with serving(server, "sample-sites"):
        yield site

