"""The campaign and source pages in the real browser (the fixtures of
``test_review_ui_browser``): they render without script errors or CSP violations, and a
screenshot of each goes to ``test-artifacts/screenshots/``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crawlers.stats import SourceStats
from tests.review_ui.conftest import Env
from tests.review_ui.seed import records
from tests.review_ui.test_review_ui_browser import (  # noqa: F401 - fixtures
    browser,
    live,
    no_script_ran,
    session,
    shot,
)

pytestmark = pytest.mark.browser


def test_campaign_and_source_pages(live: tuple[Env, str], session) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    env, _ = live
    hostile = records()[-1]  # carries script in its title and text
    env.store.upsert([ad.model_copy(update={"campaign_id": "camp-browser", "posted_at":
                                            ad.posted_at + timedelta(days=3 * n)})
                      for n, ad in enumerate([*records()[:4], hostile])])
    for extracted, health in ((30, "healthy"), (28, "healthy"), (0, "unhealthy")):
        run_id = env.store.start_run("kerjahub", "monitor-a")
        env.store.finish_run(run_id, outcome="ok", health=health,  # type: ignore[arg-type]
                             counts=SourceStats(source="kerjahub", pages_fetched=12,
                                                records_extracted=extracted,
                                                new=extracted // 3).to_dict(),
                             problems=[] if extracted else [
                                 "12 pages fetched but no records found"
                                 " <img src=x onerror=alert(1)>"])
    page, watch = session("ana")
    page.goto("/campaigns/camp-browser")
    assert page.locator("#campaign-records li").count() == 5
    assert page.locator("svg polyline").count() >= 1
    no_script_ran(page)
    shot(page, "campaign")
    page.goto("/sources")
    page.click("a[href='/sources/kerjahub']")
    page.wait_for_load_state()
    assert page.inner_text("#source-health") == "unhealthy"
    assert page.locator("#runs-table tbody tr").count() == 3
    shot(page, "source")
    assert watch.problems == []
