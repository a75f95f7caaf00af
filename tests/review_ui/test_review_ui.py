"""API-level tests of the review application on a real SQLite store: every route against
every role, sessions, CSRF, the login limit, triage, conflicts, search, pivots, trends,
exports, maintainer pages, the audit log, escaping of hostile text and the commands."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount
from typer.testing import CliRunner

from classifiers.transformer.registry import Registry
from crawlers.sample_sites.server import SAMPLE_IMAGES, sample_png, serve_sample_sites
from lurewatch.config import PACKAGE_ROOT
from lurewatch.record import Ad, ReviewState
from review_ui.access import Permission, Role, allows
from review_ui.deps import PermissionCheck
from review_ui.services.quality import cohen_kappa
from tests.review_ui.conftest import (
    ACCOUNTS,
    PASSWORD,
    Env,
    csrf,
    login,
    make_env,
    make_registry,
)
from tests.review_ui.seed import SHARED_PHONE, records

RECORDS = records()
MALAY, MALAY_COPY, THAI, BURMESE, CHINESE, INDONESIAN, MINORS, LEGIT, XSS = RECORDS

# Every route and who may use it. A route added to the app without a line here fails
# test_every_route_has_a_rule; a line whose permission differs from the route's fails too.
ROLE_MATRIX: dict[tuple[str, str], Permission] = {
    ("GET", "/healthz"): Permission.public,
    ("GET", "/login"): Permission.public,
    ("POST", "/login"): Permission.public,
    ("POST", "/logout"): Permission.read,
    ("GET", "/"): Permission.read,
    ("GET", "/queue"): Permission.triage,
    ("GET", "/queue/facets"): Permission.triage,
    ("GET", "/queue/mine"): Permission.triage,
    ("GET", "/queue/second"): Permission.triage,
    ("POST", "/queue/next"): Permission.triage,
    ("GET", "/records/{record_id}"): Permission.read,
    ("GET", "/records/{record_id}/images/{number}"): Permission.read,
    ("POST", "/records/{record_id}/decide"): Permission.triage,
    ("POST", "/records/{record_id}/claim"): Permission.triage,
    ("POST", "/records/{record_id}/release"): Permission.triage,
    ("POST", "/records/{record_id}/notes"): Permission.triage,
    ("GET", "/bulk"): Permission.triage,
    ("POST", "/bulk"): Permission.triage,
    ("GET", "/search"): Permission.read,
    ("GET", "/pivot"): Permission.read,
    ("GET", "/trends"): Permission.read,
    ("GET", "/trends/data.csv"): Permission.read,
    ("GET", "/trends/gender"): Permission.read,
    ("GET", "/trends/gender.csv"): Permission.read,
    ("GET", "/alerts"): Permission.read,
    ("GET", "/campaigns/{campaign_id}"): Permission.read,
    ("GET", "/sources"): Permission.read,
    ("GET", "/sources/{name}"): Permission.read,
    ("GET", "/cases"): Permission.investigate,
    ("POST", "/cases"): Permission.investigate,
    ("GET", "/cases/{case_id}"): Permission.investigate,
    ("POST", "/cases/{case_id}/records"): Permission.investigate,
    ("GET", "/cases/{case_id}/export.csv"): Permission.investigate,
    ("GET", "/cases/{case_id}/export.json"): Permission.investigate,
    ("GET", "/cases/{case_id}/report"): Permission.investigate,
    ("GET", "/maintain/agreement"): Permission.maintain,
    ("GET", "/maintain/disagreements"): Permission.maintain,
    ("GET", "/maintain/uncertain"): Permission.maintain,
    ("GET", "/maintain/training-data.jsonl"): Permission.maintain,
    ("GET", "/models"): Permission.maintain,
    ("GET", "/models/compare"): Permission.maintain,
    ("POST", "/models/promote"): Permission.maintain,
    ("POST", "/models/rollback"): Permission.maintain,
    ("GET", "/models/training"): Permission.maintain,
    ("POST", "/models/training"): Permission.maintain,
    ("GET", "/models/training/{run_id}"): Permission.maintain,
    ("POST", "/models/training/{run_id}/cancel"): Permission.maintain,
    ("GET", "/admin/users"): Permission.administer,
    ("POST", "/admin/users"): Permission.administer,
    ("GET", "/admin/audit"): Permission.administer,
}
PUBLIC_MOUNTS = {"/static"}
USER_OF_ROLE = {role: name for name, role in ACCOUNTS.items() if name != "bea"}


def declared_permissions(route: APIRoute) -> list[Permission]:
    found: list[Permission] = []
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, PermissionCheck):
            found.append(dependant.call.permission)
        stack.extend(dependant.dependencies)
    return sorted(set(found))


def flat_routes(app: FastAPI) -> list[tuple[str, BaseRoute]]:
    """(path, route) for every route the app serves, through included routers (newer
    FastAPI keeps included routers as lazy wrappers; older ones copy their routes)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        return [(route.path, route) for route in app.routes]  # type: ignore[attr-defined]
    return [(ctx.path or "", ctx.original_route) for ctx in iter_route_contexts(app.routes)]


def app_routes(env: Env) -> list[tuple[str, str, APIRoute]]:
    routes = []
    for path, route in flat_routes(env.app):
        if isinstance(route, Mount):
            assert path in PUBLIC_MOUNTS, f"mount {path} has no rule"
            continue
        assert isinstance(route, APIRoute), f"{route} is not an API route"
        routes.extend((method, path, route) for method in sorted(route.methods))
    assert routes, "no routes found: the enumeration is broken"
    return routes


def test_every_route_has_a_rule(env: Env) -> None:
    seen = set()
    for method, path, route in app_routes(env):
        declared = declared_permissions(route)
        assert len(declared) == 1, f"{method} {path} declares {declared or 'no permission'}"
        assert (method, path) in ROLE_MATRIX, f"{method} {path} is missing from ROLE_MATRIX"
        assert declared[0] is ROLE_MATRIX[(method, path)], f"{method} {path}: {declared[0]}"
        seen.add((method, path))
    assert seen == set(ROLE_MATRIX), f"rules for missing routes: {set(ROLE_MATRIX) - seen}"


def concrete(path: str, case_id: int) -> str:
    return (path.replace("{record_id}", MALAY.id).replace("{case_id}", str(case_id))
            .replace("{run_id}", "1").replace("{number}", "0"))


@pytest.mark.parametrize("role", [*Role, None], ids=[*(r.value for r in Role), "anonymous"])
def test_role_matrix_enforced(env: Env, role: Role | None) -> None:
    """Each role gets through exactly the routes its permission allows: others answer 403,
    and without a session every non-public page sends to the login form."""
    case_id = env.db.add_case("matrix case", "ivan")
    # A run already "going", so POST /models/training answers 409 instead of training.
    env.db.add_training_run("maya", env.path / "runs")
    client = env.client(USER_OF_ROLE[role] if role else None)
    token = csrf(client)
    for method, path, _ in app_routes(env):
        permission = ROLE_MATRIX[(method, path)]
        if path in ("/logout", "/login") and method == "POST":
            continue  # these change the session the loop relies on; tested on their own
        url = concrete(path, case_id)
        response = client.request(method, url, data={"csrf_token": token}
                                  if method == "POST" else None)
        if role is None and permission is not Permission.public:
            expected = 303 if method == "GET" else 401
            assert response.status_code == expected, f"anonymous {method} {url}"
            if method == "GET":
                assert response.headers["location"].startswith("/login?next=")
        elif role is not None and not allows(role, permission):
            assert response.status_code == 403, f"{role} {method} {url}: {response.status_code}"
        else:
            assert response.status_code not in (401, 403, 500), (
                f"{role} {method} {url}: {response.status_code} {response.text[:300]}")


def test_login_logout_and_cookie_flags(env: Env) -> None:
    client = env.client()
    page = client.get("/queue")
    assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Fqueue"
    response = client.post("/login", data={"username": "ana", "password": PASSWORD,
                                            "csrf_token": csrf(client), "next": "/queue"})
    assert response.headers["location"] == "/queue"
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("lw_session="))
    assert "HttpOnly" in session and "SameSite=lax" in session and "Secure" not in session
    assert client.get("/queue").status_code == 200
    assert client.post("/logout", data={"csrf_token": csrf(client)}).status_code == 303
    assert client.get("/queue").status_code == 303
    assert [e.action for e in env.db.audit_entries()][:2] == ["logout", "login"]


def test_login_refuses_foreign_next(env: Env) -> None:
    client = env.client()
    response = client.post("/login", data={"username": "ana", "password": PASSWORD,
                                            "csrf_token": csrf(client),
                                            "next": "//evil.example/x"})
    assert response.headers["location"] == "/"


def test_secure_cookies_use_host_prefix(tmp_path) -> None:
    env = make_env(tmp_path, review={"secure_cookies": True})
    client = env.client()
    response = client.post("/login", data={"username": "ana", "password": PASSWORD,
                                            "csrf_token": csrf(client)})
    session = next(c for c in response.headers.get_list("set-cookie")
                   if c.startswith("__Host-lw_session="))
    assert "Secure" in session and "HttpOnly" in session and "Path=/" in session
    assert client.get("/queue").status_code == 200


def test_wrong_password_then_rate_limit(env: Env) -> None:
    client = env.client()
    for _ in range(5):
        response = client.post("/login", data={"username": "ana", "password": "wrong wrong",
                                                "csrf_token": csrf(client)})
        assert response.status_code == 401 and "Wrong user name or password" in response.text
    response = client.post("/login", data={"username": "ana", "password": PASSWORD,
                                            "csrf_token": csrf(client)})
    assert response.status_code == 429 and "Too many failed logins" in response.text
    actions = [e.action for e in env.db.audit_entries()]
    assert actions.count("login_failed") == 5 and actions[0] == "login_refused"


def test_unknown_user_and_disabled_path_fail_alike(env: Env) -> None:
    client = env.client()
    response = client.post("/login", data={"username": "nobody", "password": PASSWORD,
                                            "csrf_token": csrf(client)})
    assert response.status_code == 401


@pytest.mark.parametrize("token", [None, "forged"])
def test_state_changes_need_the_csrf_token(env: Env, token: str | None) -> None:
    client = env.client("ana")
    data = {"action": "tip", "version": "0"}
    if token:
        data["csrf_token"] = token
    response = client.post(f"/records/{MALAY.id}/decide", data=data)
    assert response.status_code == 403 and "CSRF" in response.text
    assert env.store.get(MALAY.id).review_state is ReviewState.unreviewed  # type: ignore[union-attr]
    # the same request with the token in the header htmx sends is accepted
    response = client.post(f"/records/{MALAY.id}/decide", data={"action": "tip", "version": "0"},
                           headers={"X-CSRF-Token": csrf(client)})
    assert response.status_code == 303


def test_login_form_needs_csrf_too(env: Env) -> None:
    client = env.client()
    client.get("/login")
    response = client.post("/login", data={"username": "ana", "password": PASSWORD})
    assert response.status_code == 403


def test_security_headers_and_no_inline_script_anywhere(env: Env) -> None:
    client = env.client("root")
    for path in ("/queue", f"/records/{XSS.id}", "/search?q=gaji", "/trends", "/trends/gender",
                 "/admin/audit", "/maintain/agreement", f"/pivot?kind=phone&value={SHARED_PHONE}"):
        response = client.get(path)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert TagAudit.problems(response.text) == [], path


class TagAudit(HTMLParser):
    """Lists, from the parsed page, every tag a strict CSP would block or that runs script:
    inline <script>, on* handlers, style attributes, javascript: links."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    @classmethod
    def problems(cls, html: str) -> list[str]:
        audit = cls()
        audit.feed(html)
        return audit.found

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("inline <style>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip(
                    ).lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")


def test_hostile_record_is_escaped(any_env: Env) -> None:
    env = any_env
    html = env.client("ana").get(f"/records/{XSS.id}").text
    assert "<script>window.__xss" not in html and "<img src=x" not in html
    assert "&lt;script&gt;window.__xss" in html
    assert "<svg onload" not in html and "<b onmouseover" not in html
    assert 'href="javascript:' not in html
    assert "{{ 7*7 }}" in html or "{{ 7*7 }}" in html.replace("&#123;", "{")
    # the crawled link opens without handing this page to the crawled site
    legit = env.client("ana").get(f"/records/{MALAY.id}").text
    link = re.search(r'<a href="https://jobs\.example\.my/ad/1"[^>]*>', legit)
    assert link and 'rel="noopener noreferrer nofollow"' in link.group(0)


def test_focus_view_shows_evidence_contacts_and_links(any_env: Env) -> None:
    env = any_env
    html = env.client("ana").get(f"/records/{MALAY.id}").text
    assert ('<mark class="ev" data-ev="3">Yuran proses RM1500<sup class="ev-num">3</sup></mark>'
            in html)
    assert "worker_pays_fees" in html and "rules-test-1" in html
    assert "RM6000 sebulan" in html and "1280 USD/month" in html
    # another record shares the phone and the cluster; the Burmese one shares the phone
    assert f"/records/{MALAY_COPY.id}" in html and f"/records/{BURMESE.id}" in html
    for key in ("t", "s", "l", "x", "e", "j"):
        assert f'data-key="{key}"' in html


def _image_record(source: str, *images: str, n: int = 0) -> Ad:
    return Ad(source=source, url=f"https://jobs.example.my/ad/poster-{n}", title="Poster",
              text="Lihat poster.", images=list(images))


def test_image_proxy_fetches_for_the_reviewer_and_never_caches(any_env: Env) -> None:
    """Through both stores: the record keeps its image URLs, and the application fetches
    the image (a local_test source may use loopback), never the browser."""
    with serve_sample_sites() as site:
        ad = _image_record("kerjahub", f"{site.base_url}/board/images/kilang.png",
                           f"{site.base_url}/board/images/dubai.png")
        any_env.store.upsert([ad])
        assert any_env.store.get(ad.id).images == ad.images  # type: ignore[union-attr]
        ivan = any_env.client("ivan")  # an investigator may see records, so their images
        page = ivan.get(f"/records/{ad.id}").text
        assert f'data-image-src="/records/{ad.id}/images/1"' in page
        assert site.base_url not in page.split("<h2>Images</h2>")[1].split("</ul>")[0]
        response = ivan.get(f"/records/{ad.id}/images/1")
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
        assert response.headers["cache-control"] == "no-store"
        assert response.content == sample_png(*SAMPLE_IMAGES["dubai.png"])
        assert "img-src 'self' data:;" in response.headers["content-security-policy"]
        assert ivan.get(f"/records/{ad.id}/images/2").status_code == 404
        assert any_env.client().get(f"/records/{ad.id}/images/0").status_code == 303  # login


def test_image_proxy_refuses_private_addresses_other_types_and_oversize(env: Env) -> None:
    ana = env.client("ana")
    with serve_sample_sites() as site:
        # Not a local_test source: loopback is refused before anything is sent.
        ads = [_image_record("jobboard_my", f"{site.base_url}/board/images/kilang.png", n=0),
               _image_record("jobboard_my", "http://169.254.169.254/latest/meta-data", n=1),
               _image_record("kerjahub", f"{site.base_url}/board/jobs", n=2),
               _image_record("kerjahub", f"{site.base_url}/board/images/huge.png", n=3)]
        env.store.upsert(ads)
        ids = [ad.id for ad in ads]
        refused = ana.get(f"/records/{ids[0]}/images/0")
        assert refused.status_code == 403 and "non-public address" in refused.text
        assert site.hits["/board/images/kilang.png"] == 0
        assert ana.get(f"/records/{ids[1]}/images/0").status_code == 403
        not_image = ana.get(f"/records/{ids[2]}/images/0")
        assert not_image.status_code == 502 and "not an image: content type text/html" in (
            not_image.text)
        oversize = ana.get(f"/records/{ids[3]}/images/0")
        assert oversize.status_code == 502 and "larger than" in oversize.text
        assert oversize.headers["cache-control"] == "no-store"


def test_content_warning_for_minors(env: Env) -> None:
    html = env.client("ana").get(f"/records/{MINORS.id}").text
    assert "Content warning: minors may be targeted" in html
    assert '<details class="content-warning">' in html
    assert '<details class="content-warning">' not in env.client("ana").get(
        f"/records/{LEGIT.id}").text


def test_queue_claims_and_decisions(any_env: Env) -> None:
    env = any_env
    ana, bea = env.client("ana"), env.client("bea")
    queue = ana.get("/queue?sort=score").text
    assert queue.index(XSS.id) < queue.index(MINORS.id) < queue.index(MALAY.id)
    assert LEGIT.id not in queue  # not flagged
    first = ana.post("/queue/next", data={"csrf_token": csrf(ana), "query": "sort=score"})
    assert first.headers["location"].startswith(f"/records/{XSS.id}?")
    # bea's next skips the record ana holds
    other = bea.post("/queue/next", data={"csrf_token": csrf(bea), "query": "sort=score"})
    assert other.headers["location"].startswith(f"/records/{MINORS.id}?")
    assert "held by ana" in bea.get(f"/records/{XSS.id}").text
    assert XSS.id in ana.get("/queue/mine").text
    decided = ana.post(f"/records/{XSS.id}/decide", data={
        "csrf_token": csrf(ana), "action": "tip", "version": "0", "note": "fees and urgency",
        "queue": "sort=score"})
    assert decided.status_code == 303
    # the next record goes to ana, skipping what bea holds
    assert decided.headers["location"].startswith(f"/records/{MALAY.id}?")
    stored = env.store.get(XSS.id)
    assert stored and stored.review_state is ReviewState.confirmed_tip
    assert stored.decisions[-1].reviewer == "ana"
    assert stored.decisions[-1].note == "fees and urgency"
    assert env.db.reviews_today("ana") == 1
    assert env.db.audit_entries(action="decision")[0].target == XSS.id
    assert XSS.id not in ana.get("/queue").text
    assert 'id="daily-count" title="records you decided today">today: 1' in ana.get("/queue").text


def test_second_look_offers_a_sample_to_other_reviewers(env: Env) -> None:
    ana, bea = env.client("ana"), env.client("bea")
    for record in (INDONESIAN, MALAY):  # only INDONESIAN's id falls in the sample
        ana.post(f"/records/{record.id}/decide", data={"csrf_token": csrf(ana),
                                                       "action": "tip", "version": "0"})
    offered = bea.get("/queue/second").text
    assert f"/records/{INDONESIAN.id}" in offered and f"/records/{MALAY.id}" not in offered
    assert f"/records/{INDONESIAN.id}" not in ana.get("/queue/second").text
    bea.post(f"/records/{INDONESIAN.id}/decide", data={"csrf_token": csrf(bea),
                                                       "action": "tip", "version": "1"})
    assert f"/records/{INDONESIAN.id}" not in bea.get("/queue/second").text


def test_queue_facets_load_separately_and_filter(env: Env) -> None:
    ana = env.client("ana")
    assert 'hx-get="/queue/facets?language=ms"' in ana.get("/queue?language=ms").text
    facets = ana.get("/queue/facets").text
    assert re.search(r'href="/queue\?language=th">th</a> <span class="n">1</span>', facets)
    assert re.search(r'>ms</a> <span class="n">4</span>', facets)  # XSS, MINORS, MALAY x2
    only_thai = ana.get("/queue?language=th").text
    assert THAI.id in only_thai and MALAY.id not in only_thai


def test_break_prompt_after_many_reviews(tmp_path) -> None:
    env = make_env(tmp_path, review={"break_after": 2})
    ana = env.client("ana")
    for record in (MALAY, THAI):
        ana.post(f"/records/{record.id}/decide", data={"csrf_token": csrf(ana),
                                                       "action": "legitimate", "version": "0"})
    assert "take a break" in ana.get("/queue").text


def test_stale_decision_is_refused_with_a_clear_message(any_env: Env) -> None:
    env = any_env
    ana, bea = env.client("ana"), env.client("bea")
    ana.post(f"/records/{THAI.id}/decide", data={"csrf_token": csrf(ana), "action": "tip",
                                                 "version": "0"})
    stale = bea.post(f"/records/{THAI.id}/decide", data={"csrf_token": csrf(bea),
                                                          "action": "legitimate", "version": "0"})
    assert stale.status_code == 409
    assert "Someone else changed this record" in stale.text and "not applied" in stale.text
    assert env.store.get(THAI.id).review_state is ReviewState.confirmed_tip  # type: ignore[union-attr]
    assert env.db.audit_entries(action="decision_conflict")[0].actor == "bea"


def test_indicator_corrections_and_notes(env: Env) -> None:
    ana = env.client("ana")
    ticked = [i for i in MALAY.indicator_ids() if i != "no_requirements"] + ["debt_or_advance"]
    ana.post(f"/records/{MALAY.id}/decide", data={
        "csrf_token": csrf(ana), "action": "tip", "version": "0", "corrections": "1",
        "indicators": ticked})
    stored = env.store.get(MALAY.id)
    assert stored and sorted(stored.indicator_ids()) == sorted(ticked)
    assert stored.decisions[-1].indicators_removed == ["no_requirements"]
    bad = ana.post(f"/records/{MALAY.id}/decide", data={
        "csrf_token": csrf(ana), "action": "tip", "version": "1", "corrections": "1",
        "indicators": ["made_up"]})
    assert bad.status_code == 400 and "unknown indicator made_up" in bad.text
    ana.post(f"/records/{MALAY.id}/notes", data={"csrf_token": csrf(ana),
                                                 "text": "<i>same phone as MM post</i>"})
    html = ana.get(f"/records/{MALAY.id}").text
    assert "&lt;i&gt;same phone as MM post&lt;/i&gt;" in html


def test_bulk_decisions_report_conflicts(env: Env) -> None:
    ana = env.client("ana")
    page = ana.get("/bulk").text
    assert f'value="{CHINESE.id}:0"' in page
    env.store.decide(INDONESIAN.id, _decision("bea"), 0)  # changed behind ana's back
    response = ana.post("/bulk", data={"csrf_token": csrf(ana), "action": "legitimate",
                                       "selected": [f"{CHINESE.id}:0", f"{INDONESIAN.id}:0"]})
    assert response.status_code == 200
    assert "Applied to 1" in response.text and INDONESIAN.id in response.text
    assert env.store.get(CHINESE.id).review_state is ReviewState.dismissed_legitimate  # type: ignore[union-attr]


def _decision(reviewer: str, state: ReviewState = ReviewState.confirmed_tip):
    from lurewatch.record import Decision

    return Decision(reviewer=reviewer, state=state)


@pytest.mark.parametrize(("query", "expected", "absent"), [
    ("นวด", THAI, MALAY), ("gaji", MALAY, THAI), ("护照", CHINESE, THAI),
    ("ပတ်စပို့", BURMESE, MALAY)])
def test_search_in_the_region_languages(any_env: Env, query: str, expected, absent) -> None:
    env = any_env
    html = env.client("ivan").get("/search", params={"q": query}).text
    assert f"/records/{expected.id}" in html and f"/records/{absent.id}" not in html
    assert f"<mark>{query}</mark>" in html


def test_search_filters_facets_and_bad_input(env: Env) -> None:
    ivan = env.client("ivan")
    html = ivan.get("/search", params={"language": "ms", "label": "deceptive_recruitment"}).text
    assert f"/records/{MALAY.id}" in html and f"/records/{THAI.id}" not in html
    assert re.search(r'id="result-count">4 records', html)
    assert re.search(r">th</a> <span class=\"n\">1</span>", ivan.get("/search").text)
    bad = ivan.get("/search", params={"score_min": "high", "from": "yesterday", "page": "x"})
    assert bad.status_code == 200
    for message in ("score_min: 'high' is not a number", "from: 'yesterday' is not a date",
                    "page: 'x' is not a page number from 1 to 400"):
        assert message.replace("'", "&#39;") in bad.text
    # hostile text in the highlight fragment stays text
    xss = ivan.get("/search", params={"q": "window"}).text
    assert "<script>window" not in xss and "<mark>window</mark>" in xss


def test_paging_stops_at_the_result_window_on_every_store(any_env: Env) -> None:
    """Past the first 10,000 results the engines refuse a page; every store stops there,
    with a message instead of an error page."""
    ivan = any_env.client("ivan")
    last = ivan.get("/search", params={"page": "400"})  # 400 pages of 25: the last one
    assert last.status_code == 200 and "is not a page number" not in last.text
    beyond = ivan.get("/search", params={"page": "401"})
    assert beyond.status_code == 200
    assert "only the first 10,000 results can be paged through" in beyond.text
    queue = any_env.client("ana").get("/queue", params={"page": "201"})  # pages of 50
    assert queue.status_code == 200 and "from 1 to 200" in queue.text
    assert ivan.get("/alerts", params={"offset": "9900"}).status_code == 200
    assert ivan.get("/alerts", params={"offset": "9901"}).status_code == 400


def test_a_store_that_is_down_gives_a_clear_page_and_changes_nothing(
        tmp_path: Path) -> None:
    """A search engine that does not answer (nothing listens on the discard port)."""
    from index.engine.clients import OpenSearchStore
    from index.testnode.fixtures import engine_settings

    down = OpenSearchStore.from_settings(
        engine_settings("http://127.0.0.1:9", tmp_path, bulk_max_retries=0))
    env = make_env(tmp_path, down)  # its records wait in the spool
    ana = env.client("ana")
    for path in ("/queue", "/search?q=gaji", f"/records/{MALAY.id}", "/trends", "/alerts"):
        response = ana.get(path)
        assert response.status_code == 503, path
        assert "The record store is not answering just now" in response.text
        assert "Traceback" not in response.text
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert down.spool is not None and len(down.spool) == len(records())
    down.close()


def test_pivot_on_a_shared_phone_with_timeline(any_env: Env) -> None:
    env = any_env
    html = env.client("ivan").get("/pivot", params={"kind": "phone", "value": SHARED_PHONE}).text
    assert 'id="pivot-count">3 records share this phone' in html
    assert html.index(MALAY.id) < html.index(MALAY_COPY.id) < html.index(BURMESE.id)
    assert "<svg" in html and "<polyline" in html
    bad = env.client("ivan").get("/pivot", params={"kind": "shoe", "value": "x"})
    assert bad.status_code == 400 and "A pivot needs a kind" in bad.text


def test_trends_csv_and_gender_view(any_env: Env) -> None:
    env = any_env
    ivan = env.client("ivan")
    assert "<polyline" in ivan.get("/trends?split=indicator&interval=month").text
    data = ivan.get("/trends/data.csv?split=label&interval=month").text
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[0] == ["period", "label", "count"]
    assert sum(int(r[2]) for r in rows[1:]) == len(RECORDS)
    gender = {r["sector"]: r for r in csv.DictReader(io.StringIO(
        ivan.get("/trends/gender.csv?interval=month").text))}
    assert gender["massage"]["aimed_at_women_or_girls"] == "1"
    assert gender["massage"]["share_age_or_appearance"] == "1.000"
    assert gender["manufacturing"]["aimed_at_women_or_girls"] == "0"
    assert ivan.get("/trends?split=shoe").status_code == 200  # one clear error, label used
    assert "split: &#39;shoe&#39; is not one of" in ivan.get("/trends?split=shoe").text


def test_case_export_csv_json_report(any_env: Env) -> None:
    env = any_env
    ivan = env.client("ivan")
    created = ivan.post("/cases", data={"csrf_token": csrf(ivan), "name": "Johor factory ring",
                                        "record_ids": [MALAY.id, BURMESE.id]})
    case_url = created.headers["location"]
    ivan.post(f"{case_url}/records", data={"csrf_token": csrf(ivan), "record_ids": [XSS.id]})
    env.store.decide(MALAY.id, _decision("ana"), 0)
    env.db.add_note(MALAY.id, "ana", "=HYPERLINK(\"http://evil\")")
    table = list(csv.DictReader(io.StringIO(ivan.get(f"{case_url}/export.csv").text)))
    assert [r["id"] for r in table] == [MALAY.id, BURMESE.id, XSS.id]
    assert "ana: confirmed_tip" in table[0]["decisions"]
    assert table[0]["notes"].endswith("ana: =HYPERLINK(\"http://evil\")")
    assert table[2]["employer"].startswith("<b")  # CSV carries the text as it was
    document = json.loads(ivan.get(f"{case_url}/export.json").text)
    assert document["case"]["name"] == "Johor factory ring"
    assert document["records"][0]["notes"][0]["by"] == "ana"
    report = ivan.get(f"{case_url}/report").text
    assert "Johor factory ring" in report and "<script>window" not in report
    assert [e.detail.split(",")[0] for e in env.db.audit_entries(action="export")] == [
        "report", "json", "csv"]


def test_csv_cells_cannot_become_formulas() -> None:
    from review_ui.services.charts import to_csv

    row = next(csv.reader(io.StringIO(to_csv(["a", "b"], [["=1+1", "ok"]]).splitlines()[1])))
    assert row == ["'=1+1", "ok"]


def test_cohen_kappa_matches_the_textbook() -> None:
    pairs = [("a", "a")] * 20 + [("a", "b")] * 5 + [("b", "a")] * 10 + [("b", "b")] * 15
    assert cohen_kappa(pairs) == pytest.approx(0.4)  # the standard 50-item example
    assert cohen_kappa([]) is None and cohen_kappa([("a", "a")]) is None


@pytest.mark.slow  # importing scikit-learn takes seconds
def test_cohen_kappa_agrees_with_scikit_learn() -> None:
    pairs = [("tip", "tip")] * 7 + [("tip", "som")] * 2 + [("som", "som")] * 4 + [
        ("legitimate", "tip")] * 3 + [("legitimate", "legitimate")] * 9
    sklearn = pytest.importorskip("sklearn.metrics", reason="scikit-learn (train extra) absent")
    assert cohen_kappa(pairs) == pytest.approx(
        sklearn.cohen_kappa_score([a for a, _ in pairs], [b for _, b in pairs]))


def test_agreement_precision_disagreements_and_training_data(any_env: Env) -> None:
    env = any_env
    ana, bea, maya = env.client("ana"), env.client("bea"), env.client("maya")
    for client, record, action, version in (
            (ana, MALAY, "tip", 0), (bea, MALAY, "tip", 1),
            (ana, THAI, "tip", 0), (bea, THAI, "legitimate", 1),
            (ana, LEGIT, "legitimate", 0)):
        response = client.post(f"/records/{record.id}/decide", data={
            "csrf_token": csrf(client), "action": action, "version": str(version)})
        assert response.status_code == 303
    page = maya.get("/maintain/agreement").text
    assert "2 reviewed by two or more people" in page
    assert re.search(r"<td>ana</td><td>bea</td><td class=\"num\">2</td><td class=\"num\">1</td>",
                     page)
    assert re.search(r"<td>deceptive_recruitment</td><td>all</td><td class=\"num\">2</td>"
                     r"<td class=\"num\">1</td><td class=\"num\">0.50</td>", page)
    disagreements = maya.get("/maintain/disagreements").text
    assert THAI.id in disagreements and "reviewers differ" in disagreements
    assert MALAY.id not in disagreements
    lines = [json.loads(x) for x in maya.get("/maintain/training-data.jsonl").text.splitlines()]
    assert {row["id"]: row["label"] for row in lines} == {
        f"review-{MALAY.id}": "deceptive_recruitment", f"review-{THAI.id}": "legitimate",
        f"review-{LEGIT.id}": "legitimate"}
    from classifiers.labelled import LabelledItem

    assert all(LabelledItem.model_validate(row) for row in lines)  # what training reads


def test_uncertain_queue(env: Env) -> None:
    html = env.client("maya").get("/maintain/uncertain?threshold=0.6&band=0.1").text
    assert INDONESIAN.id in html and MALAY.id not in html
    assert "threshold: " not in html


def test_models_list_compare_promote_rollback(tmp_path) -> None:
    registry = make_registry(tmp_path / "registry", {"v1": 0.71, "v2": 0.78, "v3": 0.8},
                             broken="v3")
    env = make_env(tmp_path, model={"registry": registry})
    maya = env.client("maya")
    page = maya.get("/models").text
    assert "none (rules only)" in page and "label.macro_f1" in page
    assert "&lt;script&gt;x" in page and "weights missing" in page
    compare = maya.get("/models/compare?a=v1&b=v2").text
    assert re.search(r"<th>label.macro_f1</th><td class=\"num\">0.71</td>"
                     r"<td class=\"num\">0.78</td>", compare)
    for version in ("v1", "v2"):
        promoted = maya.post("/models/promote", data={"csrf_token": csrf(maya),
                                                      "version": version})
        assert promoted.status_code == 303
    assert Registry(registry).promoted().version == "v2"  # type: ignore[union-attr]
    refused = maya.post("/models/promote", data={"csrf_token": csrf(maya), "version": "v3"})
    assert refused.status_code == 400 and "is missing" in refused.text
    assert maya.post("/models/rollback", data={"csrf_token": csrf(maya)}).status_code == 303
    assert Registry(registry).promoted().version == "v1"  # type: ignore[union-attr]
    assert 'id="promoted">v1<' in maya.get("/models").text
    assert [(e.action, e.target) for e in env.db.audit_entries()][:4] == [
        ("model_rolled_back", "v1"), ("model_promote_refused", "v3"),
        ("model_promoted", "v2"), ("model_promoted", "v1")]
    unknown = maya.post("/models/promote", data={"csrf_token": csrf(maya), "version": "v9"})
    assert unknown.status_code == 400 and "no model version" in unknown.text


@pytest.mark.slow  # real child processes that import the whole command line
def test_training_run_in_the_background_and_cancelled(env: Env) -> None:
    """A real run (export, ``lurewatch dataset merge``, ``lurewatch train``) followed on its
    page as it goes, and stopped: training itself takes far too long for a test."""
    ana, maya = env.client("ana"), env.client("maya")
    ana.post(f"/records/{MALAY.id}/decide", data={"csrf_token": csrf(ana), "action": "tip",
                                                 "version": "0"})
    started = maya.post("/models/training", data={"csrf_token": csrf(maya)})
    assert started.status_code == 303 and started.headers["location"] == "/models/training/1"
    busy = maya.post("/models/training", data={"csrf_token": csrf(maya)})
    assert busy.status_code == 409 and "already going" in busy.text
    run = env.db.training_run(1)
    assert run is not None
    deadline = time.monotonic() + 600
    while "$ lurewatch train" not in (run.folder / "log.txt").read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, "the merge step did not finish"
        assert env.db.training_run(1).status == "running", (  # type: ignore[union-attr]
            (run.folder / "log.txt").read_text(encoding="utf-8"))
        time.sleep(1)
    assert (run.folder / "train.jsonl").is_file()  # the merge ran for real
    page = maya.get("/models/training/1").text
    assert 'hx-trigger="every 3s"' in page and "1 reviewed records exported" in page
    assert maya.post("/models/training/1/cancel",
                     data={"csrf_token": csrf(maya)}).status_code == 303
    while (run := env.db.training_run(1)) and run.status == "running":
        assert time.monotonic() < deadline, "the run did not stop"
        time.sleep(0.5)
    assert run is not None and run.status == "cancelled"
    assert 'hx-trigger="every 3s"' not in maya.get("/models/training/1").text
    assert [e.action for e in env.db.audit_entries()][:2] == [
        "training_cancelled", "training_started"]


def _tiny_labelled_set(source: Path, out: Path, per_label: int) -> Path:
    """The first ``per_label`` items of each label of one of the project's labelled sets."""
    taken: dict[str, int] = {}
    with out.open("w", encoding="utf-8") as handle:
        for line in source.read_text(encoding="utf-8").splitlines():
            label = json.loads(line)["label"]
            if taken.get(label, 0) < per_label:
                taken[label] = taken.get(label, 0) + 1
                handle.write(line + "\n")
    return out


@pytest.mark.slow  # a real (one-epoch, 32-record) fine-tune, ONNX export and evaluation: ~3 min
@pytest.mark.timeout(900)
def test_training_run_registers_a_model_to_compare_and_promote(tmp_path: Path) -> None:
    from classifiers.transformer.bootstrap import BootstrapError, base_checkpoint

    try:
        base_checkpoint()
    except BootstrapError as exc:
        pytest.skip(str(exc))
    data = PACKAGE_ROOT / "classifiers" / "data"
    registry = make_registry(tmp_path / "registry", {"v1": 0.5})
    Registry(registry).promote("v1")
    env = make_env(tmp_path, model={"registry": registry}, review={
        "training_data": _tiny_labelled_set(data / "train.jsonl", tmp_path / "t.jsonl", 8),
        "training_dev": _tiny_labelled_set(data / "dev.jsonl", tmp_path / "d.jsonl", 5),
        "training_epochs": 1})
    ana, maya = env.client("ana"), env.client("maya")
    ana.post(f"/records/{MALAY.id}/decide", data={"csrf_token": csrf(ana), "action": "tip",
                                                 "version": "0"})
    assert maya.post("/models/training", data={"csrf_token": csrf(maya)}).status_code == 303
    deadline = time.monotonic() + 800
    while (run := env.db.training_run(1)) and run.status == "running":
        assert time.monotonic() < deadline, "the training run did not finish"
        time.sleep(2)
    assert run is not None
    log = (run.folder / "log.txt").read_text(encoding="utf-8")
    assert run.status == "succeeded", log
    assert "$ lurewatch model register" in log
    version = json.loads((run.folder / "registered.json").read_text())["version"]
    model = Registry(registry).get(version)
    model.verify_weights()  # exported ONNX, checksummed in the manifest
    assert model.manifest["data"]["train"]["records_used"] == 33  # 32 + the reviewed one
    assert model.read_json("metrics.json")["served"]["overall"]["macro_f1"] >= 0
    assert (model.folder / "MODEL_CARD.md").is_file()
    assert Registry(registry).promoted().version == "v1"  # type: ignore[union-attr]

    page = maya.get("/models/training/1").text
    link = f'/models/compare?a=v1&amp;b={version}'
    assert link in page and 'id="promote-run"' in page
    compare = maya.get(f"/models/compare?a=v1&b={version}").text
    assert f"<th>{version}</th>" in compare and "served.overall.macro_f1" in compare
    promoted = maya.post("/models/promote", data={"csrf_token": csrf(maya),
                                                  "version": version})
    assert promoted.status_code == 303
    assert Registry(registry).promoted().version == version  # type: ignore[union-attr]
    assert (env.db.audit_entries()[0].action, env.db.audit_entries()[0].target) == (
        "model_promoted", version)
    assert 'id="promote-run"' not in maya.get("/models/training/1").text


def test_admin_adds_users_and_reads_the_audit_log(env: Env) -> None:
    root = env.client("root")
    weak = root.post("/admin/users", data={"csrf_token": csrf(root), "username": "newbie",
                                           "role": "analyst", "password": "short"})
    assert weak.status_code == 400 and "at least 10 characters" in weak.text
    bad_role = root.post("/admin/users", data={"csrf_token": csrf(root), "username": "newbie",
                                               "role": "king", "password": PASSWORD})
    assert bad_role.status_code == 400 and "Bad request: role" in bad_role.text
    root.post("/admin/users", data={"csrf_token": csrf(root), "username": "newbie",
                                    "role": "investigator", "password": PASSWORD})
    newbie = env.client()
    login(newbie, "newbie")
    assert newbie.get("/cases").status_code == 200
    audit = root.get("/admin/audit").text
    assert "user_added" in audit and "newbie" in audit
    assert root.get("/admin/audit?before=abc").status_code == 400


def test_audit_log_is_append_only(env: Env) -> None:
    env.db.audit("root", "login")
    with sqlite3.connect(env.db.path) as raw:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute("UPDATE audit SET actor = 'someone else'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute("DELETE FROM audit")


def test_unknown_record_and_case(env: Env) -> None:
    root = env.client("root")
    assert root.get("/records/nope").status_code == 404
    assert root.get("/cases/999").status_code == 404
    assert root.get("/cases/abc").status_code == 400


@pytest.mark.slow  # imports the whole command line (every component)
def test_cli_user_add(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lurewatch.cli import load_commands  # mounts every component: slow to import
    cli_app = load_commands()

    monkeypatch.setenv("LUREWATCH_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    ok = runner.invoke(cli_app, ["user", "add", "first", "--role", "admin", "--password-stdin"],
                       input=PASSWORD + "\n")
    assert ok.exit_code == 0, ok.output
    assert "added first (admin)" in ok.output
    again = runner.invoke(cli_app, ["user", "add", "first", "--password-stdin"],
                          input=PASSWORD + "\n")
    assert again.exit_code == 2 and "exists already" in again.output
    weak = runner.invoke(cli_app, ["user", "add", "second", "--password-stdin"], input="short\n")
    assert weak.exit_code == 2 and "at least 10 characters" in weak.output
    bad_role = runner.invoke(cli_app, ["user", "add", "third", "--role", "king",
                                       "--password-stdin"], input=PASSWORD + "\n")
    assert bad_role.exit_code == 2


def test_serve_refuses_to_start_without_accounts(tmp_path, monkeypatch) -> None:
    from lurewatch.cli import load_commands
    cli_app = load_commands()

    monkeypatch.setenv("LUREWATCH_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli_app, ["serve"])
    assert result.exit_code == 2 and "lurewatch user add NAME --role admin" in result.output


def test_alerts_page_lists_the_monitors_alerts_escaped(env: Env) -> None:
    from index.alerts import NewAlert

    record_id = records()[0].id
    env.store.add_alert(NewAlert(
        key="high-score:record:x", rule="high-score", kind="high_score",
        subject_type="record", subject_id=record_id,
        summary="<script>alert(1)</script> score 0.97 in MY", link=f"/records/{record_id}",
        details={}), channels=["webhook"])
    page = env.client("ivan").get("/alerts")
    assert page.status_code == 200
    assert f'href="/records/{record_id}"' in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; score 0.97 in MY" in page.text
    assert "webhook: pending" in page.text
    assert env.client().get("/alerts").status_code in (302, 303)
