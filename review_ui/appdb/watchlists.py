"""Watchlist entries: what a user pinned (phone, handle, e-mail, employer, campaign) or the
searches they saved, each alerted on by the monitor (:mod:`monitor.watchlists`) when a new
or changed record matches. A user sees and changes only their own entries; every change
is an audit event."""

from __future__ import annotations

import time

from lurewatch.sqlite import Database
from monitor.watchlists import Watch, WatchKind, watch_from_row
from review_ui.appdb.audit import append_audit


class WatchlistTables:
    """The watchlists table."""

    db: Database

    def add_watch(self, owner: str, kind: WatchKind, value: str,
                  query_json: str | None = None) -> Watch:
        with self.db.write() as db:
            cursor = db.execute(
                "INSERT INTO watchlists (owner, kind, value, query_json, created_at)"
                " VALUES (?, ?, ?, ?, ?)", (owner, kind, value, query_json, time.time()))
            watch_id = int(cursor.lastrowid or 0)
            # The value is not in the log: a pinned phone or name is personal data.
            append_audit(db, owner, "watchlist_added", f"watchlist {watch_id}", kind)
            row = db.execute("SELECT * FROM watchlists WHERE id = ?", (watch_id,)).fetchone()
        return watch_from_row(row)

    def watches(self, owner: str) -> list[Watch]:
        with self.db.write() as db:
            rows = db.execute("SELECT * FROM watchlists WHERE owner = ? ORDER BY id",
                              (owner,)).fetchall()
        return [watch_from_row(row) for row in rows]

    def watch(self, watch_id: int, owner: str) -> Watch | None:
        """The entry if it is ``owner``'s: someone else's is as good as none."""
        with self.db.write() as db:
            row = db.execute("SELECT * FROM watchlists WHERE id = ? AND owner = ?",
                             (watch_id, owner)).fetchone()
        return None if row is None else watch_from_row(row)

    def set_watch_paused(self, watch_id: int, owner: str, paused: bool) -> Watch | None:
        """Pause or resume ``owner``'s entry; None if they have none with that id."""
        with self.db.write() as db:
            changed = db.execute(
                "UPDATE watchlists SET paused = ? WHERE id = ? AND owner = ? AND paused != ?",
                (int(paused), watch_id, owner, int(paused))).rowcount
            if changed:
                append_audit(db, owner, "watchlist_paused" if paused else "watchlist_resumed",
                             f"watchlist {watch_id}")
        return self.watch(watch_id, owner)

    def delete_watch(self, watch_id: int, owner: str) -> bool:
        with self.db.write() as db:
            deleted = db.execute("DELETE FROM watchlists WHERE id = ? AND owner = ?",
                                 (watch_id, owner)).rowcount
            if deleted:
                append_audit(db, owner, "watchlist_deleted", f"watchlist {watch_id}")
        return bool(deleted)
