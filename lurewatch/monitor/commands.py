"""``lurewatch monitor`` (the long-lived scheduler) and ``lurewatch status``."""

from __future__ import annotations

import json
import logging
from contextlib import ExitStack
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from index import open_store
from lurewatch.cli import UserError, command
from lurewatch.config import Settings, Source, load_settings, load_sources, select_sources
from lurewatch.monitor.metrics import serve_metrics
from lurewatch.monitor.scheduler import Monitor
from lurewatch.monitor.state import MonitorState, Run, utcnow

console = Console()

# ``status`` reads names and schedules only; start URLs with the sample sites'
# ``{base_url}`` placeholder need some value to load.
PLACEHOLDER_BASE_URL = "http://127.0.0.1"


@command(name="monitor")
def monitor(
    source_names: Annotated[list[str] | None, typer.Option(
        "--source", help="Monitor only this source (repeatable; default: all enabled).")] = None,
    base_url: Annotated[str | None, typer.Option(
        "--base-url", help="Fill {base_url} in sources.yaml with this URL.")] = None,
    sample_sites: Annotated[bool, typer.Option(
        "--sample-sites", help="Serve the bundled sample sites on loopback and monitor them.")]
        = False,
    sample_sites_port: Annotated[int, typer.Option(
        "--sample-sites-port", help="Port for --sample-sites; fixed by default because"
        " record ids come from URLs, so they stay the same across restarts.")] = 8765,
) -> None:
    """Crawl every source when it is due, judge its health, raise and send alerts.

    Runs until SIGTERM or Ctrl-C, which let the running crawls finish first."""
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if sample_sites and base_url:
        raise UserError("give --sample-sites or --base-url, not both")
    settings = load_settings()
    with ExitStack() as stack:
        if sample_sites:
            from crawlers.sample_sites.server import serve_sample_sites

            try:
                base_url = str(stack.enter_context(serve_sample_sites(port=sample_sites_port)))
            except OSError as exc:
                raise UserError(f"cannot serve the sample sites on port {sample_sites_port}:"
                                f" {exc}") from exc
        sources = select_sources(load_sources(settings.sources_file, base_url=base_url),
                                 source_names)
        store = stack.enter_context(open_store(settings.store))
        runner = Monitor(settings, sources, store)
        if settings.monitor.metrics_port is not None:
            try:
                port = serve_metrics(settings.monitor.metrics_host, settings.monitor.metrics_port)
            except OSError as exc:
                raise UserError(f"cannot serve metrics on {settings.monitor.metrics_host}:"
                                f"{settings.monitor.metrics_port}: {exc}") from exc
            logging.getLogger(__name__).info(
                "metrics on http://%s:%d/metrics", settings.monitor.metrics_host, port)
        runner.run_until_signalled()


@command(name="status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
        = False,
) -> None:
    """Each source's last run, counts, health and next run."""
    settings = load_settings()
    rows = status_rows(settings)
    if as_json:
        typer.echo(json.dumps({"sources": rows}, indent=2, ensure_ascii=False))
        return
    console.print(status_table(rows))


def _schedule(source: Source, settings: Settings) -> str:
    if settings.monitor.interval_override_seconds is not None:
        return f"every {settings.monitor.interval_override_seconds:g} s (override)"
    if source.cron:
        return f"cron {source.cron}"
    return f"every {source.interval_minutes or settings.monitor.default_interval_minutes} min"


def status_rows(settings: Settings) -> list[dict[str, Any]]:
    """One entry per configured source, plus any source the monitor ran that is no longer
    configured; the keys of ``lurewatch status --json``."""
    configured = {s.name: s for s in load_sources(settings.sources_file,
                                                  base_url=PLACEHOLDER_BASE_URL)}
    state = MonitorState.for_settings(settings)
    last_runs = state.last_runs()
    next_runs = state.next_runs()
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
    for header in ("source", "schedule", "last run", "outcome", "pages", "records", "new",
                   "health", "problems", "next run"):
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
