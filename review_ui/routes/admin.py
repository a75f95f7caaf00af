"""For admins: accounts and the audit log."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from review_ui.access import Role
from review_ui.appdb.accounts import AccountChangeRefused, DuplicateUserError, User
from review_ui.deps import Admin, AppDB
from review_ui.forms import RowId
from review_ui.security import WeakPasswordError, check_new_password, hash_password
from review_ui.templating import render

router = APIRouter(prefix="/admin")
AUDIT_PAGE = 200
USERNAME_PATTERN = r"^[A-Za-z0-9_.@-]{2,64}$"


def get_account(username: str, db: AppDB) -> User:
    account = db.get_user(username)
    if account is None:
        raise HTTPException(404, f"no user {username!r}")
    return account


Account = Annotated[User, Depends(get_account)]


def _users_page(request: Request, db: AppDB, status: int = 200, error: str | None = None,
                temporary: tuple[str, str] | None = None) -> Response:
    return render(request, "users.html", status, page_title="Users", users=db.users(),
                  roles=list(Role), error=error, temporary=temporary)


@router.get("/users")
def users(request: Request, user: Admin, db: AppDB) -> Response:
    return _users_page(request, db)


@router.post("/users")
def add_user(request: Request, user: Admin, db: AppDB,
             username: Annotated[str, Form(pattern=USERNAME_PATTERN)],
             role: Annotated[Role, Form()], password: Annotated[str, Form()]) -> Response:
    try:
        check_new_password(password, username)
        db.add_user(username, hash_password(password), role.value)
    except (WeakPasswordError, DuplicateUserError) as exc:
        return _users_page(request, db, 400, str(exc))
    db.audit(user.username, "user_added", username, role.value)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{username}/disable")
def disable_user(request: Request, user: Admin, db: AppDB, account: Account) -> Response:
    """Disable an account; its sessions end at once (and it can no longer log in)."""
    return _change(request, user, db, account, "user_disabled", "",
                   lambda: db.set_disabled(account.username, True))


@router.post("/users/{username}/enable")
def enable_user(request: Request, user: Admin, db: AppDB, account: Account) -> Response:
    return _change(request, user, db, account, "user_enabled", "",
                   lambda: db.set_disabled(account.username, False))


@router.post("/users/{username}/role")
def change_role(request: Request, user: Admin, db: AppDB, account: Account,
                role: Annotated[Role, Form()]) -> Response:
    return _change(request, user, db, account, "role_changed",
                   f"{account.role} -> {role.value}",
                   lambda: db.set_role(account.username, role.value))


@router.post("/users/{username}/password-reset")
def reset_password(request: Request, user: Admin, db: AppDB, account: Account) -> Response:
    """A temporary password, shown once to the admin, that only lets its holder choose a
    new one at the next login; the account's sessions end now."""
    temporary = secrets.token_urlsafe(12)
    db.set_password_hash(account.username, hash_password(temporary), must_change=True)
    db.drop_sessions(account.username)
    db.audit(user.username, "password_reset", account.username)
    return _users_page(request, db, temporary=(account.username, temporary))


def _change(request: Request, user: User, db: AppDB, account: User, action: str,
            detail: str, change: Callable[[], None]) -> Response:
    """Apply one account change and audit it, or say why it was refused."""
    try:
        change()
    except AccountChangeRefused as exc:
        return _users_page(request, db, 409, str(exc))
    db.audit(user.username, action, account.username, detail)
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/audit")
def audit(request: Request, user: Admin, db: AppDB, before: RowId | None = None,
          action: str = "") -> Response:
    entries = db.audit_entries(limit=AUDIT_PAGE, before_id=before, action=action or None)
    return render(request, "audit.html", page_title="Audit log", entries=entries,
                  actions=db.audit_actions(), action=action,
                  older=entries[-1].id if len(entries) == AUDIT_PAGE else None)
