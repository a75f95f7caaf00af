"""What the crawler remembers between runs: ids already stored, and whether each
source's last run finished. Lives next to the JOBDIRs (``crawl.jobdir/seen.sqlite``).

The crawl parent marks a record seen only after the store accepted it, so a crawl
killed half-way never skips a record it did not store."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from lurewatch.sqlite import Database

MIGRATIONS = ("""
CREATE TABLE IF NOT EXISTS seen (
    source TEXT NOT NULL,
    record_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (source, record_id)
);
CREATE TABLE IF NOT EXISTS runs (
    source TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    complete INTEGER NOT NULL DEFAULT 0
);
""", """
ALTER TABLE seen ADD COLUMN url TEXT;
ALTER TABLE seen ADD COLUMN checked_at TEXT;
""")
# The content hash of a record found taken down: no crawled record has it, so the ad
# is stored again (and the mark cleared) when it comes back, even unchanged.
TAKEN_DOWN_HASH = ""


def _now() -> str:
    return datetime.now(UTC).isoformat()


class CrawlState:
    """Seen ids and run completion per source, in one SQLite file (WAL: the crawl child
    reads while the parent writes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = Database(path, "crawl_state", MIGRATIONS)

    def content_hash(self, source: str, record_id: str) -> str | None:
        """The content hash stored for this record, or None if never stored."""
        row = self.db.execute("SELECT content_hash FROM seen WHERE source=? AND record_id=?",
                               (source, record_id)).fetchone()
        return row[0] if row else None

    def mark_seen(self, source: str, records: Iterable[tuple[str, str, str]]) -> None:
        """Remember ``(record_id, content_hash, url)`` triples as stored."""
        now = _now()
        with self.db.write() as db:
            db.executemany(
                "INSERT INTO seen (source, record_id, content_hash, first_seen, last_seen, url,"
                " checked_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(source, record_id) "
                "DO UPDATE SET content_hash=excluded.content_hash, last_seen=excluded.last_seen,"
                " url=excluded.url, checked_at=excluded.checked_at",
                [(source, rid, digest, now, now, url, now) for rid, digest, url in records])

    def mark_taken_down(self, source: str, record_ids: Iterable[str]) -> None:
        with self.db.write() as db:
            db.executemany("UPDATE seen SET content_hash=? WHERE source=? AND record_id=?",
                           [(TAKEN_DOWN_HASH, source, rid) for rid in record_ids])

    def mark_checked(self, source: str, record_ids: Iterable[str]) -> None:
        now = _now()
        with self.db.write() as db:
            db.executemany("UPDATE seen SET checked_at=? WHERE source=? AND record_id=?",
                           [(now, source, rid) for rid in record_ids])

    def to_recheck(self, source: str, limit: int) -> list[tuple[str, list[str]]]:
        """Up to ``limit`` URLs of stored records, least recently checked first, each with
        the ids of the records found there (a page may hold several postings). Records
        stored before URLs were kept have none and wait until they are stored again."""
        rows = self.db.execute(
            "SELECT url, group_concat(record_id, ' ') FROM seen"
            " WHERE source=? AND url IS NOT NULL GROUP BY url"
            " ORDER BY min(checked_at), url LIMIT ?", (source, limit)).fetchall()
        return [(row[0], row[1].split()) for row in rows]

    def seen_count(self, source: str) -> int:
        return int(self.db.execute("SELECT count(*) FROM seen WHERE source=?",
                                    (source,)).fetchone()[0])

    def start_run(self, source: str) -> bool:
        """Record a run's start; returns whether the previous run of the source finished
        (only then may a crawl stop early at pages it has already seen)."""
        row = self.db.execute("SELECT complete FROM runs WHERE source=?", (source,)).fetchone()
        self.db.execute(
            "INSERT INTO runs (source, started_at, complete) VALUES (?, ?, 0) "
            "ON CONFLICT(source) DO UPDATE SET started_at=excluded.started_at, "
            "finished_at=NULL, complete=0", (source, _now()))
        return bool(row and row[0])

    def finish_run(self, source: str, *, complete: bool) -> None:
        self.db.execute("UPDATE runs SET finished_at=?, complete=? WHERE source=?",
                         (_now(), int(complete), source))

    def close(self) -> None:
        self.db.close()
