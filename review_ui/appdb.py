"""The review application's own database: what is not a record.

Accounts, sessions, claims, notes, cases, daily counts and the audit log live in a small
SQLite file next to the data (``settings.data_dir / "review.db"``), so the application
behaves the same whichever record store is configured. The audit table refuses UPDATE
and DELETE through triggers: it is append-only even for code that forgets.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at REAL NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(username),
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
    key TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures(key, at);
CREATE TABLE IF NOT EXISTS claims (
    record_id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS claims_user ON claims(username, expires_at);
CREATE TABLE IF NOT EXISTS daily_counts (
    username TEXT NOT NULL,
    day TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (username, day)
);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL,
    username TEXT NOT NULL,
    text TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_record ON notes(record_id);
CREATE TABLE IF NOT EXISTS cases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS case_records (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    record_id TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at REAL NOT NULL,
    PRIMARY KEY (case_id, record_id)
);
CREATE TABLE IF NOT EXISTS training_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_by TEXT NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL,
    folder TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


@dataclass(frozen=True)
class User:
    username: str
    role: str
    password_hash: str
    disabled: bool = False


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: str


@dataclass(frozen=True)
class Note:
    record_id: str
    username: str
    text: str
    at: datetime


@dataclass(frozen=True)
class Case:
    id: int
    name: str
    created_by: str
    created_at: datetime
    size: int


class DuplicateUserError(Exception):
    """An account with that name exists already."""


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def today() -> str:
    return datetime.now(UTC).date().isoformat()


class ReviewDB:
    """Thread-safe access to the application database: one short connection per call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
        finally:
            db.close()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    # --- accounts -------------------------------------------------------------------

    def add_user(self, username: str, password_hash: str, role: str) -> None:
        with self._connect() as db:
            try:
                db.execute(
                    "INSERT INTO users (username, password_hash, role, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    (username, password_hash, role, time.time()),
                )
            except sqlite3.IntegrityError:
                raise DuplicateUserError(f"user {username!r} exists already") from None

    def get_user(self, username: str) -> User | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        return _user(row) if row else None

    def users(self) -> list[User]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM users ORDER BY username").fetchall()
        return [_user(r) for r in rows]

    def set_password_hash(self, username: str, password_hash: str) -> None:
        with self._connect() as db:
            db.execute("UPDATE users SET password_hash = ? WHERE username = ?",
                       (password_hash, username))

    # --- sessions -------------------------------------------------------------------

    def add_session(self, token_hash: str, username: str, lifetime_s: float) -> None:
        now = time.time()
        with self._connect() as db:
            db.execute("DELETE FROM sessions WHERE expires_at < ?", (now,))
            db.execute(
                "INSERT INTO sessions (token_hash, username, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (token_hash, username, now, now + lifetime_s),
            )

    def session_user(self, token_hash: str) -> User | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT users.* FROM sessions JOIN users USING (username)"
                " WHERE token_hash = ? AND expires_at > ? AND disabled = 0",
                (token_hash, time.time()),
            ).fetchone()
        return _user(row) if row else None

    def drop_session(self, token_hash: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    # --- login rate limit -----------------------------------------------------------

    def add_login_failure(self, keys: list[str]) -> None:
        now = time.time()
        with self._connect() as db:
            db.executemany("INSERT INTO login_failures (key, at) VALUES (?, ?)",
                           [(k, now) for k in keys])

    def login_failures_since(self, key: str, since: float) -> list[float]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT at FROM login_failures WHERE key = ? AND at > ? ORDER BY at",
                (key, since),
            ).fetchall()
        return [r["at"] for r in rows]

    def clear_login_failures(self, key: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM login_failures WHERE key = ?", (key,))

    # --- claims ---------------------------------------------------------------------

    def claim(self, record_id: str, username: str, lifetime_s: float) -> str:
        """Claim a record for ``username`` unless someone else holds a live claim.
        Returns who holds the claim afterwards."""
        now = time.time()
        with self._connect() as db:
            row = db.execute("SELECT username, expires_at FROM claims WHERE record_id = ?",
                             (record_id,)).fetchone()
            if row and row["expires_at"] > now and row["username"] != username:
                return str(row["username"])
            db.execute(
                "INSERT INTO claims (record_id, username, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT (record_id) DO UPDATE SET username = excluded.username,"
                " expires_at = excluded.expires_at",
                (record_id, username, now + lifetime_s),
            )
        return username

    def release(self, record_id: str, username: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM claims WHERE record_id = ? AND username = ?",
                       (record_id, username))

    def live_claims(self) -> dict[str, str]:
        """record id -> who holds it, for claims not yet expired."""
        with self._connect() as db:
            rows = db.execute("SELECT record_id, username FROM claims WHERE expires_at > ?",
                              (time.time(),)).fetchall()
        return {r["record_id"]: r["username"] for r in rows}

    def claims_of(self, username: str) -> list[tuple[str, datetime]]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT record_id, expires_at FROM claims WHERE username = ? AND expires_at > ?"
                " ORDER BY expires_at",
                (username, time.time()),
            ).fetchall()
        return [(r["record_id"], _when(r["expires_at"])) for r in rows]

    # --- daily counts ---------------------------------------------------------------

    def count_review(self, username: str, n: int = 1) -> int:
        with self._connect() as db:
            db.execute(
                "INSERT INTO daily_counts (username, day, count) VALUES (?, ?, ?)"
                " ON CONFLICT (username, day) DO UPDATE SET count = count + excluded.count",
                (username, today(), n),
            )
            row = db.execute("SELECT count FROM daily_counts WHERE username = ? AND day = ?",
                             (username, today())).fetchone()
        return int(row["count"])

    def reviews_today(self, username: str) -> int:
        with self._connect() as db:
            row = db.execute("SELECT count FROM daily_counts WHERE username = ? AND day = ?",
                             (username, today())).fetchone()
        return int(row["count"]) if row else 0

    # --- notes ----------------------------------------------------------------------

    def add_note(self, record_id: str, username: str, text: str) -> None:
        with self._connect() as db:
            db.execute("INSERT INTO notes (record_id, username, text, at) VALUES (?, ?, ?, ?)",
                       (record_id, username, text, time.time()))

    def notes(self, record_ids: list[str]) -> dict[str, list[Note]]:
        found: dict[str, list[Note]] = {rid: [] for rid in record_ids}
        with self._connect() as db:
            for chunk_start in range(0, len(record_ids), 500):
                chunk = record_ids[chunk_start:chunk_start + 500]
                marks = ",".join("?" * len(chunk))
                rows = db.execute(
                    f"SELECT * FROM notes WHERE record_id IN ({marks}) ORDER BY id", chunk
                ).fetchall()
                for r in rows:
                    found[r["record_id"]].append(
                        Note(r["record_id"], r["username"], r["text"], _when(r["at"])))
        return found

    # --- cases ----------------------------------------------------------------------

    def add_case(self, name: str, username: str) -> int:
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO cases (name, created_by, created_at) VALUES (?, ?, ?)",
                (name, username, time.time()),
            )
        return int(cursor.lastrowid or 0)

    def cases(self) -> list[Case]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT cases.*, COUNT(case_records.record_id) AS size FROM cases"
                " LEFT JOIN case_records ON case_records.case_id = cases.id"
                " GROUP BY cases.id ORDER BY cases.id DESC"
            ).fetchall()
        return [_case(r) for r in rows]

    def get_case(self, case_id: int) -> Case | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT cases.*, (SELECT COUNT(*) FROM case_records WHERE case_id = cases.id)"
                " AS size FROM cases WHERE id = ?",
                (case_id,),
            ).fetchone()
        return _case(row) if row else None

    def add_to_case(self, case_id: int, record_ids: list[str], username: str) -> int:
        now = time.time()
        with self._connect() as db:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO case_records (case_id, record_id, added_by, added_at)"
                " VALUES (?, ?, ?, ?)",
                [(case_id, rid, username, now) for rid in record_ids],
            )
            return db.total_changes - before

    def case_record_ids(self, case_id: int) -> list[str]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT record_id FROM case_records WHERE case_id = ? ORDER BY added_at, rowid",
                (case_id,),
            ).fetchall()
        return [r["record_id"] for r in rows]

    # --- training runs --------------------------------------------------------------

    def add_training_run(self, username: str, runs_dir: Path) -> TrainingRun | None:
        """Record a new run in ``runs_dir/run-<id>``, unless one is running (then None)."""
        with self._connect() as db:
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
        with self._connect() as db:
            db.execute("UPDATE training_runs SET status = ?, detail = ?, finished_at = ?"
                       " WHERE id = ?", (status, detail, time.time(), run_id))

    def interrupt_training_runs(self) -> None:
        """Runs left 'running' by a previous server process can no longer be followed."""
        with self._connect() as db:
            db.execute("UPDATE training_runs SET status = 'interrupted', finished_at = ?"
                       " WHERE status = 'running'", (time.time(),))

    def training_runs(self) -> list[TrainingRun]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM training_runs ORDER BY id DESC").fetchall()
        return [_run(r) for r in rows]

    def training_run(self, run_id: int) -> TrainingRun | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM training_runs WHERE id = ?", (run_id,)).fetchone()
        return _run(row) if row else None

    # --- audit ----------------------------------------------------------------------

    def audit(self, actor: str, action: str, target: str = "", detail: str = "") -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                (time.time(), actor, action, target, detail),
            )

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
        with self._connect() as db:
            rows = db.execute(
                f"SELECT * FROM audit {where} ORDER BY id DESC LIMIT ?", (*params, limit)
            ).fetchall()
        return [AuditEntry(r["id"], _when(r["at"]), r["actor"], r["action"], r["target"],
                           r["detail"]) for r in rows]

    def audit_actions(self) -> list[str]:
        with self._connect() as db:
            rows = db.execute("SELECT DISTINCT action FROM audit ORDER BY action").fetchall()
        return [r["action"] for r in rows]


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
    return TrainingRun(row["id"], row["started_by"], _when(row["started_at"]),
                       _when(row["finished_at"]) if row["finished_at"] else None,
                       row["status"], Path(row["folder"]), row["detail"])


def _user(row: sqlite3.Row) -> User:
    return User(row["username"], row["role"], row["password_hash"], bool(row["disabled"]))


def _case(row: sqlite3.Row) -> Case:
    return Case(row["id"], row["name"], row["created_by"], _when(row["created_at"]),
                int(row["size"]))
