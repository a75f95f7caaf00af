"""One small helper for every embedded SQLite database of the project.

The store, the spool, the review database, the monitor's schedule, the crawl state and
the cluster and campaign indexes all keep a file of their own; :class:`Database` gives
each the same footing:

* WAL journal, so readers never wait for the writer (the crawl child reads while the
  parent writes), foreign keys on, and a 30 s busy timeout;
* one connection per thread (SQLite connections may not cross threads), in autocommit
  mode so that transactions are explicit;
* :meth:`Database.write`: ``BEGIN IMMEDIATE`` … ``COMMIT``, so writers queue on the lock
  at the start instead of failing late with "database is locked";
* migrations: a named list of SQL scripts, applied in order once each and counted per
  name in the file's ``schema_migrations`` table, so two components may share a file
  (the campaign index lives in the cluster index's). The first script of every list is
  written with ``IF NOT EXISTS``, so files made before migrations were counted take it
  harmlessly.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BUSY_TIMEOUT_S = 30


class Database:
    """An embedded SQLite file with its migrations applied."""

    def __init__(self, path: str | Path, name: str, migrations: Sequence[str], *,
                 error: type[Exception] = sqlite3.DatabaseError,
                 synchronous: str = "NORMAL") -> None:
        """``name``: whose migrations these are; ``error``: raised (with the file named)
        when the file cannot be opened as a database; ``synchronous``: SQLite's
        durability setting (``NORMAL`` is durable across application crashes in WAL
        mode, ``FULL`` also across power loss)."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._error = error
        self._synchronous = synchronous
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._migrate(name, migrations)

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (made on first use)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            try:
                db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                     check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
            except sqlite3.DatabaseError as exc:
                raise self._error(f"cannot open the database {self.path}: {exc}") from exc
            db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute(f"PRAGMA synchronous={self._synchronous}")
            db.row_factory = sqlite3.Row
            self._local.db = db
            with self._lock:
                self._all.append(db)
        return db

    def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        """Run one statement on this thread's connection (outside a write: a read)."""
        return self.connection().execute(sql, parameters)

    @contextmanager
    def write(self, keep_on: tuple[type[BaseException], ...] = ()) -> Iterator[sqlite3.Connection]:
        """An immediate write transaction: committed when the block ends, rolled back on an
        exception, except those in ``keep_on`` (a refusal that must still be recorded)."""
        db = self.connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except keep_on:
            if db.in_transaction:
                db.execute("COMMIT")
            raise
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        if db.in_transaction:
            db.execute("COMMIT")

    def _migrate(self, name: str, migrations: Sequence[str]) -> None:
        with self.write() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_migrations"
                       " (name TEXT PRIMARY KEY, applied INTEGER NOT NULL)")
            row = db.execute("SELECT applied FROM schema_migrations WHERE name = ?",
                             (name,)).fetchone()
            applied = int(row[0]) if row else 0
            for script in migrations[applied:]:
                for statement in _statements(script):
                    db.execute(statement)
            db.execute("INSERT INTO schema_migrations (name, applied) VALUES (?, ?)"
                       " ON CONFLICT (name) DO UPDATE SET applied = excluded.applied",
                       (name, max(applied, len(migrations))))

    def close(self) -> None:
        """Close every connection this object made, in any thread."""
        with self._lock:
            connections, self._all = self._all, []
        for db in connections:
            db.close()
        self._local = threading.local()


def _statements(script: str) -> Iterator[str]:
    """The complete statements of ``script`` (``executescript`` would commit the
    migration's transaction half-way)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                yield pending
            pending = ""
    if any(line.strip() and not line.strip().startswith("--")
           for line in pending.splitlines()):
        raise ValueError(f"incomplete SQL statement in a migration: {pending.strip()[:80]!r}")
