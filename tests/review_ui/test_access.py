"""Every route against every role, the security headers on every page, and hostile text escaped."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount

from review_ui.access import Permission, Role, allows
from review_ui.api.tokens import issue_token
from review_ui.deps import API_PREFIX, PermissionCheck
from tests.review_ui.conftest import (
    ACCOUNTS,
    Env,
    csrf,
)
from tests.review_ui.seed import MALAY, SHARED_PHONE, XSS

# Every route and who may use it. A route added to the app without a line here fails
# test_every_route_has_a_rule; a line whose permission differs from the route's fails too.
ROLE_MATRIX: dict[tuple[str, str], Permission] = {
    ("GET", "/healthz"): Permission.public,
    ("GET", "/login"): Permission.public,
    ("POST", "/login"): Permission.public,
    ("GET", "/login/password"): Permission.public,
    ("POST", "/login/password"): Permission.public,
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
    ("GET", "/cases/{case_id}/pseudonyms"): Permission.investigate,
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
    ("POST", "/admin/users/{username}/disable"): Permission.administer,
    ("POST", "/admin/users/{username}/enable"): Permission.administer,
    ("POST", "/admin/users/{username}/role"): Permission.administer,
    ("POST", "/admin/users/{username}/password-reset"): Permission.administer,
    ("GET", "/api/v1/records"): Permission.read,
    ("GET", "/api/v1/records/{record_id}"): Permission.read,
    ("GET", "/api/v1/records/{record_id}/history"): Permission.read,
    ("POST", "/api/v1/records/{record_id}/decisions"): Permission.triage,
    ("GET", "/api/v1/pivots/{kind}"): Permission.read,
    ("GET", "/api/v1/campaigns/{campaign_id}"): Permission.read,
    ("GET", "/api/v1/cases"): Permission.investigate,
    ("GET", "/api/v1/cases/{case_id}"): Permission.investigate,
    ("GET", "/api/v1/alerts"): Permission.read,
    ("GET", "/api/v1/sources"): Permission.read,
    ("GET", "/api/v1/sources/{name}/runs"): Permission.read,
    ("GET", "/api/v1/models"): Permission.maintain,
    ("GET", "/api/v1/openapi.json"): Permission.read,
    ("GET", "/api/v1/docs"): Permission.read,
    ("GET", "/watchlists"): Permission.read,
    ("POST", "/watchlists"): Permission.read,
    ("POST", "/watchlists/{watchlist_id}/pause"): Permission.read,
    ("POST", "/watchlists/{watchlist_id}/resume"): Permission.read,
    ("POST", "/watchlists/{watchlist_id}/delete"): Permission.read,
    ("GET", "/api/v1/watchlists"): Permission.read,
    ("POST", "/api/v1/watchlists"): Permission.read,
    ("POST", "/api/v1/watchlists/{watchlist_id}/pause"): Permission.read,
    ("POST", "/api/v1/watchlists/{watchlist_id}/resume"): Permission.read,
    ("DELETE", "/api/v1/watchlists/{watchlist_id}"): Permission.read,
    ("GET", "/admin/tokens"): Permission.administer,
    ("POST", "/admin/tokens/{token_id}/revoke"): Permission.administer,
}
# API routes a browser session may not use (they take a personal token only), and the
# API's one page (signed-in users only, like every page).
TOKEN_ONLY = {("POST", "/api/v1/records/{record_id}/decisions"),
              ("POST", "/api/v1/watchlists"),
              ("POST", "/api/v1/watchlists/{watchlist_id}/pause"),
              ("POST", "/api/v1/watchlists/{watchlist_id}/resume"),
              ("DELETE", "/api/v1/watchlists/{watchlist_id}")}
API_PAGES = {("GET", "/api/v1/docs")}
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
            .replace("{run_id}", "1").replace("{number}", "0").replace("{kind}", "phone")
            .replace("{token_id}", "1").replace("{watchlist_id}", "1"))


def is_api(path: str) -> bool:
    return path.startswith(API_PREFIX + "/")


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
                                  if method in ("POST", "DELETE") else None)
        if (method, path) in TOKEN_ONLY:
            assert response.status_code == 401, f"{role} {method} {url} with a session"
        elif role is None and permission is not Permission.public:
            # The API answers 401 to a script; its docs page sends to the login form.
            pages = not is_api(path) or (method, path) in API_PAGES
            expected = 303 if method == "GET" and pages else 401
            assert response.status_code == expected, f"anonymous {method} {url}"
            if expected == 303:
                assert response.headers["location"].startswith("/login?next=")
        elif role is not None and not allows(role, permission):
            assert response.status_code == 403, f"{role} {method} {url}: {response.status_code}"
        else:
            assert response.status_code not in (401, 403, 500), (
                f"{role} {method} {url}: {response.status_code} {response.text[:300]}")


@pytest.mark.parametrize("role", [*Role, None], ids=[*(r.value for r in Role), "anonymous"])
def test_api_role_matrix_enforced_for_tokens(env: Env, role: Role | None) -> None:
    """The same matrix for every API route called with a personal token (no cookies):
    a token acts with its owner's role, and without one the API answers 401."""
    case_id = env.db.add_case("matrix case", "ivan")
    client = env.client()
    headers = {"Authorization": f"Bearer {issue_token(env.db, USER_OF_ROLE[role])[1]}"
               } if role else {}
    api_routes = [(m, p) for m, p, _ in app_routes(env)
                  if is_api(p) and (m, p) not in API_PAGES]
    assert len(api_routes) >= 10
    for method, path in api_routes:
        permission = ROLE_MATRIX[(method, path)]
        url = concrete(path, case_id)
        response = client.request(method, url, headers=headers)
        assert response.headers["content-type"] == "application/json", f"{method} {url}"
        if role is None:
            assert response.status_code == 401, f"anonymous {method} {url}"
            assert response.headers["www-authenticate"].startswith("Bearer")
        elif not allows(role, permission):
            assert response.status_code == 403, f"{role} {method} {url}: {response.status_code}"
        else:
            assert response.status_code not in (401, 403, 500), (
                f"{role} {method} {url}: {response.status_code} {response.text[:300]}")


def test_refused_roles_are_audit_events(env: Env) -> None:
    ana = env.client("ana")
    assert ana.get("/admin/users").status_code == 403
    assert ana.post("/cases", data={"name": "x", "csrf_token": csrf(ana)}).status_code == 403
    for _ in range(50):  # a loop of the same refusal is one entry a minute, not fifty
        assert ana.get("/admin/users").status_code == 403
    refusals = [(e.actor, e.target, e.detail) for e in env.db.audit_entries(action="forbidden")]
    assert refusals == [("ana", "POST /cases", "role analyst lacks investigate"),
                        ("ana", "GET /admin/users", "role analyst lacks administer")]


def test_security_headers_and_no_inline_script_anywhere(env: Env) -> None:
    client = env.client("root")
    for path in ("/queue", f"/records/{XSS.id}", "/search?q=gaji", "/trends", "/trends/gender",
                 "/admin/audit", "/maintain/agreement", f"/pivot?kind=phone&value={SHARED_PHONE}",
                 "/api/v1/docs"):
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
