"""The caller's own watchlist entries: list, add, pause, resume, delete. Changes take a
personal token only, as decisions do (:mod:`review_ui.api.deps`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from monitor.watchlists import Watch, WatchKind
from review_ui.access import Permission
from review_ui.api.deps import ApiCheck, ApiReader
from review_ui.api.schemas import Public
from review_ui.appdb.accounts import User
from review_ui.deps import AppDB
from review_ui.forms import RowId
from review_ui.services import watchlists
from review_ui.services.watchlists import MAX_VALUE

router = APIRouter(prefix="/watchlists", tags=["watchlists"])
# Read permission (one's own entries), but by token only: these change state.
ApiWatcher = Annotated[User, Depends(ApiCheck(Permission.read, sessions=False))]


class WatchlistCreate(BaseModel):
    kind: WatchKind
    value: str = Field(min_length=1, max_length=MAX_VALUE, description=(
        "the phone, handle, e-mail, employer or campaign id; for `search`, the search"
        " page's query string, e.g. `q=visa&country=MY`"))


class WatchlistPublic(Public):
    id: int
    owner: str
    kind: str
    value: str
    created_at: datetime
    paused: bool


def _public(watch: Watch) -> WatchlistPublic:
    return WatchlistPublic.model_validate(watch)


@router.get("", response_model=list[WatchlistPublic])
def list_watchlists(user: ApiReader, db: AppDB) -> list[WatchlistPublic]:
    return [_public(watch) for watch in db.watches(user.username)]


@router.post("", response_model=WatchlistPublic, status_code=201)
def add_watchlist(entry: WatchlistCreate, user: ApiWatcher, db: AppDB) -> WatchlistPublic:
    return _public(watchlists.add_watch(db, user, entry.kind, entry.value))


@router.post("/{watchlist_id}/pause", response_model=WatchlistPublic)
def pause_watchlist(watchlist_id: RowId, user: ApiWatcher, db: AppDB) -> WatchlistPublic:
    return _public(watchlists.set_paused(db, user, watchlist_id, True))


@router.post("/{watchlist_id}/resume", response_model=WatchlistPublic)
def resume_watchlist(watchlist_id: RowId, user: ApiWatcher, db: AppDB) -> WatchlistPublic:
    return _public(watchlists.set_paused(db, user, watchlist_id, False))


@router.delete("/{watchlist_id}", status_code=204)
def delete_watchlist(watchlist_id: RowId, user: ApiWatcher, db: AppDB) -> Response:
    watchlists.delete(db, user, watchlist_id)
    return Response(status_code=204)
