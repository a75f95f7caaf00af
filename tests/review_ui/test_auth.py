"""Sessions: login, logout, cookie flags, the login limit and CSRF."""

from __future__ import annotations

import pytest

from lurewatch.record import ReviewState
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
