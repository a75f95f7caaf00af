"""The alerts the monitor raised, newest first, with each channel's delivery status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from index.query import MAX_RESULT_WINDOW
from review_ui.api.deps import ApiReader
from review_ui.api.schemas import AlertPublic
from review_ui.deps import StoreDep
from review_ui.routes.alerts import ALERTS_PAGE

router = APIRouter(prefix="/alerts", tags=["alerts"])


@router.get("", response_model=list[AlertPublic])
def list_alerts(user: ApiReader, store: StoreDep,
                limit: Annotated[int, Query(ge=1, le=ALERTS_PAGE)] = ALERTS_PAGE,
                offset: Annotated[int, Query(ge=0, le=MAX_RESULT_WINDOW - ALERTS_PAGE)] = 0,
                ) -> list[AlertPublic]:
    return [AlertPublic.model_validate(alert)
            for alert in store.alerts(limit=limit, offset=offset)]
