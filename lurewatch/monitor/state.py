"""The monitor's own small SQLite database: crawl runs with their health, the schedule,
alerts and their deliveries.

The record store holds records; what the monitor learns about sources and what it told
people lives here, next to the store under ``data_dir`` (``monitor.state_path``). Every
call opens its own connection, so scheduler threads, the command line and the review
application can read and write it at the same time (WAL mode, busy timeout).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from lurewatch.config import Settings

RunOutcome = Literal["running", "ok", "failed", "interrupted"]
Health = Literal["healthy", "degraded", "unhealthy", "unknown"]
DeliveryStatus = Literal["pending", "sent", "failed"]

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
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup_key TEXT NOT NULL UNIQUE,
    rule TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    summary TEXT NOT NULL,
    link TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    alert_id INTEGER NOT NULL REFERENCES alerts(id),
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at TEXT,
    PRIMARY KEY (alert_id, channel)
);
CREATE INDEX IF NOT EXISTS deliveries_status ON deliveries(status, channel);
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


@dataclass(frozen=True)
class Alert:
    """An alert as kept: what it says, its link into the review application, and how each
    channel's delivery went. Never holds the ad's text."""

    id: int
    rule: str
    kind: str
    subject_type: Literal["record", "campaign", "source"]
    subject_id: str
    summary: str
    link: str
    details: dict[str, Any]
    created_at: datetime
    deliveries: dict[str, DeliveryStatus] = field(default_factory=dict)


@dataclass(frozen=True)
class NewAlert:
    """An alert a rule wants raised; ``dedup_key`` says which condition it is about."""

    dedup_key: str
    rule: str
    kind: str
    subject_type: Literal["record", "campaign", "source"]
    subject_id: str
    summary: str
    link: str
    details: dict[str, Any]


@dataclass(frozen=True)
class PendingDelivery:
    alert: Alert
    channel: str
    attempts: int


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

    # --- alerts -------------------------------------------------------------------

    def add_alert(self, alert: NewAlert, channels: list[str]) -> Alert | None:
        """Keep the alert and queue one delivery per channel; None if an alert with the
        same ``dedup_key`` exists already (the de-duplication)."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO alerts (dedup_key, rule, kind, subject_type,"
                    " subject_id, summary, link, details, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (alert.dedup_key, alert.rule, alert.kind, alert.subject_type,
                     alert.subject_id, alert.summary, alert.link, json.dumps(alert.details),
                     _iso(utcnow())))
                if cursor.rowcount == 0:
                    db.execute("ROLLBACK")
                    return None
                alert_id = int(cursor.lastrowid or 0)
                db.executemany(
                    "INSERT INTO deliveries (alert_id, channel, status) VALUES (?, ?, 'pending')",
                    [(alert_id, channel) for channel in channels])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return self.get_alert(alert_id)

    def alert_keys(self, prefix: str) -> set[str]:
        """The de-duplication keys kept that start with ``prefix``."""
        with self._connect() as db:
            rows = db.execute("SELECT dedup_key FROM alerts WHERE substr(dedup_key, 1, ?) = ?",
                              (len(prefix), prefix)).fetchall()
        return {row[0] for row in rows}

    def has_alert(self, dedup_key: str) -> bool:
        with self._connect() as db:
            return db.execute("SELECT 1 FROM alerts WHERE dedup_key=?",
                              (dedup_key,)).fetchone() is not None

    def get_alert(self, alert_id: int) -> Alert | None:
        alerts = self._alerts("WHERE a.id=?", (alert_id,), limit=1)
        return alerts[0] if alerts else None

    def list_alerts(self, limit: int = 100, offset: int = 0) -> list[Alert]:
        """Alerts, newest first."""
        return self._alerts("", (), limit=limit, offset=offset)

    def _alerts(self, where: str, params: tuple[Any, ...], *, limit: int,
                offset: int = 0) -> list[Alert]:
        with self._connect() as db:
            rows = db.execute(f"SELECT * FROM alerts a {where} ORDER BY a.id DESC LIMIT ? OFFSET ?",
                              (*params, limit, offset)).fetchall()
            ids = [row["id"] for row in rows]
            marks = ",".join("?" * len(ids))
            deliveries: dict[int, dict[str, DeliveryStatus]] = {i: {} for i in ids}
            for row in db.execute(f"SELECT alert_id, channel, status FROM deliveries"
                                  f" WHERE alert_id IN ({marks})", ids):
                deliveries[row["alert_id"]][row["channel"]] = row["status"]
        return [_alert(row, deliveries[row["id"]]) for row in rows]

    def pending_deliveries(self, channel: str, limit: int) -> list[PendingDelivery]:
        """Deliveries still to make on ``channel``, oldest alert first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT alert_id, attempts FROM deliveries WHERE channel=? AND status='pending'"
                " ORDER BY alert_id LIMIT ?", (channel, limit)).fetchall()
        pending = []
        for row in rows:
            alert = self.get_alert(row["alert_id"])
            if alert is not None:
                pending.append(PendingDelivery(alert, channel, row["attempts"]))
        return pending

    def sent_since(self, channel: str, since: datetime) -> int:
        with self._connect() as db:
            return int(db.execute(
                "SELECT count(*) FROM deliveries WHERE channel=? AND status='sent'"
                " AND sent_at >= ?", (channel, _iso(since))).fetchone()[0])

    def record_delivery(self, alert_id: int, channel: str, *, status: DeliveryStatus,
                        error: str | None = None) -> None:
        with self._connect() as db:
            db.execute(
                "UPDATE deliveries SET status=?, attempts=attempts+1, last_error=?, sent_at=?"
                " WHERE alert_id=? AND channel=?",
                (status, error, _iso(utcnow()) if status == "sent" else None, alert_id, channel))


def _run(row: sqlite3.Row) -> Run:
    return Run(id=row["id"], source=row["source"], started_at=_time(row["started_at"]) or utcnow(),
               finished_at=_time(row["finished_at"]), outcome=row["outcome"],
               counts=json.loads(row["counts"]), health=row["health"],
               problems=json.loads(row["problems"]), error=row["error"])


def _alert(row: sqlite3.Row, deliveries: dict[str, DeliveryStatus]) -> Alert:
    return Alert(id=row["id"], rule=row["rule"], kind=row["kind"],
                 subject_type=row["subject_type"], subject_id=row["subject_id"],
                 summary=row["summary"], link=row["link"], details=json.loads(row["details"]),
                 created_at=_time(row["created_at"]) or utcnow(), deliveries=deliveries)
