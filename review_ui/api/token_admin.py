"""The admin page of personal API tokens: who holds which, when each was last used, and
revocation (``lurewatch token revoke`` does the same)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from review_ui.deps import Admin, AppDB
from review_ui.errors import Refused
from review_ui.forms import RowId
from review_ui.templating import render

router = APIRouter(prefix="/admin/tokens")


@router.get("")
def tokens(request: Request, user: Admin, db: AppDB) -> Response:
    return render(request, "api_tokens.html", page_title="API tokens", tokens=db.tokens())


@router.post("/{token_id}/revoke")
def revoke(token_id: RowId, user: Admin, db: AppDB) -> Response:
    if not db.revoke_token(token_id):
        raise Refused(404, f"No live token has id {token_id}.", link="/admin/tokens")
    db.audit(user.username, "api_token_revoked", f"token {token_id}")
    return RedirectResponse("/admin/tokens", status_code=303)
