"""Who is calling the API, and whether they may.

A script calls with a personal token (``Authorization: Bearer …``, made by ``lurewatch
token create``); it acts with its owner's current role, so the role checks are the
pages' own (:class:`~review_ui.deps.PermissionCheck`, :mod:`review_ui.access`). A
signed-in browser may read through its session too (the interactive docs), but the
routes that change state take a token only: a browser never sends one by itself, so they
need no CSRF token (``review_ui.deps.verify_csrf``). Every call is an audit event,
refusals included, and each token is rate-limited.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from review_ui.access import Permission
from review_ui.appdb.accounts import User
from review_ui.deps import AppContext, Ctx, PermissionCheck, session_user
from review_ui.security import token_hash

# Per token; kept in the app database like the login limit, so it holds across workers.
CALLS_PER_WINDOW = 300
RATE_WINDOW_S = 60.0
MAX_AUDITED_QUERY = 300

bearer_scheme = HTTPBearer(auto_error=False, description="A token from `lurewatch token create`.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


class TokenRefused(HTTPException):
    """401: no token, or one that is unknown, revoked, expired or of a disabled account."""

    def __init__(self, reason: str) -> None:
        super().__init__(401, reason, headers={"WWW-Authenticate": 'Bearer realm="lurewatch"'})


class RateLimited(HTTPException):
    def __init__(self, retry_after: int) -> None:
        super().__init__(429, f"too many calls with this token; retry in {retry_after} s",
                         headers={"Retry-After": str(retry_after)})


def call_target(request: Request) -> str:
    """The call as the audit log shows it: method, path and (shortened) query string, so
    a search's terms are on record like its caller."""
    query = request.url.query
    return f"{request.method} {request.url.path}" + (
        f"?{query[:MAX_AUDITED_QUERY]}" if query else "")


def token_caller(request: Request, ctx: AppContext, token: str) -> tuple[User, str]:
    """The token's owner and how the audit log names the token, or a 401/429."""
    found = ctx.db.token_user(token_hash(token))
    if found is None:
        ctx.db.audit("anonymous", "api_token_refused", call_target(request),
                     "unknown, revoked or expired token, or a disabled account")
        raise TokenRefused("the token is unknown, revoked or expired, or its account is "
                           "disabled")
    api_token, user = found
    # The login limiter's sliding-window counter, under a key of this token's own.
    wait, _ = ctx.db.count_login_attempt({f"api-token:{api_token.id}": CALLS_PER_WINDOW},
                                         RATE_WINDOW_S)
    if wait > 0:
        ctx.db.audit(user.username, "api_rate_limited", call_target(request),
                     f"token {api_token.id}")
        raise RateLimited(math.ceil(wait))
    return user, f"token {api_token.id}"


class ApiCheck(PermissionCheck):
    """An API route's permission: a token's owner (or, where ``sessions``, the signed-in
    user) checked against ``permission`` exactly as the pages check it."""

    def __init__(self, permission: Permission, *, sessions: bool) -> None:
        super().__init__(permission)
        self.sessions = sessions

    def __call__(self, request: Request, ctx: Ctx,  # type: ignore[override]
                 credentials: Credentials) -> User:
        user = session_user(request, ctx) if self.sessions and credentials is None else None
        via = "session"
        if credentials is not None:
            user, via = token_caller(request, ctx, credentials.credentials)
        elif user is None:
            ctx.db.audit("anonymous", "api_token_refused", call_target(request), "no token")
            raise TokenRefused("this call needs a personal API token: "
                               "Authorization: Bearer <token from `lurewatch token create`>")
        self.authorise(request, ctx, user)
        ctx.db.audit(user.username, "api_call", call_target(request), via)
        return user


def _check(permission: Permission, *, sessions: bool = True) -> ApiCheck:
    return ApiCheck(permission, sessions=sessions)


ApiReader = Annotated[User, Depends(_check(Permission.read))]
ApiInvestigator = Annotated[User, Depends(_check(Permission.investigate))]
ApiMaintainer = Annotated[User, Depends(_check(Permission.maintain))]
# State changes: tokens only, never the session cookie (see the module docstring).
ApiTriager = Annotated[User, Depends(_check(Permission.triage, sessions=False))]
