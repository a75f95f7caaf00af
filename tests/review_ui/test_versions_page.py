"""The focus view of an edited and of a taken-down ad: a word diff of each earlier version,
escaped (crawled text is hostile, old versions too), and a takedown banner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lurewatch.record import Ad, Label
from review_ui.highlight import DiffSegment, diff_segments
from tests.review_ui.conftest import Env

HOSTILE = 'Kerja <script>alert("old")</script> kilang <img src=x onerror=alert(1)> RM1800.'


def _edited(ad: Ad, text: str, hours: int) -> Ad:
    changed = ad.model_copy(update={"text": text, "content_hash": "",
                                    "fetched_at": ad.fetched_at + timedelta(hours=hours)})
    return Ad.model_validate(changed.model_dump())  # re-derive the content hash


def test_diff_segments_by_word() -> None:
    assert diff_segments("gaji RM1800 sebulan", "gaji RM9000 sebulan") == [
        DiffSegment("gaji ", "same"), DiffSegment("RM1800", "removed"),
        DiffSegment("RM9000", "added"), DiffSegment(" sebulan", "same")]
    assert diff_segments("", "baru") == [DiffSegment("baru", "added")]


def test_focus_view_diffs_versions_and_escapes_them(any_env: Env) -> None:
    """Through both stores: the versions survive and every version's text is escaped."""
    ad = Ad(source="kerjahub", url="https://jobs.example.my/ad/edited", title="Kilang",
            text=HOSTILE, risk_label=Label.legitimate, risk_score=0.1)
    any_env.store.upsert([ad])
    any_env.store.upsert([_edited(ad, "Kerja kilang RM9000. WA sahaja.", 1)])
    any_env.store.upsert([_edited(ad, "Kerja kilang RM9500. WA sahaja.", 2)])
    stored = any_env.store.get(ad.id)
    assert stored is not None and [v.text for v in stored.versions] == [
        HOSTILE, "Kerja kilang RM9000. WA sahaja."]
    html = any_env.client("ana").get(f"/records/{ad.id}").text
    assert "Earlier versions (2)" in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "<del> &lt;script&gt;alert(&#34;old&#34;)&lt;/script&gt;</del>" in html
    assert "<del>RM9000.</del><ins>RM9500.</ins>" in html  # newest version first
    assert html.index("RM9500.</ins>") < html.index("&lt;script&gt;")
    assert 'id="taken-down"' not in html


def test_focus_view_shows_the_takedown_banner(any_env: Env) -> None:
    gone_at = datetime(2026, 3, 9, 12, 30, tzinfo=UTC)
    ad = Ad(source="kerjahub", url="https://jobs.example.my/ad/gone", title="Kilang",
            text="Kerja kilang.", taken_down_at=gone_at)
    any_env.store.upsert([ad])
    html = any_env.client("ana").get(f"/records/{ad.id}").text
    assert "Taken down on 2026-03-09 12:30 UTC" in html
    assert "Kerja kilang." in html  # everything it said is still shown
