"""The API's docs page in a real browser: a signed-in user tries a read with a path
parameter and gets the JSON, with no console error or CSP violation."""

from __future__ import annotations

import json

import pytest

from tests.review_ui.conftest import Env
from tests.review_ui.seed import MALAY
from tests.review_ui.test_review_ui_browser import browser, live, session, shot

pytestmark = pytest.mark.browser
__all__ = ["browser", "live", "session"]  # the fixtures this module uses


def test_try_a_read_from_the_docs_page(live: tuple[Env, str], session) -> None:  # type: ignore[no-untyped-def]
    page, watch = session("ivan")
    page.goto("/api/v1/docs")
    shot(page, "api-docs")
    assert watch.problems == []  # (the JSON view below asks for a favicon the app lacks)
    form = page.locator("form.api-try[data-path='/api/v1/records/{record_id}']")
    form.locator("input[name=record_id]").fill(MALAY.id)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/api/v1/records/{MALAY.id}")
    record = json.loads(page.locator("body").inner_text())
    assert record["id"] == MALAY.id
