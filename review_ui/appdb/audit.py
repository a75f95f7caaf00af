"""The append-only audit log."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime

from lurewatch.sqlite import Database
from review_ui.appdb.schema import when


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: str


def append_audit(db: sqlite3.Connection, actor: str, action: str, target: str = "",
                 detail: str = "") -> None:
    """Add an entry inside the caller's write transaction, so that a change and its entry
    are written together or not at all."""
    db.execute(
        "INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        (time.time(), actor, action, target, detail),
    )


class AuditTables:
    """The audit tables."""

    db: Database

    def audit(self, actor: str, action: str, target: str = "", detail: str = "") -> None:
        with self.db.write() as db:
            append_audit(db, actor, action, target, detail)

    def audit_once_per(self, window_s: float, actor: str, action: str, target: str = "",
                       detail: str = "") -> bool:
        """Add an entry unless the same actor, action and target has one from the last
        ``window_s`` seconds; whether it was added. For events someone can repeat at will
        (a refused request): one per window still shows the probing, without letting it
        grow the log without bound."""
        with self.db.write() as db:
            seen = db.execute(
                "SELECT 1 FROM audit WHERE actor = ? AND action = ? AND target = ? AND at > ?"
                " LIMIT 1", (actor, action, target, time.time() - window_s)).fetchone()
            if seen:
                return False
            append_audit(db, actor, action, target, detail)
        return True

    def audit_entries(self, *, limit: int = 200, before_id: int | None = None,
                      action: str | None = None) -> list[AuditEntry]:
        clauses, params = [], []
        if before_id is not None:
            clauses.append("id < ?")
            params.append(before_id)
        if action:
            clauses.append("action = ?")
            params.append(action)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.db.write() as db:
            rows = db.execute(
                f"SELECT * FROM audit {where} ORDER BY id DESC LIMIT ?", (*params, limit)
            ).fetchall()
        return [AuditEntry(r["id"], when(r["at"]), r["actor"], r["action"], r["target"],
                           r["detail"]) for r in rows]

    def audit_actions(self) -> list[str]:
        with self.db.write() as db:
            rows = db.execute("SELECT DISTINCT action FROM audit ORDER BY action").fetchall()
        return [r["action"] for r in rows]
