"""Investigators' cases and the records in them."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from lurewatch.sqlite import Database
from review_ui.appdb.schema import when


@dataclass(frozen=True)
class Case:
    id: int
    name: str
    created_by: str
    created_at: datetime
    size: int


def _case(row: sqlite3.Row) -> Case:
    return Case(row["id"], row["name"], row["created_by"], when(row["created_at"]),
                int(row["size"]))


def _insert_records(db: sqlite3.Connection, case_id: int, record_ids: Sequence[str],
                    username: str, now: float) -> None:
    db.executemany(
        "INSERT OR IGNORE INTO case_records (case_id, record_id, added_by, added_at)"
        " VALUES (?, ?, ?, ?)",
        [(case_id, rid, username, now) for rid in record_ids],
    )


class CaseTables:
    """The cases and case_records tables."""

    db: Database

    def add_case(self, name: str, username: str, record_ids: Sequence[str] = ()) -> int:
        """A new case holding ``record_ids``, written in one transaction: a failure
        leaves neither the case nor some of its records."""
        now = time.time()
        with self.db.write() as db:
            cursor = db.execute(
                "INSERT INTO cases (name, created_by, created_at) VALUES (?, ?, ?)",
                (name, username, now),
            )
            case_id = int(cursor.lastrowid or 0)
            _insert_records(db, case_id, record_ids, username, now)
        return case_id

    def cases(self) -> list[Case]:
        with self.db.write() as db:
            rows = db.execute(
                "SELECT cases.*, COUNT(case_records.record_id) AS size FROM cases"
                " LEFT JOIN case_records ON case_records.case_id = cases.id"
                " GROUP BY cases.id ORDER BY cases.id DESC"
            ).fetchall()
        return [_case(r) for r in rows]

    def get_case(self, case_id: int) -> Case | None:
        with self.db.write() as db:
            row = db.execute(
                "SELECT cases.*, (SELECT COUNT(*) FROM case_records WHERE case_id = cases.id)"
                " AS size FROM cases WHERE id = ?",
                (case_id,),
            ).fetchone()
        return _case(row) if row else None

    def add_to_case(self, case_id: int, record_ids: list[str], username: str) -> int:
        with self.db.write() as db:
            before = db.total_changes
            _insert_records(db, case_id, record_ids, username, time.time())
            return db.total_changes - before

    def case_record_ids(self, case_id: int) -> list[str]:
        with self.db.write() as db:
            rows = db.execute(
                "SELECT record_id FROM case_records WHERE case_id = ? ORDER BY added_at, rowid",
                (case_id,),
            ).fetchall()
        return [r["record_id"] for r in rows]
