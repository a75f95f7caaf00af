"""A reviewer's work in hand: claims on records, daily review counts and notes."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from lurewatch.sqlite import Database
from review_ui.appdb.audit import append_audit
from review_ui.appdb.schema import when


@dataclass(frozen=True)
class Note:
    record_id: str
    username: str
    text: str
    at: datetime


def today() -> str:
    return datetime.now(UTC).date().isoformat()


class WorkTables:
    """The claims, daily_counts and notes tables."""

    db: Database

    def claim(self, record_id: str, username: str, lifetime_s: float) -> str:
        """Claim a record for ``username`` unless someone else holds a live claim.
        Returns who holds the claim afterwards. A new claim is an audit event; renewing
        one's own live claim is not."""
        now = time.time()
        with self.db.write() as db:
            row = db.execute("SELECT username, expires_at FROM claims WHERE record_id = ?",
                             (record_id,)).fetchone()
            live = row is not None and row["expires_at"] > now
            if live and row["username"] != username:
                return str(row["username"])
            db.execute(
                "INSERT INTO claims (record_id, username, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT (record_id) DO UPDATE SET username = excluded.username,"
                " expires_at = excluded.expires_at",
                (record_id, username, now + lifetime_s),
            )
            if not live:
                previous = (f"; {row['username']}'s claim had expired"
                            if row and row["username"] != username else "")
                append_audit(db, username, "claim", record_id,
                             f"for {lifetime_s / 60:g} minutes{previous}")
        return username

    def release(self, record_id: str, username: str) -> None:
        with self.db.write() as db:
            released = db.execute("DELETE FROM claims WHERE record_id = ? AND username = ?",
                                  (record_id, username)).rowcount
            if released:
                append_audit(db, username, "release", record_id)

    def live_claims(self) -> dict[str, str]:
        """record id -> who holds it, for claims not yet expired."""
        with self.db.write() as db:
            rows = db.execute("SELECT record_id, username FROM claims WHERE expires_at > ?",
                              (time.time(),)).fetchall()
        return {r["record_id"]: r["username"] for r in rows}

    def claims_of(self, username: str) -> list[tuple[str, datetime]]:
        with self.db.write() as db:
            rows = db.execute(
                "SELECT record_id, expires_at FROM claims WHERE username = ? AND expires_at > ?"
                " ORDER BY expires_at",
                (username, time.time()),
            ).fetchall()
        return [(r["record_id"], when(r["expires_at"])) for r in rows]

    def count_review(self, username: str, n: int = 1) -> int:
        with self.db.write() as db:
            db.execute(
                "INSERT INTO daily_counts (username, day, count) VALUES (?, ?, ?)"
                " ON CONFLICT (username, day) DO UPDATE SET count = count + excluded.count",
                (username, today(), n),
            )
            row = db.execute("SELECT count FROM daily_counts WHERE username = ? AND day = ?",
                             (username, today())).fetchone()
        return int(row["count"])

    def reviews_today(self, username: str) -> int:
        with self.db.write() as db:
            row = db.execute("SELECT count FROM daily_counts WHERE username = ? AND day = ?",
                             (username, today())).fetchone()
        return int(row["count"]) if row else 0

    def add_note(self, record_id: str, username: str, text: str) -> None:
        with self.db.write() as db:
            db.execute("INSERT INTO notes (record_id, username, text, at) VALUES (?, ?, ?, ?)",
                       (record_id, username, text, time.time()))

    def notes(self, record_ids: list[str]) -> dict[str, list[Note]]:
        found: dict[str, list[Note]] = {rid: [] for rid in record_ids}
        with self.db.write() as db:
            for chunk_start in range(0, len(record_ids), 500):
                chunk = record_ids[chunk_start:chunk_start + 500]
                marks = ",".join("?" * len(chunk))
                rows = db.execute(
                    f"SELECT * FROM notes WHERE record_id IN ({marks}) ORDER BY id", chunk
                ).fetchall()
                for r in rows:
                    found[r["record_id"]].append(
                        Note(r["record_id"], r["username"], r["text"], when(r["at"])))
        return found
