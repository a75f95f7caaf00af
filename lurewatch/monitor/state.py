"""The monitor's own small SQLite database: crawl runs with their health, and the schedule.

This is one monitor process's scheduling state, next to the store under ``data_dir``
(``monitor.state_path``). Alerts and their deliveries are not here: they live in the
store (:meth:`index.base.Store.add_alert`), which every monitor process shares. Every
call opens its own connection, so scheduler threads, the command line and the review
application can read and write it at the same time (WAL mode, busy timeout).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from lurewatch.config import Settings

RunOutcome = Literal["running", "ok", "failed", "interrupted"]
Health = Literal["healthy", "degraded", "unhealthy", "unknown"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT NOT NULL,
    counts TEXT NOT NULL DEFAULT '{}',
    health TEXT NOT NULL DEFAULT 'unknown',
    problems TEXT NOT NULL DEFAULT '[]',
    error TEXT
);
CREATE INDEX IF NOT EXISTS runs_source ON runs(source, id);
CREATE TABLE IF NOT EXISTS schedule (
    source TEXT PRIMARY KEY,
    next_run_at TEXT,
    updated_at TEXT NOT NULL
);
"""


def utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def state_path(settings: Settings) -> Path:
    """Where the monitor database lives for these settings."""
    return settings.monitor.state_path or settings.data_dir / "monitor.db"


@dataclass(frozen=True)
class Run:
    """One crawl of one source, as the monitor saw it."""

    id: int
    source: str
    started_at: datetime
    finished_at: datetime | None
    outcome: RunOutcome
    counts: dict[str, Any]
    health: Health
    problems: list[str]
    error: str | None


class MonitorState:
    """Runs, schedule, alerts and deliveries in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    @classmethod
    def for_settings(cls, settings: Settings) -> MonitorState:
        return cls(state_path(settings))

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA busy_timeout=30000")
            yield db
        finally:
            db.close()

    # --- runs ---------------------------------------------------------------------

    def start_run(self, source: str) -> int:
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO runs (source, started_at, outcome) VALUES (?, ?, 'running')",
                (source, _iso(utcnow())))
            return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, *, outcome: RunOutcome, counts: dict[str, Any],
                   health: Health, problems: list[str], error: str | None = None) -> None:
        with self._connect() as db:
            db.execute(
                "UPDATE runs SET finished_at=?, outcome=?, counts=?, health=?, problems=?,"
                " error=? WHERE id=?",
                (_iso(utcnow()), outcome, json.dumps(counts), health, json.dumps(problems),
                 error, run_id))

    def mark_abandoned_runs(self) -> int:
        """Runs still 'running' from a monitor that died without finishing them."""
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE runs SET outcome='interrupted', finished_at=?,"
                " error='the monitor stopped before this crawl finished'"
                " WHERE outcome='running'", (_iso(utcnow()),))
            return cursor.rowcount

    def recent_runs(self, source: str, limit: int) -> list[Run]:
        """The source's latest runs, newest first."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM runs WHERE source=? ORDER BY id DESC LIMIT ?",
                              (source, limit)).fetchall()
        return [_run(row) for row in rows]

    def last_runs(self) -> dict[str, Run]:
        """Each source's latest run."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM runs WHERE id IN (SELECT max(id) FROM runs GROUP BY source)"
            ).fetchall()
        return {row["source"]: _run(row) for row in rows}

    def last_finished_at(self, source: str) -> datetime | None:
        with self._connect() as db:
            row = db.execute("SELECT max(finished_at) FROM runs WHERE source=?"
                             " AND outcome IN ('ok', 'failed')", (source,)).fetchone()
        return _time(row[0])

    # --- schedule -----------------------------------------------------------------

    def set_next_run(self, source: str, at: datetime | None) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO schedule (source, next_run_at, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT(source) DO UPDATE SET next_run_at=excluded.next_run_at,"
                " updated_at=excluded.updated_at", (source, _iso(at), _iso(utcnow())))

    def next_runs(self) -> dict[str, datetime | None]:
        with self._connect() as db:
            rows = db.execute("SELECT source, next_run_at FROM schedule").fetchall()
        return {row["source"]: _time(row["next_run_at"]) for row in rows}

    def clear_schedule(self) -> None:
        with self._connect() as db:
            db.execute("UPDATE schedule SET next_run_at=NULL, updated_at=?", (_iso(utcnow()),))


def _run(row: sqlite3.Row) -> Run:
    return Run(id=row["id"], source=row["source"], started_at=_time(row["started_at"]) or utcnow(),
               finished_at=_time(row["finished_at"]), outcome=row["outcome"],
               counts=json.loads(row["counts"]), health=row["health"],
               problems=json.loads(row["problems"]), error=row["error"])
