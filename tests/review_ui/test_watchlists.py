"""Watchlist entries through the API and the ``/watchlists`` page: one's own only,
validated, paused, resumed, deleted, and added in one click from a pivot page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from review_ui.api.tokens import issue_token
from tests.review_ui.conftest import Env, csrf
from tests.review_ui.seed import SHARED_PHONE

HOSTILE = '<script>alert(1)</script>"><img src=x>'


def _api(env: Env, username: str) -> TestClient:
    client = env.client()
    client.headers["Authorization"] = f"Bearer {issue_token(env.db, username)[1]}"
    return client


def test_api_entries_are_the_callers_own(env: Env) -> None:
    ana, ivan = _api(env, "ana"), _api(env, "ivan")
    made = ana.post("/api/v1/watchlists", json={"kind": "employer", "value": " Acme Sdn Bhd "})
    assert made.status_code == 201
    entry_id = made.json()["id"]
    assert made.json()["value"] == "Acme Sdn Bhd"
    assert [e["id"] for e in ana.get("/api/v1/watchlists").json()] == [entry_id]
    assert ivan.get("/api/v1/watchlists").json() == []
    # Another user's entry is as good as none: not paused, not deleted.
    assert ivan.post(f"/api/v1/watchlists/{entry_id}/pause").status_code == 404
    assert ivan.delete(f"/api/v1/watchlists/{entry_id}").status_code == 404
    assert ana.post(f"/api/v1/watchlists/{entry_id}/pause").json()["paused"] is True
    assert ana.post(f"/api/v1/watchlists/{entry_id}/pause").json()["paused"] is True
    assert ana.post(f"/api/v1/watchlists/{entry_id}/resume").json()["paused"] is False
    assert ana.delete(f"/api/v1/watchlists/{entry_id}").status_code == 204
    assert ana.delete(f"/api/v1/watchlists/{entry_id}").status_code == 404
    assert ana.get("/api/v1/watchlists").json() == []
    actions = [e.action for e in env.db.audit_entries() if e.target == f"watchlist {entry_id}"]
    assert sorted(actions) == ["watchlist_added", "watchlist_deleted", "watchlist_paused",
                               "watchlist_resumed"]


def test_api_refuses_bad_entries_and_sessions(env: Env) -> None:
    ana = _api(env, "ana")
    for body in ({"kind": "cluster", "value": "c1"}, {"kind": "phone", "value": ""},
                 {"kind": "search", "value": "score_min=high"},
                 {"kind": "search", "value": "sort=newest"}):
        response = ana.post("/api/v1/watchlists", json=body)
        assert response.status_code in (400, 422), (body, response.status_code)
        assert response.headers["content-type"] == "application/json"
    assert ana.get("/api/v1/watchlists").json() == []
    browser = env.client("ana")  # a signed-in browser may list, never change
    assert browser.get("/api/v1/watchlists").status_code == 200
    refused = browser.post("/api/v1/watchlists", json={"kind": "phone", "value": "1"},
                           headers={"X-CSRF-Token": csrf(browser)})
    assert refused.status_code == 401


def test_page_lists_pauses_resumes_and_deletes(env: Env) -> None:
    client = env.client("ivan")
    token = csrf(client)
    added = client.post("/watchlists", data={"kind": "handle", "value": HOSTILE,
                                             "csrf_token": token})
    assert added.status_code == 303 and added.headers["location"] == "/watchlists"
    [entry] = env.db.watches("ivan")
    page = client.get("/watchlists").text
    assert HOSTILE not in page and "&lt;" in page and "active" in page
    assert client.post(f"/watchlists/{entry.id}/pause",
                       data={"csrf_token": token}).status_code == 303
    assert env.db.watches("ivan")[0].paused
    assert client.post(f"/watchlists/{entry.id}/resume",
                       data={"csrf_token": token}).status_code == 303
    assert not env.db.watches("ivan")[0].paused
    # Without the CSRF token nothing changes.
    assert client.post(f"/watchlists/{entry.id}/delete").status_code == 403
    assert env.db.watches("ivan")
    assert client.post(f"/watchlists/{entry.id}/delete",
                       data={"csrf_token": token}).status_code == 303
    assert env.db.watches("ivan") == []
    other = env.client("ana")
    assert other.post(f"/watchlists/{entry.id}/pause",
                      data={"csrf_token": csrf(other)}).status_code == 404


def test_pivot_page_has_a_watch_button(env: Env) -> None:
    client = env.client("ana")
    page = client.get("/pivot", params={"kind": "phone", "value": SHARED_PHONE}).text
    assert 'id="watch-pivot"' in page and f'value="{SHARED_PHONE}"' in page
    cluster = client.get("/pivot", params={"kind": "cluster", "value": "c1"}).text
    assert 'id="watch-pivot"' not in cluster


def test_search_page_saves_its_search(env: Env) -> None:
    client = env.client("ana")
    page = client.get("/search", params={"q": "kilang", "country": "MY"}).text
    assert 'id="watch-search"' in page and 'value="q=kilang&amp;country=MY"' in page
    assert client.post("/watchlists", data={"kind": "search", "value": "q=kilang&country=MY",
                                            "csrf_token": csrf(client)}).status_code == 303
    [entry] = env.db.watches("ana")
    assert (entry.query.text, entry.query.filters.countries) == ("kilang", ("MY",))
    assert 'href="/search?q=kilang&amp;country=MY"' in client.get("/watchlists").text
