"""Sources as ``lurewatch status`` shows them, and one source's recent runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from index.errors import NotFoundError
from lurewatch.config import ConfigError
from monitor.status import status_rows
from review_ui.api.deps import ApiReader
from review_ui.api.schemas import RunPublic, SourcePublic
from review_ui.deps import SettingsDep, StoreDep
from review_ui.errors import Refused
from review_ui.routes.sources import RUNS_SHOWN

router = APIRouter(prefix="/sources", tags=["sources and runs"])


@router.get("", response_model=list[SourcePublic])
def list_sources(user: ApiReader, settings: SettingsDep, store: StoreDep) -> list[SourcePublic]:
    """Each source's last run, counts, health and next run."""
    try:
        rows = status_rows(settings, store)
    except ConfigError as exc:
        raise Refused(500, f"Cannot read the sources: {exc}") from exc
    return [SourcePublic.model_validate(row) for row in rows]


@router.get("/{name}/runs", response_model=list[RunPublic])
def source_runs(name: str, user: ApiReader, store: StoreDep,
                limit: Annotated[int, Query(ge=1, le=RUNS_SHOWN)] = RUNS_SHOWN,
                ) -> list[RunPublic]:
    """The source's runs, newest first."""
    runs = store.recent_runs(name, limit)
    if not runs:
        raise NotFoundError(f"the monitor has no run of a source {name}")
    return [RunPublic.model_validate(run) for run in runs]
