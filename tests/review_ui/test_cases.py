"""Cases and their exports."""

from __future__ import annotations

import csv
import io
import json

from tests.review_ui.conftest import (
    Env,
    csrf,
    decision,
)
from tests.review_ui.seed import BURMESE, MALAY, XSS


def test_case_export_csv_json_report(any_env: Env) -> None:
    env = any_env
    ivan = env.client("ivan")
    created = ivan.post("/cases", data={"csrf_token": csrf(ivan), "name": "Johor factory ring",
                                        "record_ids": [MALAY.id, BURMESE.id]})
    case_url = created.headers["location"]
    ivan.post(f"{case_url}/records", data={"csrf_token": csrf(ivan), "record_ids": [XSS.id]})
    env.store.decide(MALAY.id, decision("ana"), 0)
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


def test_a_case_naming_an_unknown_record_is_refused_whole(any_env: Env) -> None:
    env = any_env
    ivan = env.client("ivan")
    response = ivan.post("/cases", data={"csrf_token": csrf(ivan), "name": "ring",
                                         "record_ids": [MALAY.id, "does-not-exist", "../../x"]})
    assert response.status_code == 400, response.status_code
    assert "does-not-exist" in response.text and "nothing was added" in response.text
    assert env.db.cases() == []  # not even an empty case
    assert env.db.audit_entries(action="case_created") == []


def test_adding_an_unknown_record_to_a_case_adds_nothing(any_env: Env) -> None:
    env = any_env
    ivan = env.client("ivan")
    case_id = env.db.add_case("ring", "ivan", [MALAY.id])
    response = ivan.post(f"/cases/{case_id}/records", data={
        "csrf_token": csrf(ivan), "record_ids": [BURMESE.id, "does-not-exist"]})
    assert response.status_code == 400, response.status_code
    assert env.db.case_record_ids(case_id) == [MALAY.id]
    repeated = ivan.post(f"/cases/{case_id}/records", data={
        "csrf_token": csrf(ivan), "record_ids": [BURMESE.id, BURMESE.id]})
    assert repeated.status_code == 303
    assert env.db.case_record_ids(case_id) == [MALAY.id, BURMESE.id]
