"""Passwords, sessions, CSRF tokens and the login rate limit.

Passwords are hashed with argon2id (argon2-cffi). A session is a random token in an
HttpOnly, SameSite cookie; only its SHA-256 is stored, so a copy of the database does
not let anyone log in. CSRF uses a double-submit token: a random value in its own
cookie that every state-changing request must repeat in a form field or header, which a
page on another origin can neither read nor set.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from review_ui.appdb import ReviewDB
from review_ui.appdb.accounts import User

SESSION_LIFETIME_S = 12 * 3600
MIN_PASSWORD_LENGTH = 10
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

_hasher = PasswordHasher()
# Verifying against this keeps the time of a login for an unknown name like a known one.
_DUMMY_HASH = _hasher.hash("not a password anyone has")


class WeakPasswordError(ValueError):
    """A password too short to accept."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and bool(
            user and not user.disabled)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(user: User) -> bool:
    return _hasher.check_needs_rehash(user.password_hash)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_match(expected: str | None, given: str | None) -> bool:
    return bool(expected and given) and hmac.compare_digest(str(expected), str(given))


@dataclass(frozen=True)
class CookieNames:
    """``__Host-`` names bind cookies to this exact host when they are Secure."""

    session: str
    csrf: str

    @classmethod
    def for_(cls, secure: bool) -> CookieNames:
        prefix = "__Host-" if secure else ""
        return cls(session=f"{prefix}lw_session", csrf=f"{prefix}lw_csrf")


class LoginRateLimiter:
    """At most ``max_failures`` failed logins per ``window_s`` for one account name and,
    separately, for one client address; the failures are kept in the app database so the
    limit holds across workers and restarts."""

    def __init__(self, db: ReviewDB, max_failures: int = 5, window_s: float = 900) -> None:
        self.db = db
        self.max_failures = max_failures
        self.window_s = window_s

    @staticmethod
    def _keys(username: str, client: str) -> list[str]:
        return [f"user:{username.lower()}", f"addr:{client}"]

    def retry_after(self, username: str, client: str) -> int:
        """Seconds to wait before another try is accepted; 0 when one is allowed now."""
        now = time.time()
        wait = 0.0
        for key in self._keys(username, client):
            failures = self.db.login_failures_since(key, now - self.window_s)
            if len(failures) >= self.max_failures:
                oldest_counted = failures[-self.max_failures]
                wait = max(wait, oldest_counted + self.window_s - now)
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, username: str, client: str) -> None:
        self.db.add_login_failure(self._keys(username, client))

    def succeeded(self, username: str) -> None:
        self.db.clear_login_failures(f"user:{username.lower()}")
