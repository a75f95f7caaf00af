"""Account management by admins: disable and enable, change role, reset a password (a
temporary one that opens only the form replacing it), the password policy, and every
change audited."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.review_ui.conftest import PASSWORD, Env, csrf, login

NEW_PASSWORD = "a brand new passphrase"


def _post(client: TestClient, path: str, **fields: str):
    return client.post(path, data={"csrf_token": csrf(client), **fields},
                       follow_redirects=False)


def _change_password(client: TestClient, username: str, current: str, new: str,
                     again: str | None = None):
    return _post(client, "/login/password", username=username, password=current,
                 new_password=new, new_password_again=new if again is None else again)


def test_disabling_ends_the_sessions_and_enabling_lets_the_user_back(env: Env) -> None:
    root, ana = env.client("root"), env.client("ana")
    assert ana.get("/queue").status_code == 200
    assert _post(root, "/admin/users/ana/disable").status_code == 303
    assert ana.get("/queue", follow_redirects=False).status_code in (302, 303)
    again = env.client()
    refused = again.post("/login", data={"username": "ana", "password": PASSWORD,
                                         "csrf_token": csrf(again)})
    assert refused.status_code == 401
    assert "disabled" in root.get("/admin/users").text
    assert _post(root, "/admin/users/ana/enable").status_code == 303
    login(env.client(), "ana")


def test_a_role_change_changes_what_the_user_may_do(env: Env) -> None:
    root, ana = env.client("root"), env.client("ana")
    assert ana.get("/cases").status_code == 403
    assert _post(root, "/admin/users/ana/role", role="investigator").status_code == 303
    assert ana.get("/cases").status_code == 200
    assert ana.get("/queue").status_code == 403
    assert _post(root, "/admin/users/ana/role", role="king").status_code == 400


def test_the_last_active_admin_cannot_be_disabled_or_demoted(env: Env) -> None:
    root = env.client("root")
    for path, fields in (("/admin/users/root/disable", {}),
                         ("/admin/users/root/role", {"role": "analyst"})):
        refused = _post(root, path, **fields)
        assert refused.status_code == 409 and "last active admin" in refused.text
    assert root.get("/admin/users").status_code == 200  # still an admin
    assert _post(root, "/admin/users/nobody/disable").status_code == 404


def test_a_reset_password_only_opens_the_form_that_replaces_it(env: Env) -> None:
    root, ivan = env.client("root"), env.client("ivan")
    page = _post(root, "/admin/users/ivan/password-reset")
    assert page.status_code == 200
    temporary = re.search(r"shown this once: <code>([^<]+)</code>", page.text).group(1)
    assert ivan.get("/search", follow_redirects=False).status_code in (302, 303)  # ended

    fresh = env.client()
    offered = fresh.post("/login", data={"username": "ivan", "password": temporary,
                                         "csrf_token": csrf(fresh)}, follow_redirects=False)
    assert offered.status_code == 200 and "Choose a new password" in offered.text
    assert fresh.get("/search", follow_redirects=False).status_code in (302, 303)  # no session

    assert "differ" in _change_password(fresh, "ivan", temporary, NEW_PASSWORD, "x" * 12).text
    assert "user name" in _change_password(fresh, "ivan", temporary, "ivan-is-my-name").text
    assert _change_password(fresh, "ivan", "wrong password!", NEW_PASSWORD).status_code == 401
    changed = _change_password(fresh, "ivan", temporary, NEW_PASSWORD)
    assert changed.status_code == 303
    assert fresh.get("/search").status_code == 200  # signed in with the new password
    late = env.client()
    assert late.post("/login", data={"username": "ivan", "password": temporary,
                                     "csrf_token": csrf(late)}).status_code == 401
    login(env.client(), "ivan", NEW_PASSWORD)


def test_users_change_their_own_password_and_other_sessions_end(env: Env) -> None:
    elsewhere, maya = env.client("maya"), env.client("maya")
    assert _change_password(maya, "maya", PASSWORD, NEW_PASSWORD).status_code == 303
    assert maya.get("/models").status_code == 200
    assert elsewhere.get("/models", follow_redirects=False).status_code in (302, 303)
    assert "at most 128" in _change_password(maya, "maya", NEW_PASSWORD, "x" * 129).text


def test_every_account_change_is_audited(env: Env) -> None:
    root = env.client("root")
    _post(root, "/admin/users/bea/role", role="maintainer")
    _post(root, "/admin/users/bea/disable")
    _post(root, "/admin/users/bea/enable")
    _post(root, "/admin/users/bea/password-reset")
    actions = [(e.actor, e.action, e.target) for e in env.db.audit_entries(limit=20)]
    for action in ("role_changed", "user_disabled", "user_enabled", "password_reset"):
        assert ("root", action, "bea") in actions
    assert any(e.detail == "analyst -> maintainer" for e in env.db.audit_entries(limit=20))
