"""The monitor's own small SQLite database: when each source's next crawl is due, the
name this monitor gives its crawl runs, and the ends of crawls the store has not taken yet.

This is one monitor process's scheduling state, next to the store under ``data_dir``
(``monitor.state_path``). Crawl runs and alerts are not here: they live in the store
(:meth:`index.base.Store.start_run`, :meth:`index.base.Store.add_alert`), which every
monitor process shares. One :class:`lurewatch.sqlite.Database`: scheduler threads, the
command line and the review application read and write it at the same time.
"""

from __future__ import annotations

import json
import secrets
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index.base import Store
from index.runs import Run
from lurewatch.config import Settings
from lurewatch.sqlite import Database

MIGRATIONS = ("""
CREATE TABLE IF NOT EXISTS schedule (
    source TEXT PRIMARY KEY,
    next_run_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS identity (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS unrecorded_runs (
    run_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    fields TEXT NOT NULL
);
""",)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def state_path(settings: Settings) -> Path:
    """Where the monitor database lives for these settings."""
    return settings.monitor.state_path or settings.data_dir / "monitor.db"


class MonitorState:
    """Each source's next scheduled crawl, the monitor's name and the run ends waiting for
    the store, in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = Database(path, "monitor", MIGRATIONS)

    @classmethod
    def for_settings(cls, settings: Settings) -> MonitorState:
        return cls(state_path(settings))

    def monitor_name(self) -> str:
        """This monitor's name for its runs: made once (host name and a random id) and kept,
        so a restart finds its own unfinished runs and another monitor on the same host,
        with its own database, has another name."""
        with self.db.write() as db:
            db.execute("INSERT OR IGNORE INTO identity (key, value) VALUES ('name', ?)",
                       (f"{socket.gethostname()}-{secrets.token_hex(3)}",))
            return str(db.execute("SELECT value FROM identity WHERE key = 'name'").fetchone()[0])

    def move_runs_to(self, store: Store, monitor: str) -> int:
        """Copy the crawl runs an older monitor kept in this file into ``store`` (as runs
        of ``monitor``), then drop them here; how many were copied. Their ids are derived
        from the old ones, so a copy cut short is repeated without doubles."""
        with self.db.write() as db:
            if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table'"
                              " AND name = 'runs'").fetchone():
                return 0
            rows = db.execute("SELECT * FROM runs ORDER BY id").fetchall()
            runs = [Run(id=f"{monitor}-{row['id']}", source=row["source"], monitor=monitor,
                        started_at=datetime.fromisoformat(row["started_at"]),
                        finished_at=_time(row["finished_at"]), outcome=row["outcome"],
                        counts=json.loads(row["counts"]), health=row["health"],
                        problems=json.loads(row["problems"]), error=row["error"])
                    for row in rows]
            copied = store.import_runs(runs)
            db.execute("DROP TABLE runs")
        return copied

    # --- run ends the store has not taken yet ----------------------------------------

    def keep_unrecorded_run(self, run_id: str, source: str, fields: dict[str, Any]) -> None:
        """Keep the end of a finished crawl (``Store.finish_run``'s fields) until it is
        written, so a store that is down, or a monitor stopped meanwhile, loses none."""
        with self.db.write() as db:
            db.execute("INSERT OR REPLACE INTO unrecorded_runs (run_id, source, fields)"
                       " VALUES (?, ?, ?)", (run_id, source, json.dumps(fields)))

    def unrecorded_runs(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(run id, source, fields) of each kept run end, oldest first."""
        with self.db.write() as db:
            rows = db.execute("SELECT run_id, source, fields FROM unrecorded_runs"
                              " ORDER BY rowid").fetchall()
        return [(row["run_id"], row["source"], json.loads(row["fields"])) for row in rows]

    def forget_unrecorded_run(self, run_id: str) -> None:
        with self.db.write() as db:
            db.execute("DELETE FROM unrecorded_runs WHERE run_id = ?", (run_id,))

    # --- schedule -----------------------------------------------------------------

    def set_next_run(self, source: str, at: datetime | None) -> None:
        with self.db.write() as db:
            db.execute(
                "INSERT INTO schedule (source, next_run_at, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT(source) DO UPDATE SET next_run_at=excluded.next_run_at,"
                " updated_at=excluded.updated_at", (source, _iso(at), _iso(utcnow())))

    def next_runs(self) -> dict[str, datetime | None]:
        with self.db.write() as db:
            rows = db.execute("SELECT source, next_run_at FROM schedule").fetchall()
        return {row["source"]: _time(row["next_run_at"]) for row in rows}

    def clear_schedule(self) -> None:
        with self.db.write() as db:
            db.execute("UPDATE schedule SET next_run_at=NULL, updated_at=?", (_iso(utcnow()),))
