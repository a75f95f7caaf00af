"""Every failure answers through the one error handler: a page (JSON for the JSON exports)
with the security headers, whatever the status, including an unforeseen 500."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from fastapi.testclient import TestClient

from review_ui.security import SECURITY_HEADERS
from tests.review_ui.conftest import Env


def assert_security_headers(headers: Mapping[str, str]) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, name


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/no/such/page", 404),
    ("DELETE", "/queue", 405),
    ("GET", "/cases/999", 404),
    ("GET", "/cases/-5", 400),
])
def test_client_errors_are_error_pages_with_security_headers(env: Env, method: str,
                                                             path: str, status: int) -> None:
    response = env.client("root").request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert 'id="error-message"' in response.text
    assert_security_headers(response.headers)


def test_a_405_keeps_its_allow_header(env: Env) -> None:
    response = env.client("root").delete("/queue")
    assert response.headers["allow"] == "GET"


def test_json_routes_answer_errors_in_json(env: Env) -> None:
    response = env.client("root").get("/cases/999/export.json")
    assert response.status_code == 404
    assert response.json() == {"error": "no case has id 999", "status": 404}
    assert_security_headers(response.headers)


def test_an_unforeseen_failure_is_a_500_page_with_security_headers(env: Env) -> None:
    def broken() -> None:
        raise RuntimeError("secret internals")

    env.app.add_api_route("/broken", broken)
    # As a server would: the handler's page goes out and the error is still raised (and
    # logged); the test client would re-raise it instead of returning the page.
    client = TestClient(env.app, raise_server_exceptions=False)
    response = client.get("/broken")
    assert response.status_code == 500
    assert "details are in its log" in response.text and "secret internals" not in response.text
    assert_security_headers(response.headers)

