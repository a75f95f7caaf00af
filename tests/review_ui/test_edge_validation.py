"""Integers too large for SQLite, negative or not integers at all are refused at the edge
(4xx), never a 500."""

from __future__ import annotations

import pytest

from review_ui.forms import SQLITE_MAX_INT, parse_row_id
from tests.review_ui.conftest import Env, csrf
from tests.review_ui.seed import MALAY, records

TOO_BIG = str(2**64)
# Each is not a row id: too big for SQLite, negative, a float, a superscript that
# str.isdigit accepts and int() refuses, Arabic-Indic digits, more digits than int() reads.
NOT_ROW_IDS = [TOO_BIG, str(SQLITE_MAX_INT + 1), "-1", "1.5", "²", "١٢", "9" * 5000, ""]


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
    client = env.client("ana")
    record_id = records()[0].id
    response = client.post(f"/records/{record_id}/decide", data={
        "action": "tip", "version": TOO_BIG, "csrf_token": csrf(client)})
    assert response.status_code == 400 and "version" in response.text, response.status_code


def test_row_ids_are_read_within_sqlite_range() -> None:
    assert parse_row_id("0") == 0 and parse_row_id("007") == 7
    assert parse_row_id(str(SQLITE_MAX_INT)) == SQLITE_MAX_INT
    assert [parse_row_id(raw) for raw in NOT_ROW_IDS] == [None] * len(NOT_ROW_IDS)


@pytest.mark.parametrize("version", NOT_ROW_IDS)
def test_a_bulk_selection_version_outside_sqlite_range_is_refused(env: Env,
                                                                  version: str) -> None:
    client = env.client("ana")
    response = client.post("/bulk", data={"action": "tip", "selected": f"{MALAY.id}:{version}",
                                          "csrf_token": csrf(client)})
    assert response.status_code == 400, response.status_code
    assert "malformed selection" in response.text
    assert response.headers["x-frame-options"] == "DENY"
    assert env.store.get(MALAY.id).review_version == 0  # type: ignore[union-attr]


@pytest.mark.parametrize("case_id", [TOO_BIG, "-1", "1.5", "²"])
def test_adding_to_a_case_id_outside_sqlite_range_is_refused(env: Env, case_id: str) -> None:
    client = env.client("ivan")
    response = client.post(f"/cases/{case_id}/records", data={
        "record_ids": MALAY.id, "csrf_token": csrf(client)})
    assert response.status_code == 400, response.status_code
    assert "case_id" in response.text
