"""A durable local spool: records the engine could not take (down, 429, timeouts) wait
here, in arrival order, until it is back.

One SQLite file in WAL mode. Rows leave the spool only after the engine has acknowledged
them, so a crash between writing and deleting replays them; record ids make the replay
idempotent (the store compares before it writes, so a replayed record that already
arrived changes nothing).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from lurewatch.record import Ad

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spool (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL,
    doc TEXT NOT NULL
);
"""


class Spool:
    """First in, first out, on disk; safe for several threads of one process."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def append(self, records: Iterable[Ad]) -> int:
        rows = [(ad.id, ad.to_json()) for ad in records]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT INTO spool (record_id, doc) VALUES (?, ?)", rows)
            self._db.execute("COMMIT")
        return len(rows)

    def peek(self, limit: int) -> list[tuple[int, Ad]]:
        """The oldest ``limit`` records with their spool positions, still in the spool."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, doc FROM spool ORDER BY seq LIMIT ?", (limit,)).fetchall()
        return [(seq, Ad.model_validate_json(doc)) for seq, doc in rows]

    def remove_through(self, seq: int) -> None:
        """Forget every record up to and including position ``seq`` (they were written)."""
        with self._lock:
            self._db.execute("DELETE FROM spool WHERE seq <= ?", (seq,))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM spool").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
