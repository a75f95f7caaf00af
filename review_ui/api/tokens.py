"""Making personal API tokens. The secret is shown once; the database keeps its SHA-256
(a 256-bit random secret needs no slow hash: there is nothing to guess from)."""

from __future__ import annotations

import secrets

from review_ui.appdb import ReviewDB
from review_ui.security import token_hash

# Marks the secret as a Lurewatch token to a reader (or a secret scanner).
TOKEN_PREFIX = "lw_"
DAY_S = 86400


def issue_token(db: ReviewDB, username: str, *, days: int | None = None,
                name: str = "") -> tuple[int, str]:
    """A new token for ``username`` valid for ``days`` (None: until revoked): its id and
    the secret, which is not kept anywhere."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = db.add_token(token_hash(secret), username, name,
                            None if days is None else days * DAY_S)
    return token_id, secret
