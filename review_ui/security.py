"""Passwords, sessions, CSRF tokens, the origin check, the login rate limit and the
security headers every answer carries.

Passwords are hashed with argon2id (argon2-cffi). A session is a random token in an
HttpOnly, SameSite cookie; only its SHA-256 is stored, so a copy of the database does
not let anyone log in. Every state-changing request must come from this site's own pages
(:func:`foreign_origin`) and repeat a CSRF token in a form field or header. Once logged
in, the token is derived from the session (:func:`session_csrf_token`), so a cookie
planted by someone else is never consulted; before login (the login form itself) it is a
double-submit token, a random value in its own cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.responses import Response

from review_ui.appdb import ReviewDB
from review_ui.appdb.accounts import User

SESSION_LIFETIME_S = 12 * 3600
MIN_PASSWORD_LENGTH = 10
# Long passphrases are welcome (ASVS 2.1.2 asks for at least 64); beyond this, hashing
# a "password" becomes a way to tie up the server.
MAX_PASSWORD_LENGTH = 128
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
DEFAULT_PORTS = {"http": 80, "https": 443}

# No inline script or style anywhere: scripts and styles come from /static only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

_hasher = PasswordHasher()
# Verifying against this keeps the time of a login for an unknown name like a known one.
_DUMMY_HASH = _hasher.hash("not a password anyone has")


class WeakPasswordError(ValueError):
    """A password too short to accept."""


def hash_password(password: str) -> str:
    """The argon2id hash to keep; a password being chosen passes
    :func:`check_new_password` first."""
    return _hasher.hash(password)


def check_new_password(password: str, username: str) -> None:
    """The policy for a password someone chooses (ASVS 2.1): long enough, not absurdly
    long, and not the user name in it; :class:`WeakPasswordError` says which rule."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPasswordError(f"a password has at most {MAX_PASSWORD_LENGTH} characters")
    if username and username.lower() in password.lower():
        raise WeakPasswordError("a password may not contain the user name")


def verify_password(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and bool(
            user and not user.disabled)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(user: User) -> bool:
    return _hasher.check_needs_rehash(user.password_hash)


def add_security_headers(response: Response) -> Response:
    """``response`` with the headers every answer carries (a route may have set its own)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_match(expected: str | None, given: str | None) -> bool:
    return bool(expected and given) and hmac.compare_digest(str(expected), str(given))


def session_csrf_token(session_token: str) -> str:
    """The CSRF token of the session whose (HttpOnly) cookie is ``session_token``: pages
    repeat it, nobody else can compute it, and it changes with every login."""
    return hmac.new(session_token.encode(), b"lurewatch csrf", hashlib.sha256).hexdigest()


def origin_of(url: str) -> str | None:
    """``scheme://host:port`` of ``url``, the port spelled out; None if it has none."""
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return f"{parts.scheme}://{parts.hostname}:{port}"


def foreign_origin(headers: Mapping[str, str], own_origins: set[str]) -> str | None:
    """Why a state-changing request looks sent by another site's page; None if not.

    The browser's Fetch Metadata (``Sec-Fetch-Site``, which no page can set) decides when
    present: under this site's ``Referrer-Policy: no-referrer`` a browser sends its own
    forms with ``Origin: null``. Without it the Origin header, else the Referer, must be
    one of ``own_origins``. A request with none of them comes from a script or an old
    client, not from a page in a browser, and is left to the CSRF token."""
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        return None if fetch_site == "same-origin" else f"Sec-Fetch-Site: {fetch_site[:100]}"
    for name in ("origin", "referer"):
        claimed = headers.get(name)
        if claimed is not None:
            return None if origin_of(claimed) in own_origins else f"{name}: {claimed[:200]}"
    return None


@dataclass(frozen=True)
class CookieNames:
    """``__Host-`` names bind cookies to this exact host when they are Secure."""

    session: str
    csrf: str

    @classmethod
    def for_(cls, secure: bool) -> CookieNames:
        prefix = "__Host-" if secure else ""
        return cls(session=f"{prefix}lw_session", csrf=f"{prefix}lw_csrf")


@dataclass(frozen=True)
class LoginAttempt:
    """One login try as the limiter saw it: refused for ``retry_after`` seconds, or let
    through with its failure already counted (rows ``counted``) until it succeeds."""

    username: str
    retry_after: int
    counted: list[int]


class LoginRateLimiter:
    """At most ``per_account`` failed logins per ``window_s`` for one account name and
    ``per_address`` for one client address; the failures are kept in the app database so
    the limit holds across workers and restarts.

    An attempt counts as a failure before its password is checked, in the same
    transaction as the check of the limit: twenty guesses sent at once are twenty
    failures in turn, not twenty reads of an empty count. The per-address limit is much
    higher, so that one address's failures (every user behind one proxy or office NAT)
    do not lock the other accounts out; it still slows guessing across many accounts."""

    def __init__(self, db: ReviewDB, per_account: int = 5, per_address: int = 100,
                 window_s: float = 900) -> None:
        self.db = db
        self.per_account = per_account
        self.per_address = per_address
        self.window_s = window_s

    @staticmethod
    def _account_key(username: str) -> str:
        return f"user:{username.lower()}"

    def attempt(self, username: str, client: str) -> LoginAttempt:
        """Count one try for ``username`` from ``client``, or refuse it."""
        wait, counted = self.db.count_login_attempt(
            {self._account_key(username): self.per_account, f"addr:{client}": self.per_address},
            self.window_s)
        return LoginAttempt(username, math.ceil(wait), counted)

    def succeeded(self, attempt: LoginAttempt) -> None:
        """The password was right: the account's failures are forgotten, and this try is
        taken back from the address's count."""
        self.db.forget_login_failures(self._account_key(attempt.username), attempt.counted)
