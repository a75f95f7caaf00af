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
    """The users, sessions and login_failures tables."""

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

    def add_login_failure(self, keys: list[str]) -> None:
        now = time.time()
        with self.db.write() as db:
            db.executemany("INSERT INTO login_failures (key, at) VALUES (?, ?)",
                           [(k, now) for k in keys])

    def login_failures_since(self, key: str, since: float) -> list[float]:
        with self.db.write() as db:
            rows = db.execute(
                "SELECT at FROM login_failures WHERE key = ? AND at > ? ORDER BY at",
                (key, since),
            ).fetchall()
        return [r["at"] for r in rows]

    def clear_login_failures(self, key: str) -> None:
        with self.db.write() as db:
            db.execute("DELETE FROM login_failures WHERE key = ?", (key,))
