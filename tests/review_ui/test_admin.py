"""Accounts, the audit log, the alerts page and the commands that serve the app."""

from __future__ import annotations

import sqlite3

import pytest
from typer.testing import CliRunner

from tests.review_ui.conftest import (
    PASSWORD,
    Env,
    csrf,
    login,
)
from tests.review_ui.seed import records


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


def test_reads_are_audit_events_an_admin_can_list(env: Env) -> None:
    record = records()[0]
    ivan = env.client("ivan")
    assert ivan.get(f"/records/{record.id}").status_code == 200
    assert ivan.get("/search?q=gaji&label=deceptive_recruitment").status_code == 200
    assert ivan.get("/pivot?kind=phone&value=%2B60123456789").status_code == 200
    read = {(e.action, e.target) for e in env.db.audit_entries(limit=50) if e.actor == "ivan"}
    assert ("record_viewed", record.id) in read
    assert ("search", "q=gaji&label=deceptive_recruitment") in read
    assert ("pivot", "phone +60123456789") in read
    page = env.client("root").get("/admin/audit?action=record_viewed")
    assert page.status_code == 200 and record.id in page.text
