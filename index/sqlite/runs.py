"""Crawl runs in the embedded store."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from index.errors import NotFoundError
from index.runs import ABANDONED_RUN_ERROR, Health, Run, RunOutcome, RunStore, timestamp_ns
from index.sqlite.schema import iso
from lurewatch.sqlite import Database


def _run(row: sqlite3.Row) -> Run:
    return Run(id=row["id"], source=row["source"], monitor=row["monitor"],
               started_at=datetime.fromisoformat(row["started_at"]),
               finished_at=datetime.fromisoformat(row["finished_at"])
               if row["finished_at"] else None,
               outcome=row["outcome"], counts=json.loads(row["counts"]), health=row["health"],
               problems=json.loads(row["problems"]), error=row["error"])


class SQLiteRuns(RunStore):
    """The ``runs`` table."""

    db: Database

    def start_run(self, source: str, monitor: str) -> str:
        run_id = uuid.uuid4().hex
        started_at = datetime.now(UTC)
        with self.db.write() as db:
            db.execute("INSERT INTO runs (id, source, monitor, started_at, started_ns, outcome)"
                       " VALUES (?, ?, ?, ?, ?, 'running')",
                       (run_id, source, monitor, iso(started_at), timestamp_ns(started_at)))
        return run_id

    def finish_run(self, run_id: str, *, outcome: RunOutcome, counts: dict[str, Any],
                   health: Health, problems: list[str], error: str | None = None) -> None:
        with self.db.write() as db:
            cursor = db.execute(
                "UPDATE runs SET finished_at = ?, outcome = ?, counts = ?, health = ?,"
                " problems = ?, error = ? WHERE id = ?",
                (iso(datetime.now(UTC)), outcome, json.dumps(counts, ensure_ascii=False),
                 health, json.dumps(problems, ensure_ascii=False), error, run_id))
            if cursor.rowcount == 0:
                raise NotFoundError(f"no run {run_id}")

    def import_runs(self, runs: Iterable[Run]) -> int:
        with self.db.write() as db:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO runs (id, source, monitor, started_at, started_ns,"
                " finished_at, outcome, counts, health, problems, error)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [(run.id, run.source, run.monitor, iso(run.started_at),
                  timestamp_ns(run.started_at), iso(run.finished_at), run.outcome,
                  json.dumps(run.counts, ensure_ascii=False), run.health,
                  json.dumps(run.problems, ensure_ascii=False), run.error) for run in runs])
            return db.total_changes - before

    def recent_runs(self, source: str, limit: int) -> list[Run]:
        rows = self.db.execute("SELECT * FROM runs WHERE source = ?"
                                " ORDER BY started_ns DESC, seq DESC LIMIT ?",
                                (source, limit)).fetchall()
        return [_run(row) for row in rows]

    def last_runs(self) -> dict[str, Run]:
        rows = self.db.execute(
            "SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY source"
            " ORDER BY started_ns DESC, seq DESC) AS newest FROM runs) WHERE newest = 1"
        ).fetchall()
        return {row["source"]: _run(row) for row in rows}

    def last_finished_at(self, source: str) -> datetime | None:
        row = self.db.execute("SELECT max(finished_at) FROM runs WHERE source = ?"
                               " AND outcome IN ('ok', 'failed')", (source,)).fetchone()
        return datetime.fromisoformat(row[0]) if row[0] else None

    def mark_abandoned_runs(self, monitor: str) -> int:
        with self.db.write() as db:
            cursor = db.execute(
                "UPDATE runs SET outcome = 'interrupted', finished_at = ?, error = ?"
                " WHERE monitor = ? AND outcome = 'running'",
                (iso(datetime.now(UTC)), ABANDONED_RUN_ERROR, monitor))
            return cursor.rowcount
