"""Accounts, sessions and failed logins."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from lurewatch.sqlite import Database


@dataclass(frozen=True)
class User:
    username: str
    role: str
    password_hash: str
    disabled: bool = False


class DuplicateUserError(Exception):
    """An account with that name exists already."""


def _user(row: sqlite3.Row) -> User:
    return User(row["username"], row["role"], row["password_hash"], bool(row["disabled"]))


class AccountTables:
    """The users, sessions and login_attempts tables."""

    db: Database

    def add_user(self, username: str, password_hash: str, role: str) -> None:
        with self.db.write() as db:
            try:
                db.execute(
                    "INSERT INTO users (username, password_hash, role, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    (username, password_hash, role, time.time()),
                )
            except sqlite3.IntegrityError:
                raise DuplicateUserError(f"user {username!r} exists already") from None

    def get_user(self, username: str) -> User | None:
        with self.db.write() as db:
            row = db.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        return _user(row) if row else None

    def users(self) -> list[User]:
        with self.db.write() as db:
            rows = db.execute("SELECT * FROM users ORDER BY username").fetchall()
        return [_user(r) for r in rows]

    def set_password_hash(self, username: str, password_hash: str) -> None:
        with self.db.write() as db:
            db.execute("UPDATE users SET password_hash = ? WHERE username = ?",
                       (password_hash, username))

    def add_session(self, token_hash: str, username: str, lifetime_s: float) -> None:
        now = time.time()
        with self.db.write() as db:
            db.execute("DELETE FROM sessions WHERE expires_at < ?", (now,))
            db.execute(
                "INSERT INTO sessions (token_hash, username, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (token_hash, username, now, now + lifetime_s),
            )

    def session_user(self, token_hash: str) -> User | None:
        with self.db.write() as db:
            row = db.execute(
                "SELECT users.* FROM sessions JOIN users USING (username)"
                " WHERE token_hash = ? AND expires_at > ? AND disabled = 0",
                (token_hash, time.time()),
            ).fetchone()
        return _user(row) if row else None

    def drop_session(self, token_hash: str) -> None:
        with self.db.write() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    def count_login_attempt(self, limits: dict[str, int], window_s: float
                            ) -> tuple[float, list[int]]:
        """Count a login attempt as a failure under every key of ``limits`` at once, unless
        a key has had ``limits[key]`` failures in the last ``window_s`` already.

        The check and the count are one transaction, so attempts in flight count against
        each other. Returns the seconds until the oldest counted failure of a full key
        expires (and no ids) when refused, else 0 and the ids of the rows written."""
        now = time.time()
        with self.db.write() as db:
            wait = 0.0
            for key, limit in limits.items():
                oldest_counted = db.execute(
                    "SELECT at FROM login_attempts WHERE key = ? AND at > ?"
                    " ORDER BY at DESC LIMIT 1 OFFSET ?", (key, now - window_s, limit - 1),
                ).fetchone()
                if oldest_counted:
                    wait = max(wait, oldest_counted["at"] + window_s - now)
            if wait > 0:
                return wait, []
            ids = [int(db.execute("INSERT INTO login_attempts (key, at) VALUES (?, ?)",
                                  (key, now)).lastrowid or 0) for key in limits]
        return 0.0, ids

    def forget_login_failures(self, key: str, attempt_ids: list[int]) -> None:
        """A login succeeded: clear ``key``'s failures and the rows of this attempt."""
        with self.db.write() as db:
            db.execute("DELETE FROM login_attempts WHERE key = ?", (key,))
            db.executemany("DELETE FROM login_attempts WHERE id = ?",
                           [(i,) for i in attempt_ids])
