"""Personal API tokens: each acts for its owner with the owner's current role.

Only a token's SHA-256 is kept (like sessions), so a copy of the database does not let
anyone call the API. A token is refused once revoked, once expired, and while its owner's
account is disabled."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime

from lurewatch.sqlite import Database
from review_ui.appdb.accounts import User, _user
from review_ui.appdb.schema import when


@dataclass(frozen=True)
class ApiToken:
    id: int
    username: str
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


def _token(row: sqlite3.Row) -> ApiToken:
    def maybe(epoch: float | None) -> datetime | None:
        return None if epoch is None else when(epoch)

    return ApiToken(row["id"], row["username"], row["name"], when(row["created_at"]),
                    maybe(row["expires_at"]), maybe(row["revoked_at"]),
                    maybe(row["last_used_at"]))


class TokenTables:
    """The api_tokens table."""

    db: Database

    def add_token(self, token_hash: str, username: str, name: str = "",
                  lifetime_s: float | None = None) -> int:
        now = time.time()
        with self.db.write() as db:
            cursor = db.execute(
                "INSERT INTO api_tokens (token_hash, username, name, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (token_hash, username, name, now,
                 None if lifetime_s is None else now + lifetime_s),
            )
        return int(cursor.lastrowid or 0)

    def token_user(self, token_hash: str) -> tuple[ApiToken, User] | None:
        """The live token with this hash and its (enabled) owner, marked as used now;
        None for an unknown, revoked or expired token or a disabled owner."""
        now = time.time()
        with self.db.write() as db:
            row = db.execute(
                "SELECT api_tokens.id AS token_id, users.* FROM api_tokens"
                " JOIN users USING (username) WHERE token_hash = ? AND revoked_at IS NULL"
                " AND (expires_at IS NULL OR expires_at > ?) AND disabled = 0",
                (token_hash, now),
            ).fetchone()
            if row is None:
                return None
            db.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?",
                       (now, row["token_id"]))
            token = db.execute("SELECT * FROM api_tokens WHERE id = ?",
                               (row["token_id"],)).fetchone()
        return _token(token), _user(row)

    def tokens(self, username: str | None = None) -> list[ApiToken]:
        with self.db.write() as db:
            rows = db.execute(
                "SELECT * FROM api_tokens WHERE ? IS NULL OR username = ? ORDER BY id",
                (username, username),
            ).fetchall()
        return [_token(r) for r in rows]

    def revoke_token(self, token_id: int) -> bool:
        """Revoke a live token; False if there is none with that id or it was revoked."""
        with self.db.write() as db:
            cursor = db.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (time.time(), token_id),
            )
        return cursor.rowcount == 1
