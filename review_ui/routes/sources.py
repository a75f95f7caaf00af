"""Sources as the monitor sees them: every source's last run and health, and one source's
recent runs with their counts, health verdicts and a chart of records per run. Runs come
from the store, every monitor's; alerts about a source link here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from index.errors import NotFoundError
from index.query import TrendBucket
from index.runs import Run
from lurewatch.config import ConfigError
from monitor.status import status_rows
from review_ui.deps import Reader, SettingsDep, StoreDep
from review_ui.errors import Refused
from review_ui.services import charts
from review_ui.templating import render

router = APIRouter(prefix="/sources")
RUNS_SHOWN = 30
CHARTED = ("records_extracted", "new", "already_seen")


def records_per_run(runs: list[Run]) -> list[TrendBucket]:
    """Records extracted, new and already seen in each run that has counts. A run's period
    is its start time to the millisecond: the chart orders periods as text and sums
    buckets that share one, so two runs never merge."""
    return [TrendBucket(f"{run.started_at:%Y-%m-%d %H:%M:%S.%f}"[:-3], name,
                        int(run.counts.get(name, 0)))
            for run in reversed(runs) if run.counts for name in CHARTED]


@router.get("")
def sources(request: Request, user: Reader, settings: SettingsDep,
            store: StoreDep) -> Response:
    try:
        rows = status_rows(settings, store)
    except ConfigError as exc:
        raise Refused(500, f"Cannot read the sources: {exc}") from exc
    return render(request, "sources.html", page_title="Sources", rows=rows)


@router.get("/{name}")
def source(request: Request, user: Reader, store: StoreDep, name: str) -> Response:
    runs = store.recent_runs(name, RUNS_SHOWN)
    if not runs:
        raise NotFoundError(f"the monitor has no run of a source {name}")
    return render(request, "source.html", page_title=f"Source {name}", source=name, runs=runs,
                  chart=charts.line_chart(records_per_run(runs)))
