"""Hostile bytes, dates and headers, images, broken JSON-LD and the parse command (no network)."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from crawlers.extract.common import PageRejected, decode_html, parse_datetime
from crawlers.extract.jsonld import PageContext
from crawlers.extract.pages import parse_page
from crawlers.middlewares.backoff import retry_after_seconds
from lurewatch.record import Ad

# --- hostile bytes, dates, headers (no network) -----------------------------------------

@pytest.mark.parametrize(("encoding", "content_type", "meta"), [
    ("cp874", "text/html", "windows-874"),
    ("cp874", "text/html; charset=utf-8", "windows-874"),  # the header lies
    ("gb18030", "text/html; charset=gb18030", None),
    ("shift_jis", "text/html", "shift_jis"),
    ("utf-16", "text/html", None),  # BOM only
])
def test_decode_html_believes_bytes_over_claims(encoding: str, content_type: str,
                                               meta: str | None) -> None:
    text = "ทดสอบ 测试 テスト Ujian"
    if encoding == "cp874":
        text = "ทดสอบ ภาษาไทย Ujian"
    elif encoding in ("gb18030",):
        text = "测试 招聘 Ujian"
    elif encoding == "shift_jis":
        text = "テスト 募集 Ujian"
    head = f'<meta charset="{meta}">' if meta else ""
    page = f"<html><head>{head}</head><body><p>{text}</p></body></html>"
    assert text in decode_html(page.encode(encoding), content_type)


def test_decode_html_refuses_binary() -> None:
    with pytest.raises(PageRejected, match="not_html"):
        decode_html(b"\x89PNG\r\n", "image/png")
    assert decode_html(codecs.BOM_UTF8 + "ok é".encode(), None) == "ok é"


@pytest.mark.parametrize(("raw", "iso"), [
    ("2026-11-02T09:15:00+08:00", "2026-11-02T01:15:00+00:00"),
    ("2026-11-02T09:15:00+0530", "2026-11-02T03:45:00+00:00"),
    ("2026-11-02", "2026-11-02T00:00:00+00:00"),
    ("Mon, 02 Nov 2026 09:00:00 +0800", "2026-11-02T01:00:00+00:00"),
    ("05/11/2026", "2026-11-05T00:00:00+00:00"),
])
def test_parse_datetime(raw: str, iso: str) -> None:
    parsed = parse_datetime(raw)
    assert parsed is not None and parsed.isoformat() == iso


def test_retry_after_seconds_or_http_date() -> None:
    assert retry_after_seconds(b"7") == 7.0
    assert retry_after_seconds("garbage") is None
    when = retry_after_seconds("Wed, 21 Oct 2099 07:28:00 GMT")
    assert when is not None and when > 0


def test_images_from_jsonld_og_image_and_telegram_photos() -> None:
    """Absolute http(s) URLs resolved against the page, in order, once; ``data:`` and
    ``javascript:`` dropped."""
    page = PageContext(url="https://jobs.example.my/job/7", source="f")
    posting = {"@context": "https://schema.org/", "@type": "JobPosting", "title": "Operator",
               "description": "Kerja kilang", "image": [
                   "/img/a.jpg", {"@type": "ImageObject", "contentUrl": "https://cdn.example/b.png"},
                   "data:image/png;base64,AAAA", "javascript:alert(1)", "/img/a.jpg"]}
    html = (f'<html><head><meta property="og:image" content="//cdn.example/og.jpg">'
            f'<script type="application/ld+json">{json.dumps(posting)}</script></head>'
            f"<body>Operator</body></html>")
    [ad] = parse_page(html.encode(), page).records
    assert ad.images == ["https://jobs.example.my/img/a.jpg", "https://cdn.example/b.png",
                         "https://cdn.example/og.jpg"]
    telegram = ('<div class="tgme_widget_message" data-post="kerja/9">'
                '<a class="tgme_widget_message_photo_wrap" style="width:800px;background-image:'
                "url('https://cdn4.telesco.pe/file/abc.jpg')\"></a>"
                '<div class="tgme_widget_message_text">Kerja di Kemboja</div></div>')
    [post] = parse_page(telegram.encode(), PageContext(url="https://t.me/s/kerja",
                                                       source="f")).records
    assert post.images == ["https://cdn4.telesco.pe/file/abc.jpg"]


@pytest.mark.parametrize(("body", "expected"), [
    # a broken JSON-LD block before a good one: the good one is read
    (b'<html><head><script type="application/ld+json">{"@type": "JobPosting", '
     b'"title": "Cash</script><script type="application/ld+json">'
     b'{"@context": "https://schema.org", "@type": "JobPosting", "title": "Baker",'
     b' "hiringOrganization": "Roti Sdn Bhd", "datePosted": "2026-11-01"}'
     b'</script></head><body></body></html>', [("Baker", "Roti Sdn Bhd")]),
    # bot-check scripts and login links sit on ordinary pages too: only a page that
    # gives nothing is called a bot challenge or a login wall
    (b'<html><head><script src="/cdn-cgi/challenge-platform/scripts/jsd/main.js">'
     b'</script><script type="application/ld+json">{"@context": "https://schema.org",'
     b' "@type": "JobPosting", "title": "Cook", "datePosted": "2026-11-01"}</script>'
     b'</head><body><a href="/login/?next=/jobs/1">Log in</a><div id="login_form">'
     b'</div></body></html>', [("Cook", None)]),
])
def test_pages_with_broken_jsonld_challenge_scripts_or_login_links_still_parse(
        body: bytes, expected: list[tuple[str, str | None]]) -> None:
    parsed = parse_page(body, PageContext(url="https://example.org/jobs/1", source="t"))
    assert [(r.title, r.employer) for r in parsed.records] == expected


@pytest.mark.slow
def test_parse_command_prints_json_lines_and_one_line_errors(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from lurewatch.cli import load_commands
    app = load_commands()

    runner = CliRunner()
    missing = runner.invoke(app, ["parse", str(tmp_path / "nope.html"), "--url", "http://e/"])
    assert missing.exit_code == 2 and len(missing.output.strip().splitlines()) == 1
    page = tmp_path / "job.html"
    page.write_text('<script type="application/ld+json">{"@context": "https://schema.org", '
                    '"@type": "JobPosting", "title": "Tukang masak", "hiringOrganization": '
                    '"Warung Mak Som", "datePosted": "2026-11-03"}</script>', encoding="utf-8")
    parsed = runner.invoke(app, ["parse", str(page), "--url", "https://example.my/j/1"])
    assert parsed.exit_code == 0
    records = [Ad.from_json(line) for line in parsed.stdout.strip().splitlines()]
    assert [(r.title, r.employer, r.url) for r in records] == [
        ("Tukang masak", "Warung Mak Som", "https://example.my/j/1")]
    nothing = tmp_path / "empty.html"
    nothing.write_text("<html><body>hello</body></html>", encoding="utf-8")
    refused = runner.invoke(app, ["parse", str(nothing), "--url", "https://example.my/"])
    assert refused.exit_code == 2 and "no_job_posting" in refused.output
