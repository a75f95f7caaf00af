"""What ``lurewatch status`` shows: each source's last run, counts, health, next run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.markup import escape
from rich.table import Table

from index.base import Store
from index.runs import Run
from lurewatch.config import Settings, Source, load_sources
from monitor.state import MonitorState, utcnow

# ``status`` reads names and schedules only; start URLs with the sample sites'
# ``{base_url}`` placeholder need some value to load.
PLACEHOLDER_BASE_URL = "http://127.0.0.1"


def _schedule(source: Source, settings: Settings) -> str:
    if settings.monitor.interval_override_seconds is not None:
        return f"every {settings.monitor.interval_override_seconds:g} s (override)"
    if source.cron:
        return f"cron {source.cron}"
    return f"every {source.interval_minutes or settings.monitor.default_interval_minutes} min"


def status_rows(settings: Settings, store: Store) -> list[dict[str, Any]]:
    """One entry per configured source, plus any source a monitor ran that is no longer
    configured; the keys of ``lurewatch status --json``. Last runs come from the store
    (any monitor's), next runs from this machine's monitor database."""
    configured = {s.name: s for s in load_sources(settings.sources_file,
                                                  base_url=PLACEHOLDER_BASE_URL)}
    last_runs = store.last_runs()
    next_runs = MonitorState.for_settings(settings).next_runs()
    rows = []
    for name in list(configured) + sorted(set(last_runs) - set(configured)):
        source = configured.get(name)
        run: Run | None = last_runs.get(name)
        next_run = next_runs.get(name)
        rows.append({
            "source": name,
            "enabled": source.enabled if source else False,
            "priority": source.priority if source else None,
            "schedule": _schedule(source, settings) if source else "not configured",
            "last_run": None if run is None else {
                "started_at": run.started_at.isoformat(),
                "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                "outcome": run.outcome,
                "error": run.error,
                "monitor": run.monitor,
            },
            "counts": run.counts if run else {},
            "health": run.health if run else "unknown",
            "problems": run.problems if run else [],
            "next_run": next_run.isoformat() if next_run else None,
        })
    return rows


HEALTH_STYLE = {"healthy": "green", "degraded": "yellow", "unhealthy": "bold red",
                "unknown": "dim"}


def _ago(iso: str | None) -> str:
    if not iso:
        return "-"
    seconds = (utcnow() - datetime.fromisoformat(iso)).total_seconds()
    when = "in " if seconds < 0 else ""
    seconds = abs(seconds)
    span = (f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
            if seconds < 7200 else f"{seconds / 3600:.1f} h")
    return f"{when}{span}" + ("" if when else " ago")


def status_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="Lurewatch sources")
    table.add_column("source", no_wrap=True)  # names are the key people look for
    for header in ("schedule", "last run", "outcome", "pages", "records", "new", "health",
                   "problems", "next run"):
        table.add_column(header, justify="right" if header in ("pages", "records", "new")
                         else "left")
    for row in rows:
        run, counts = row["last_run"], row["counts"]
        health = row["health"]
        table.add_row(
            row["source"], row["schedule"],
            _ago(run["started_at"]) if run else "never",
            run["outcome"] if run else "-",
            str(counts.get("pages_fetched", "-")),
            str(counts.get("records_extracted", "-")),
            str(counts.get("new", "-")),
            f"[{HEALTH_STYLE[health]}]{health}[/]",
            escape("; ".join(row["problems"])) or "-",
            _ago(row["next_run"]) if row["next_run"] else "-",
        )
    return table
