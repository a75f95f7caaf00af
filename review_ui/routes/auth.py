"""Log in, log out, the landing page and the health check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from review_ui.access import Permission, Role
from review_ui.deps import AppDB, Ctx, Public, Reader, require
from review_ui.security import (
    SESSION_LIFETIME_S,
    LoginRateLimiter,
    hash_password,
    needs_rehash,
    new_token,
    session_csrf_token,
    token_hash,
    verify_password,
)
from review_ui.templating import render

router = APIRouter()

LANDING = {Role.analyst: "/queue", Role.investigator: "/search",
           Role.maintainer: "/maintain/agreement", Role.admin: "/queue"}


def _safe_next(target: str | None) -> str:
    """Only local paths: a crafted ``next`` must not send a user to another site."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


@router.get("/healthz", dependencies=[Depends(require(Permission.public))])
def health() -> PlainTextResponse:
    return PlainTextResponse("ok")


@router.get("/")
def home(user: Reader) -> RedirectResponse:
    return RedirectResponse(LANDING[Role(user.role)], status_code=303)


@router.get("/login")
def login_form(request: Request, user: Public, next: str = "/") -> Response:
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login")
def login(request: Request, ctx: Ctx, user: Public, username: Annotated[str, Form()],
          password: Annotated[str, Form()], next: Annotated[str, Form()] = "/") -> Response:
    limiter = LoginRateLimiter(ctx.db)
    client = request.client.host if request.client else "unknown"
    attempt = limiter.attempt(username, client)
    if attempt.retry_after:
        ctx.db.audit(username, "login_refused", detail=f"rate limited, from {client}")
        return render(request, "login.html", 429, next=_safe_next(next),
                      error="Too many failed logins. Try again in "
                            f"{attempt.retry_after // 60 + 1} minutes.")
    account = ctx.db.get_user(username)
    if not verify_password(account, password) or account is None:
        ctx.db.audit(username, "login_failed", detail=f"from {client}")
        return render(request, "login.html", 401, next=_safe_next(next),
                      error="Wrong user name or password.")
    limiter.succeeded(attempt)
    if needs_rehash(account):
        ctx.db.set_password_hash(username, hash_password(password))
    token = new_token()
    ctx.db.add_session(token_hash(token), username, SESSION_LIFETIME_S)
    ctx.db.audit(username, "login", detail=f"from {client}")
    response = RedirectResponse(_safe_next(next), status_code=303)
    secure = ctx.settings.review.secure_cookies
    response.set_cookie(ctx.cookies.session, token, max_age=SESSION_LIFETIME_S, httponly=True,
                        samesite="lax", secure=secure, path="/")
    # The session's own CSRF token (the one its pages carry), so one seen or planted
    # before login is worthless after it.
    response.set_cookie(ctx.cookies.csrf, session_csrf_token(token), httponly=True,
                        samesite="strict", secure=secure, path="/")
    return response


@router.post("/logout")
def logout(request: Request, user: Reader, db: AppDB, ctx: Ctx) -> RedirectResponse:
    token = request.cookies.get(ctx.cookies.session)
    if token:
        db.drop_session(token_hash(token))
    db.audit(user.username, "logout")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(ctx.cookies.session, path="/")
    return response
