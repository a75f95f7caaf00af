"""The alerts the monitor raised (kept in the store by ``lurewatch.monitor``), for everyone
who reads records."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from review_ui.deps import Reader, StoreDep
from review_ui.templating import render

router = APIRouter()
ALERTS_PAGE = 100


@router.get("/alerts")
def alerts(request: Request, user: Reader, store: StoreDep, offset: int = 0) -> Response:
    shown = store.alerts(limit=ALERTS_PAGE, offset=max(offset, 0))
    return render(request, "alerts.html", page_title="Alerts", alerts=shown,
                  older=offset + ALERTS_PAGE if len(shown) == ALERTS_PAGE else None)
