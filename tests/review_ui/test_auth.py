"""Sessions: login, logout, cookie flags, the login limit and CSRF."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from lurewatch.record import ReviewState
from review_ui.security import LoginRateLimiter
from tests.review_ui.conftest import (
    PASSWORD,
    Env,
    csrf,
    make_env,
)
from tests.review_ui.seed import MALAY


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


def _parallel_logins(env: Env, username: str, password: str, count: int) -> list[int]:
    """``count`` logins sent at once, each from its own client; their status codes."""
    clients = [env.client() for _ in range(count)]
    tokens = [csrf(client) for client in clients]
    start = threading.Barrier(count)

    def log_in(client: TestClient, token: str) -> int:
        start.wait()
        return client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token}).status_code

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(log_in, clients, tokens))


def test_parallel_guesses_count_against_each_other(env: Env) -> None:
    statuses = _parallel_logins(env, "ana", "wrong wrong", 20)
    assert sorted(statuses) == [401] * 5 + [429] * 15
    actions = [e.action for e in env.db.audit_entries()]
    assert actions.count("login_failed") == 5 and actions.count("login_refused") == 15


def test_one_address_failing_does_not_lock_out_other_accounts(env: Env) -> None:
    _parallel_logins(env, "ana", "wrong wrong", 20)
    client = env.client()
    response = client.post("/login", data={"username": "root", "password": PASSWORD,
                                            "csrf_token": csrf(client)})
    assert response.status_code == 303


def test_many_accounts_guessed_from_one_address_are_slowed(env: Env) -> None:
    limiter = LoginRateLimiter(env.db, per_account=5, per_address=8)
    for name in ("ana", "bea", "ivan", "maya"):
        for _ in range(2):
            assert limiter.attempt(name, "203.0.113.7").retry_after == 0
    assert limiter.attempt("root", "203.0.113.7").retry_after > 0
    assert limiter.attempt("root", "198.51.100.2").retry_after == 0


def test_a_right_password_takes_its_try_back(env: Env) -> None:
    limiter = LoginRateLimiter(env.db, per_account=5, per_address=2)
    for _ in range(3):
        limiter.succeeded(limiter.attempt("ana", "203.0.113.7"))
    assert limiter.attempt("ana", "203.0.113.7").retry_after == 0


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


def test_a_planted_csrf_cookie_does_not_pass_once_logged_in(env: Env) -> None:
    client = env.client("ana")
    # what a sibling site or a man in the middle could do: set the cookie, then submit
    # a form that repeats it
    client.cookies.delete("lw_csrf")
    client.cookies.set("lw_csrf", "planted")
    response = client.post(f"/records/{MALAY.id}/decide",
                           data={"action": "tip", "version": "0", "csrf_token": "planted"})
    assert response.status_code == 403
    assert env.store.get(MALAY.id).review_state is ReviewState.unreviewed  # type: ignore[union-attr]
    refused = env.db.audit_entries(action="csrf_refused")[0]
    assert refused.actor == "ana" and refused.target == f"POST /records/{MALAY.id}/decide"


def test_the_csrf_token_changes_with_the_session(env: Env) -> None:
    client = env.client("ana")
    before = csrf(client)
    client.post("/logout", data={"csrf_token": before})
    client.post("/login", data={"username": "ana", "password": PASSWORD,
                                "csrf_token": csrf(client)})
    assert csrf(client) != before
    response = client.post(f"/records/{MALAY.id}/claim", data={"csrf_token": before})
    assert response.status_code == 403


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Origin": "null"},  # a sandboxed frame or a data: page
    {"Origin": "http://testserver.evil.example"},
    {"Referer": "https://evil.example/page"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
    {"Sec-Fetch-Site": "same-site"},
])
def test_state_changes_from_another_origin_are_refused(env: Env, headers: dict[str, str]
                                                       ) -> None:
    client = env.client("ana")
    response = client.post(f"/records/{MALAY.id}/claim", data={"csrf_token": csrf(client)},
                           headers=headers)
    assert response.status_code == 403
    assert MALAY.id not in env.db.live_claims()
    assert env.db.audit_entries(action="csrf_refused")


@pytest.mark.parametrize("headers", [
    {"Origin": "http://testserver"},
    {"Origin": "http://127.0.0.1:8000"},  # review.base_url
    {"Referer": "http://testserver/records"},
    # a browser's own form under Referrer-Policy: no-referrer
    {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
])
def test_state_changes_from_this_site_are_accepted(env: Env, headers: dict[str, str]) -> None:
    client = env.client("ana")
    response = client.post(f"/records/{MALAY.id}/claim", data={"csrf_token": csrf(client)},
                           headers=headers)
    assert response.status_code == 303
    assert env.db.live_claims()[MALAY.id] == "ana"


def test_a_login_form_posted_from_another_site_is_refused(env: Env) -> None:
    client = env.client()
    response = client.post("/login", data={"username": "ana", "password": PASSWORD,
                                           "csrf_token": csrf(client)},
                           headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert env.db.audit_entries(action="csrf_refused")[0].actor == "anonymous"
