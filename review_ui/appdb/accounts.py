"""Accounts, sessions and failed logins."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from lurewatch.sqlite import Database
from review_ui.access import Role


@dataclass(frozen=True)
class User:
    username: str
    role: str
    password_hash: str
    disabled: bool = False
    must_change_password: bool = False


class DuplicateUserError(Exception):
    """An account with that name exists already."""


class AccountChangeRefused(Exception):
    """A change that would leave no way in: the last active admin disabled or demoted."""


def _user(row: sqlite3.Row) -> User:
    return User(row["username"], row["role"], row["password_hash"], bool(row["disabled"]),
                bool(row["must_change_password"]))


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

    def set_password_hash(self, username: str, password_hash: str, *,
                          must_change: bool = False) -> None:
        """A new password (or the same one rehashed). ``must_change`` marks a temporary
        password an admin set: it can then only be exchanged for one of the user's own."""
        with self.db.write() as db:
            db.execute("UPDATE users SET password_hash = ?, must_change_password = ?"
                       " WHERE username = ?", (password_hash, int(must_change), username))

    def drop_sessions(self, username: str) -> None:
        """End every session of ``username`` (a password changed or reset)."""
        with self.db.write() as db:
            db.execute("DELETE FROM sessions WHERE username = ?", (username,))

    def set_disabled(self, username: str, disabled: bool) -> None:
        """Disable (ending every session at once) or enable an account."""
        with self.db.write() as db:
            if disabled:
                self._keep_an_admin(db, username, "disable")
                db.execute("DELETE FROM sessions WHERE username = ?", (username,))
            db.execute("UPDATE users SET disabled = ? WHERE username = ?",
                       (int(disabled), username))

    def set_role(self, username: str, role: str) -> None:
        with self.db.write() as db:
            if role != Role.admin:
                self._keep_an_admin(db, username, "demote")
            db.execute("UPDATE users SET role = ? WHERE username = ?", (role, username))

    @staticmethod
    def _keep_an_admin(db: sqlite3.Connection, username: str, change: str) -> None:
        """Refuse, in the change's own transaction, to take away the last active admin."""
        others = db.execute("SELECT COUNT(*) FROM users WHERE role = ? AND disabled = 0"
                            " AND username != ?", (Role.admin.value, username)).fetchone()[0]
        target = db.execute("SELECT role, disabled FROM users WHERE username = ?",
                            (username,)).fetchone()
        if target and target["role"] == Role.admin and not target["disabled"] and not others:
            raise AccountChangeRefused(f"cannot {change} {username}: the last active admin")

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
