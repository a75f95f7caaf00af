"""Log in, log out, the landing page and the health check."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from review_ui.access import Permission, Role
from review_ui.appdb.accounts import User
from review_ui.deps import AppContext, AppDB, Ctx, Public, Reader, require
from review_ui.security import (
    SESSION_LIFETIME_S,
    LoginAttempt,
    LoginRateLimiter,
    WeakPasswordError,
    check_new_password,
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
    checked = _checked_password(request, ctx, username, password, "login.html",
                                next=_safe_next(next))
    if isinstance(checked, Response):
        return checked
    account, attempt, limiter = checked
    if account.must_change_password:
        # A temporary password from an admin opens nothing but the form that replaces it.
        return render(request, "change_password.html", username=username, error=None,
                      notice="An admin reset your password: choose one of your own.")
    limiter.succeeded(attempt)
    if needs_rehash(account):
        ctx.db.set_password_hash(username, hash_password(password))
    ctx.db.audit(username, "login", detail=f"from {_client(request)}")
    return _signed_in(ctx, username, _safe_next(next))


@router.get("/login/password")
def change_password_form(request: Request, user: Public) -> Response:
    return render(request, "change_password.html",
                  username=user.username if user else "", error=None, notice=None)


@router.post("/login/password")
def change_password(request: Request, ctx: Ctx, user: Public,
                    username: Annotated[str, Form()], password: Annotated[str, Form()],
                    new_password: Annotated[str, Form()],
                    new_password_again: Annotated[str, Form()]) -> Response:
    """A new password for whoever knows the current one (or the temporary one an admin
    set), counted against the login limit like a login."""
    checked = _checked_password(request, ctx, username, password, "change_password.html",
                                username=username, notice=None)
    if isinstance(checked, Response):
        return checked
    _, attempt, limiter = checked
    try:
        if new_password != new_password_again:
            raise WeakPasswordError("the two new passwords differ")
        check_new_password(new_password, username)
        new_hash = hash_password(new_password)
    except WeakPasswordError as exc:
        return render(request, "change_password.html", 400, username=username,
                      error=f"Not changed: {exc}.", notice=None)
    limiter.succeeded(attempt)
    ctx.db.set_password_hash(username, new_hash)
    ctx.db.drop_sessions(username)
    ctx.db.audit(username, "password_changed", detail=f"from {_client(request)}")
    return _signed_in(ctx, username, "/")


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _checked_password(request: Request, ctx: AppContext, username: str, password: str,
                      template: str, /, **page: Any
                      ) -> tuple[User, LoginAttempt, LoginRateLimiter] | Response:
    """The account, if ``password`` is its password and the login limit allows the try;
    else the page ``template`` answering why not (429, or 401 for a wrong password)."""
    limiter = LoginRateLimiter(ctx.db)
    client = _client(request)
    attempt = limiter.attempt(username, client)
    if attempt.retry_after:
        ctx.db.audit(username, "login_refused", detail=f"rate limited, from {client}")
        return render(request, template, 429, **page,
                      error="Too many failed logins. Try again in "
                            f"{attempt.retry_after // 60 + 1} minutes.")
    account = ctx.db.get_user(username)
    if not verify_password(account, password) or account is None:
        ctx.db.audit(username, "login_failed", detail=f"from {client}")
        return render(request, template, 401, **page, error="Wrong user name or password.")
    return account, attempt, limiter


def _signed_in(ctx: AppContext, username: str, target: str) -> RedirectResponse:
    """A new session for ``username``, and the way to ``target`` with its cookies."""
    token = new_token()
    ctx.db.add_session(token_hash(token), username, SESSION_LIFETIME_S)
    response = RedirectResponse(target, status_code=303)
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
