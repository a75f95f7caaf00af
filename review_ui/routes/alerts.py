"""The alerts the monitor raised (kept in the store by ``monitor``), for everyone
who reads records."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from index.query import MAX_RESULT_WINDOW
from review_ui.deps import Reader, StoreDep
from review_ui.templating import render

router = APIRouter()
ALERTS_PAGE = 100


@router.get("/alerts")
def alerts(request: Request, user: Reader, store: StoreDep,
           offset: Annotated[int, Query(ge=0, le=MAX_RESULT_WINDOW - ALERTS_PAGE)] = 0,
           ) -> Response:
    shown = store.alerts(limit=ALERTS_PAGE, offset=offset)
    older = offset + ALERTS_PAGE
    return render(request, "alerts.html", page_title="Alerts", alerts=shown,
                  older=older if len(shown) == ALERTS_PAGE
                  and older + ALERTS_PAGE <= MAX_RESULT_WINDOW else None)
