"""A durable local spool: records the engine could not take (down, 429, timeouts) wait
here, in arrival order, until it is back.

One SQLite file (:class:`lurewatch.sqlite.Database`). Rows leave the spool only after
the engine has acknowledged them, so a crash between writing and deleting replays them;
record ids make the replay idempotent (the store compares before it writes, so a
replayed record that already arrived changes nothing).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from lurewatch.record import Ad
from lurewatch.sqlite import Database

MIGRATIONS = ("""
CREATE TABLE IF NOT EXISTS spool (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL,
    doc TEXT NOT NULL
);
""",)


class Spool:
    """First in, first out, on disk; safe for several threads and processes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        # FULL: a record the engine could not take must survive a power cut too.
        self.db = Database(self.path, "spool", MIGRATIONS, synchronous="FULL")

    def append(self, records: Iterable[Ad]) -> int:
        rows = [(ad.id, ad.to_json()) for ad in records]
        with self.db.write() as db:
            db.executemany("INSERT INTO spool (record_id, doc) VALUES (?, ?)", rows)
        return len(rows)

    def peek(self, limit: int) -> list[tuple[int, Ad]]:
        """The oldest ``limit`` records with their spool positions, still in the spool."""
        rows = self.db.execute("SELECT seq, doc FROM spool ORDER BY seq LIMIT ?",
                               (limit,)).fetchall()
        return [(seq, Ad.model_validate_json(doc)) for seq, doc in rows]

    def remove_through(self, seq: int) -> None:
        """Forget every record up to and including position ``seq`` (they were written)."""
        with self.db.write() as db:
            db.execute("DELETE FROM spool WHERE seq <= ?", (seq,))

    def __len__(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM spool").fetchone()[0])

    def close(self) -> None:
        self.db.close()
