"""Integers too large for SQLite are refused at the edge (4xx), never a 500."""

from __future__ import annotations

import pytest

from tests.review_ui.conftest import Env

TOO_BIG = str(2**64)


@pytest.mark.parametrize("path", [
    f"/admin/audit?before={TOO_BIG}",
    f"/cases/{TOO_BIG}",
    f"/cases/{TOO_BIG}/export.csv",
    f"/models/training/{TOO_BIG}",
])
def test_integers_above_sqlite_range_are_client_errors(env: Env, path: str) -> None:
    response = env.client("root").get(path)
    assert 400 <= response.status_code < 500, (path, response.status_code)
    assert "Content-Security-Policy" in response.headers


def test_a_decision_version_above_sqlite_range_is_a_client_error(env: Env) -> None:
    from tests.review_ui.conftest import csrf
    from tests.review_ui.seed import records

    client = env.client("ana")
    record_id = records()[0].id
    response = client.post(f"/records/{record_id}/decide", data={
        "action": "tip", "version": TOO_BIG, "csrf_token": csrf(client)})
    assert response.status_code == 400 and "version" in response.text, response.status_code
