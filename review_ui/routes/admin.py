"""For admins: accounts and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from review_ui.access import Role
from review_ui.appdb.accounts import DuplicateUserError
from review_ui.deps import Admin, AppDB
from review_ui.forms import RowId
from review_ui.security import WeakPasswordError, hash_password
from review_ui.templating import render

router = APIRouter(prefix="/admin")
AUDIT_PAGE = 200


@router.get("/users")
def users(request: Request, user: Admin, db: AppDB) -> Response:
    return render(request, "users.html", page_title="Users", users=db.users(),
                  roles=list(Role), error=None)


@router.post("/users")
def add_user(request: Request, user: Admin, db: AppDB,
             username: Annotated[str, Form(pattern=r"^[A-Za-z0-9_.@-]{2,64}$")],
             role: Annotated[Role, Form()], password: Annotated[str, Form()]) -> Response:
    try:
        db.add_user(username, hash_password(password), role.value)
    except (WeakPasswordError, DuplicateUserError) as exc:
        return render(request, "users.html", 400, page_title="Users", users=db.users(),
                      roles=list(Role), error=str(exc))
    db.audit(user.username, "user_added", username, role.value)
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/audit")
def audit(request: Request, user: Admin, db: AppDB, before: RowId | None = None,
          action: str = "") -> Response:
    entries = db.audit_entries(limit=AUDIT_PAGE, before_id=before, action=action or None)
    return render(request, "audit.html", page_title="Audit log", entries=entries,
                  actions=db.audit_actions(), action=action,
                  older=entries[-1].id if len(entries) == AUDIT_PAGE else None)
