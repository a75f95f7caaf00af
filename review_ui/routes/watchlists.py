"""The user's own watchlist entries: listed, added (also from a pivot page's "Watch"
button), paused, resumed and deleted. The monitor alerts on them
(:mod:`monitor.watchlists`); the alerts are on ``/alerts`` and go out through every
configured channel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from monitor.watchlists import WATCH_KINDS
from review_ui.deps import AppDB, Reader
from review_ui.forms import RowId
from review_ui.services import watchlists
from review_ui.services.watchlists import MAX_VALUE
from review_ui.templating import render

router = APIRouter(prefix="/watchlists")


def _back() -> RedirectResponse:
    return RedirectResponse("/watchlists", status_code=303)


@router.get("")
def list_watchlists(request: Request, user: Reader, db: AppDB) -> Response:
    return render(request, "watchlists.html", page_title="Watchlists",
                  watches=db.watches(user.username), kinds=WATCH_KINDS, max_value=MAX_VALUE)


@router.post("")
def add_watchlist(user: Reader, db: AppDB, kind: Annotated[str, Form(max_length=20)],
                  value: Annotated[str, Form(max_length=MAX_VALUE)]) -> Response:
    watchlists.add_watch(db, user, kind, value)
    return _back()


@router.post("/{watchlist_id}/pause")
def pause_watchlist(watchlist_id: RowId, user: Reader, db: AppDB) -> Response:
    watchlists.set_paused(db, user, watchlist_id, True)
    return _back()


@router.post("/{watchlist_id}/resume")
def resume_watchlist(watchlist_id: RowId, user: Reader, db: AppDB) -> Response:
    watchlists.set_paused(db, user, watchlist_id, False)
    return _back()


@router.post("/{watchlist_id}/delete")
def delete_watchlist(watchlist_id: RowId, user: Reader, db: AppDB) -> Response:
    watchlists.delete(db, user, watchlist_id)
    return _back()
