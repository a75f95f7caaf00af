"""Training runs started from the application."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lurewatch.sqlite import Database
from review_ui.appdb.schema import when


@dataclass(frozen=True)
class TrainingRun:
    id: int
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    status: str  # running, succeeded, failed, interrupted
    folder: Path
    detail: str


def _run(row: sqlite3.Row) -> TrainingRun:
    return TrainingRun(row["id"], row["started_by"], when(row["started_at"]),
                       when(row["finished_at"]) if row["finished_at"] else None,
                       row["status"], Path(row["folder"]), row["detail"])


class TrainingTables:
    """The training_runs tables."""

    db: Database

    def add_training_run(self, username: str, runs_dir: Path) -> TrainingRun | None:
        """Record a new run in ``runs_dir/run-<id>``, unless one is running (then None)."""
        with self.db.write() as db:
            if db.execute("SELECT 1 FROM training_runs WHERE status = 'running'").fetchone():
                return None
            cursor = db.execute(
                "INSERT INTO training_runs (started_by, started_at, status, folder)"
                " VALUES (?, ?, 'running', '')", (username, time.time()))
            run_id = int(cursor.lastrowid or 0)
            db.execute("UPDATE training_runs SET folder = ? WHERE id = ?",
                       (str(runs_dir / f"run-{run_id}"), run_id))
            row = db.execute("SELECT * FROM training_runs WHERE id = ?", (run_id,)).fetchone()
        return _run(row)

    def finish_training_run(self, run_id: int, status: str, detail: str) -> None:
        with self.db.write() as db:
            db.execute("UPDATE training_runs SET status = ?, detail = ?, finished_at = ?"
                       " WHERE id = ?", (status, detail, time.time(), run_id))

    def interrupt_training_runs(self) -> None:
        """Runs left 'running' by a previous server process can no longer be followed."""
        with self.db.write() as db:
            db.execute("UPDATE training_runs SET status = 'interrupted', finished_at = ?"
                       " WHERE status = 'running'", (time.time(),))

    def training_runs(self) -> list[TrainingRun]:
        with self.db.write() as db:
            rows = db.execute("SELECT * FROM training_runs ORDER BY id DESC").fetchall()
        return [_run(r) for r in rows]

    def training_run(self, run_id: int) -> TrainingRun | None:
        with self.db.write() as db:
            row = db.execute("SELECT * FROM training_runs WHERE id = ?", (run_id,)).fetchone()
        return _run(row) if row else None
