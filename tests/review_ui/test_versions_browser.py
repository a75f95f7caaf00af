"""An edited ad's version diff and a taken-down ad's banner in a real browser (Chromium,
headless, as ``test_review_ui_browser``): hostile text in an old version runs nothing.
Screenshots: ``test-artifacts/screenshots/record-versions.png``, ``record-taken-down.png``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lurewatch.record import Ad, Label
from tests.review_ui.conftest import Env
from tests.review_ui.seed import XSS_TEXT, XSS_TITLE
from tests.review_ui.test_review_ui_browser import (  # noqa: F401 - fixtures used by name
    browser,
    live,
    no_script_ran,
    session,
    shot,
)

pytestmark = pytest.mark.browser


def _recrawled(ad: Ad, text: str, hours: int) -> Ad:
    changed = ad.model_copy(update={"title": "Kerja kilang Johor", "text": text,
                                    "content_hash": "",
                                    "fetched_at": ad.fetched_at + timedelta(hours=hours)})
    return Ad.model_validate(changed.model_dump())  # re-derive the content hash


def test_version_diff_and_takedown_banner(live: tuple[Env, str], session) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    env, _ = live
    ad = Ad(source="kerjahub", url="https://jobs.example.my/ad/edited-hostile",
            title=XSS_TITLE, text=XSS_TEXT, risk_label=Label.deceptive_recruitment,
            risk_score=0.8)
    env.store.upsert([ad])
    env.store.upsert([_recrawled(ad, "Kerja kilang gaji RM1800 sebulan.", 1)])
    gone = _recrawled(ad, "Kerja kilang gaji RM2500 sebulan.", 2)
    env.store.upsert([gone.model_copy(update={
        "taken_down_at": datetime(2026, 3, 9, 12, 30, tzinfo=UTC)})])

    page, watch = session("ana")
    page.goto(f"/records/{ad.id}")
    page.wait_for_load_state("load")
    assert page.inner_text("#taken-down").startswith("Taken down on 2026-03-09 12:30 UTC")
    shot(page, "record-taken-down")
    page.click("#versions summary")
    versions = page.locator("#versions .version")
    assert versions.count() == 2
    assert page.locator("#versions ins").first.inner_text() == "RM2500"
    # the oldest version's hostile title and text are shown as text, struck through
    assert "<script>" in versions.nth(1).inner_text()
    versions.nth(1).scroll_into_view_if_needed()  # the text column scrolls on its own
    versions.nth(1).hover()
    no_script_ran(page)
    shot(page, "record-versions")
    assert watch.problems == []
