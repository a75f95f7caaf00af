"""The review application in a real browser: Debian's Chromium, headless, driven by
Playwright against uvicorn on a loopback port, over a real SQLite store.

Playwright never downloads a browser here: it is pointed at ``/usr/bin/chromium``
(installed by the set-up: ``apt-get install -y chromium``). Screenshots of every main page
go to ``test-artifacts/screenshots/`` (git-ignored)."""

from __future__ import annotations

import csv
import io
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from classifiers.transformer.registry import Registry
from crawlers.sample_sites.server import serve_sample_sites
from index.sqlite import SQLiteStore
from lurewatch.record import Ad, Label, ReviewState
from review_ui.main import STATIC_DIR
from tests.review_ui.conftest import (
    PASSWORD,
    STORE_KINDS,
    Env,
    close_store,
    make_env,
    make_registry,
    open_store,
)
from tests.review_ui.seed import MALAY, MALAY_COPY, MINORS, SHARED_PHONE, XSS

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# The core flow (log in, triage with the keyboard, search in Thai and Malay, a pivot) runs
# on both stores: ``@ON_EVERY_STORE``; the rest of the suite on SQLite only.
ON_EVERY_STORE = pytest.mark.parametrize("live", STORE_KINDS, indirect=True)


@pytest.fixture(scope="module")
def live(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Env, str]]:
    """The app on a free loopback port, served by uvicorn in a thread, over the store
    the test is parametrized with (SQLite when it is not)."""
    if not (STATIC_DIR / "vendor" / "htmx.min.js").is_file():
        pytest.fail("htmx is not vendored: run review_ui/vendor.sh (part of the set-up)")
    kind = getattr(request, "param", "sqlite")
    root = tmp_path_factory.mktemp(f"review-ui-browser-{kind}")
    registry = make_registry(root / "registry", {"e5-small-2026-10": 0.74,
                                                 "e5-small-2026-11": 0.79})
    env = make_env(root, open_store(kind, request, root), model={"registry": registry})
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(env.app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield env, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    close_store(env.store)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watch:
    """Console errors, CSP violations, dialogs and page errors seen in one page's life."""

    def __init__(self, page: object) -> None:
        self.problems: list[str] = []
        page.on("console", lambda msg: msg.type == "error" and self.problems.append(msg.text))
        page.on("pageerror", lambda err: self.problems.append(f"page error: {err}"))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: object) -> None:
        # The app's own confirmations (data-confirm) are confirm() dialogs: accept them.
        # Anything else (an alert from injected script) is a problem.
        if dialog.type == "confirm":  # type: ignore[attr-defined]
            dialog.accept()  # type: ignore[attr-defined]
            return
        self.problems.append(f"dialog: {dialog.message}")  # type: ignore[attr-defined]
        dialog.dismiss()  # type: ignore[attr-defined]


@pytest.fixture
def session(live: tuple[Env, str], browser: object):  # type: ignore[no-untyped-def]
    """A fresh browser context per test; ``session(username)`` logs that user in."""
    env, base = live
    contexts = []

    def open_as(username: str):  # type: ignore[no-untyped-def]
        context = browser.new_context(base_url=base, accept_downloads=True,  # type: ignore[attr-defined]
                                      viewport={"width": 1360, "height": 900})
        contexts.append(context)
        page = context.new_page()
        watch = Watch(page)
        page.goto("/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        assert "/login" not in page.url, f"{username} could not log in"
        return page, watch

    yield open_as
    for context in contexts:
        context.close()


def shot(page: object, name: str, env: Env | None = None) -> None:
    """Save a screenshot; pages of the core flow on a search engine (``env``) get their own."""
    if env is not None and not isinstance(env.store, SQLiteStore):
        name = f"{name}-{env.store.engine.lower()}"  # type: ignore[attr-defined]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ignore = SCREENSHOTS.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def no_script_ran(page: object) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined"  # type: ignore[attr-defined]


def test_login_page(live: tuple[Env, str], browser: object) -> None:
    _, base = live
    context = browser.new_context(base_url=base)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto("/queue")
    assert "/login?next=%2Fqueue" in page.url
    page.fill("input[name=username]", "ana")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    assert "Wrong user name or password" in page.inner_text("main")
    shot(page, "login")
    context.close()


@ON_EVERY_STORE
def test_triage_three_records_with_the_keyboard(live: tuple[Env, str], session) -> None:  # type: ignore[no-untyped-def]
    env, _ = live
    page, watch = session("ana")
    page.goto("/queue?sort=score")
    page.wait_for_selector(".facets h3")  # facet counts arrive through htmx
    shot(page, "queue", env)
    page.keyboard.press("j")  # start reviewing: claims the top record
    page.wait_for_url(f"**/records/{XSS.id}?**")
    no_script_ran(page)
    shot(page, "focus-hostile-record", env)
    page.keyboard.press("t")  # confirm TIP; the next record opens
    page.wait_for_url(f"**/records/{MINORS.id}?**")
    assert "Content warning: minors may be targeted" in page.inner_text("main")
    assert not page.is_visible(".content-warning .ad-text")  # hidden until opened
    shot(page, "focus-content-warning", env)
    page.click(".content-warning summary")
    assert page.is_visible(".content-warning .ad-text")
    page.keyboard.press("l")  # dismiss: legitimate
    page.wait_for_url(f"**/records/{MALAY.id}?**")
    assert page.inner_text("mark.ev >> nth=0").startswith("gaji RM6000 sebulan")
    shot(page, "focus", env)
    page.keyboard.press("e")  # escalate
    page.wait_for_url(f"**/records/*prev={MALAY.id}")
    page.keyboard.press("k")  # back to the record just decided
    page.wait_for_url(f"**/records/{MALAY.id}?**")
    assert page.inner_text("#review-state") == "escalated"
    states = {ad.id: env.store.get(ad.id).review_state for ad in (XSS, MINORS, MALAY)}  # type: ignore[union-attr]
    assert states == {XSS.id: ReviewState.confirmed_tip,
                      MINORS.id: ReviewState.dismissed_legitimate,
                      MALAY.id: ReviewState.escalated}
    assert "today: 3" in page.inner_text("#daily-count")
    page.goto("/queue/mine")
    shot(page, "my-queue", env)
    page.goto("/bulk")
    shot(page, "bulk", env)
    assert watch.problems == []


@ON_EVERY_STORE
def test_search_in_thai_and_malay(live: tuple[Env, str], session) -> None:  # type: ignore[no-untyped-def]
    env, _ = live
    page, watch = session("ivan")
    page.goto("/search")
    page.fill("input[name=q]", "นวด")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/search?q=**")
    assert page.inner_text("#result-count") == "1 record"
    assert page.inner_text(".hit mark >> nth=0") == "นวด"
    shot(page, "search-thai", env)
    page.fill("input[name=q]", "gaji")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**q=gaji**")
    before = page.inner_text("#result-count")
    page.click(".facets a:text-is('ms')")  # htmx swaps the results in place
    page.wait_for_url("**language=ms**")
    page.wait_for_function("document.querySelector('#result-count') !== null")
    assert page.inner_text("#result-count") != before or before == "4 records"
    assert page.locator(".facets a.active", has_text="ms").count() == 1
    assert "Kerja kilang" in page.inner_text(".hits")
    shot(page, "search-malay", env)
    no_script_ran(page)
    assert watch.problems == []


@ON_EVERY_STORE
def test_open_a_pivot(live: tuple[Env, str], session) -> None:  # type: ignore[no-untyped-def]
    env, _ = live
    page, watch = session("ivan")
    page.goto(f"/records/{MALAY_COPY.id}")
    page.click(f"dd a:text-is('{SHARED_PHONE}')")
    page.wait_for_url("**/pivot?kind=phone**")
    assert "3 records share this phone" in page.inner_text("#pivot-count")
    assert page.locator("svg polyline").count() >= 1
    shot(page, "pivot-phone", env)
    assert watch.problems == []


def test_case_export(live: tuple[Env, str], session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page, watch = session("ivan")
    page.goto("/search?q=gaji")
    for box in page.locator("input[name=record_ids]").all()[:2]:
        box.check()
    page.fill("input[name=name]", "Kilang RM6000 campaign")
    page.click("#case-form button:text-is('Create case')")
    page.wait_for_url("**/cases/*")
    shot(page, "case")
    with page.expect_download() as download:
        page.click("#export-csv")
    saved = tmp_path / "case.csv"
    download.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert len(rows) == 2 and all("gaji" in r["text"] for r in rows)
    page.click("#export-report")
    page.wait_for_url("**/report")
    assert "Kilang RM6000 campaign" in page.inner_text("h1")
    shot(page, "case-report")
    page.goto("/cases")
    shot(page, "cases")
    assert watch.problems == []


def test_redacted_case_export(live: tuple[Env, str], session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env, _ = live
    case_id = env.db.add_case("Referral to partner", "ivan", [MALAY.id, MALAY_COPY.id])
    page, watch = session("ivan")
    page.goto(f"/cases/{case_id}")
    with page.expect_download() as download:
        page.click("#export-redacted-csv")
    saved = tmp_path / "redacted.csv"
    download.value.save_as(saved)
    body = saved.read_text(encoding="utf-8")
    assert SHARED_PHONE not in body and "redacted" in download.value.suggested_filename
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["phones"] for r in rows] == ["[phone-1]", "[phone-1]"]
    page.click("#show-pseudonyms")
    page.wait_for_url("**/pseudonyms*")
    assert SHARED_PHONE in page.inner_text("#pseudonyms")
    shot(page, "case-pseudonyms")
    assert watch.problems == []


def test_hostile_record_runs_nothing_anywhere(live: tuple[Env, str], session) -> None:  # type: ignore[no-untyped-def]
    env, _ = live
    case_id = env.db.add_case("hostile", "root")
    env.db.add_to_case(case_id, [XSS.id], "root")
    page, watch = session("root")
    for path in (f"/records/{XSS.id}", "/search?q=window", "/queue", "/bulk",
                 f"/cases/{case_id}", f"/cases/{case_id}/report", "/admin/audit"):
        page.goto(path)
        page.wait_for_load_state("load")
        no_script_ran(page)
        if path.startswith("/records"):
            # the title is shown as text, the javascript: link is not a link
            assert page.inner_text("h1.ad-title").startswith("<script>")
            assert page.locator("a[href^='javascript:']").count() == 0
            page.hover("dd")  # an onmouseover in the employer must not fire
            no_script_ran(page)
            shot(page, "xss-record")
    assert watch.problems == []


def test_compare_and_promote_a_model(live: tuple[Env, str], session) -> None:  # type: ignore[no-untyped-def]
    env, _ = live
    page, watch = session("maya")
    page.goto("/models")
    assert page.inner_text("#promoted") == "none (rules only)"
    shot(page, "models")
    page.select_option("select[name=a]", "e5-small-2026-10")
    page.select_option("select[name=b]", "e5-small-2026-11")
    page.click("form[action='/models/compare'] button")
    page.wait_for_url("**/models/compare?**")
    assert "0.79" in page.inner_text("#compare-table")
    shot(page, "models-compare")
    page.goto("/models")
    page.click("#model-e5-small-2026-11 button.promote")  # confirm() is accepted
    page.wait_for_load_state()
    assert page.inner_text("#promoted") == "e5-small-2026-11"
    assert Registry(env.settings.model.registry).promoted().version == "e5-small-2026-11"  # type: ignore[union-attr]
    shot(page, "models-promoted")
    page.click("#rollback")
    page.wait_for_load_state()
    assert page.inner_text("#promoted") == "none (rules only)"
    assert watch.problems == []


def test_main_pages_render_without_errors(live: tuple[Env, str], session) -> None:  # type: ignore[no-untyped-def]
    page, watch = session("root")
    for path, name in (("/trends?split=indicator&interval=month", "trends"),
                       ("/trends/gender?interval=month", "gender-view"),
                       ("/maintain/agreement", "agreement"),
                       ("/maintain/disagreements", "disagreements"),
                       ("/maintain/uncertain", "uncertain"),
                       ("/queue/second", "second-look"), ("/models/training", "training-runs"),
                       ("/admin/users", "users"),
                       ("/admin/audit", "audit-log")):
        page.goto(path)
        assert page.locator("h1").count() == 1, path
        shot(page, name)
    assert watch.problems == []


def test_images_blurred_until_clicked_and_proxied(live: tuple[Env, str], session) -> None:  # type: ignore[no-untyped-def]
    """The focus view loads nothing from the ad's server: a blurred placeholder, and on a
    click the image comes through the application's proxy."""
    env, _ = live
    with serve_sample_sites() as site:
        image_path = "/board/images/kilang.png"
        ad = Ad(source="kerjahub", url=f"{site.base_url}/board/job/poster", language="ms",
                title="Poster kerja kilang", text="Lihat poster.", risk_score=0.01,
                risk_label=Label.not_job_related, images=[site.base_url + image_path])
        env.store.upsert([ad])
        page, watch = session("ana")
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"/records/{ad.id}")
        placeholder = page.locator("#image-0")
        image = "document.querySelector('#image-0 img')"
        assert "blurred" in (placeholder.get_attribute("class") or "")
        assert page.evaluate(f"{image}.getAttribute('src')") is None  # nothing loaded
        assert "blur" in page.evaluate(f"getComputedStyle({image}).filter")
        shot(page, "focus-image-blurred")
        placeholder.click()
        page.wait_for_function(f"() => {image}.complete && {image}.naturalWidth === 200")
        assert page.evaluate(f"getComputedStyle({image}).filter") == "none"
        assert placeholder.get_attribute("aria-pressed") == "true"
        shot(page, "focus-image-shown")
        placeholder.click()  # and hidden again
        assert "blurred" in (placeholder.get_attribute("class") or "")
        assert site.hits[image_path] == 1  # fetched once, by the application
        assert not any(url.startswith(site.base_url) for url in requested), requested
    assert watch.problems == []


def test_admin_resets_and_disables_an_account(live: tuple[Env, str], browser: object,
                                               session) -> None:  # type: ignore[no-untyped-def]
    admin, watch = session("root")
    admin.goto("/admin/users")
    admin.fill("input[name=username]", "dina")
    admin.fill("form.stack input[name=password]", "a first passphrase")
    admin.click("form.stack button[type=submit]")
    row = admin.locator("tr[data-user=dina]")
    row.locator("button", has_text="Reset password").click()
    temporary = admin.locator("#temporary-password code").inner_text()
    shot(admin, "users-password-reset")

    _, base = live
    context = browser.new_context(base_url=base)
    user = context.new_page()
    user_watch = Watch(user)
    user.goto("/login")
    user.fill("input[name=username]", "dina")
    user.fill("input[name=password]", temporary)
    user.click("button[type=submit]")
    assert "An admin reset your password" in user.inner_text("main")
    user.fill("input[name=password]", temporary)
    user.fill("input[name=new_password]", "her own passphrase")
    user.fill("input[name=new_password_again]", "her own passphrase")
    user.click("button[type=submit]")
    user.wait_for_load_state()
    assert "/login" not in user.url and "dina (analyst)" in user.inner_text("header")

    admin.goto("/admin/users")
    admin.locator("tr[data-user=dina] button", has_text="Disable").click()
    assert "disabled" in admin.locator("tr[data-user=dina]").inner_text()
    user.reload()
    assert "/login" in user.url  # the session ended with the account
    assert watch.problems == [] and user_watch.problems == []
    context.close()


def test_watch_a_phone_from_its_pivot_and_manage_it(live: tuple[Env, str], session) -> None:  # type: ignore[no-untyped-def]
    env, _ = live
    page, watch = session("ivan")
    page.goto(f"/pivot?kind=phone&value={SHARED_PHONE.replace('+', '%2B')}")
    page.click("#watch-pivot button")
    page.wait_for_url("**/watchlists")
    [entry] = env.db.watches("ivan")
    assert (entry.kind, entry.value, entry.paused) == ("phone", SHARED_PHONE, False)
    row = page.locator(f"tr[data-watch='{entry.id}']")
    assert SHARED_PHONE in row.inner_text() and "active" in row.inner_text()
    row.locator("button", has_text="Pause").click()
    assert "paused" in page.locator(f"tr[data-watch='{entry.id}'] .watch-state").inner_text()
    shot(page, "watchlists")
    page.locator(f"tr[data-watch='{entry.id}'] button", has_text="Resume").click()
    assert "active" in page.locator(f"tr[data-watch='{entry.id}'] .watch-state").inner_text()
    page.locator(f"tr[data-watch='{entry.id}'] button", has_text="Delete").click()
    page.wait_for_load_state()
    assert "Nothing watched yet" in page.inner_text("#watchlists")
    assert env.db.watches("ivan") == [] and watch.problems == []
