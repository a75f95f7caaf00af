"""``lurewatch archive verify|prune``: check and prune the fetched pages kept as WARC
snapshots (:mod:`crawlers.archive`)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from crawlers.archive import prune, verify
from crawlers.warc import snapshot_dir
from index import open_store
from lurewatch.cli import app, command
from lurewatch.config import load_settings, load_sources

archive_app = typer.Typer(help="Snapshots of fetched pages (WARC files).", no_args_is_help=True)
app.add_typer(archive_app, name="archive")
console = Console()
PROBLEMS_SHOWN = 20
# Prune reads only names and retention, so `{base_url}` in sample sources may be anything.
ANY_BASE_URL = "http://127.0.0.1"


@command(archive_app, name="verify")
def verify_command(
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print {snapshots, intact, mismatched, missing, ...} as JSON.")] = False,
) -> None:
    """Re-hash every snapshot the stored records point at; exit 1 if any is not intact."""
    settings = load_settings()
    with open_store(settings.store) as store:
        report = verify(store.scan(), snapshot_dir(settings))
    if as_json:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        table = Table(title="snapshots", show_header=False)
        for key in ("snapshots", "intact", "mismatched", "missing", "records",
                    "without_snapshot"):
            table.add_row(key, str(getattr(report, key)))
        console.print(table)
        for problem in report.problems[:PROBLEMS_SHOWN]:
            # Stored values, printed as text: never read as Rich markup.
            console.print(f"{problem['problem']}: record {problem['record']} at "
                          f"{problem['ref']}", markup=False, highlight=False)
    if report.mismatched or report.missing:
        raise typer.Exit(1)


@command(archive_app, name="prune")
def prune_command() -> None:
    """Delete snapshot files older than their source's snapshot_retention_days (sources
    without one keep theirs forever); prints what went as JSON."""
    settings = load_settings()
    sources = load_sources(settings.sources_file, base_url=ANY_BASE_URL)
    with open_store(settings.store) as store:
        report = prune(store, sources, snapshot_dir(settings))
    typer.echo(json.dumps(report.as_json(), ensure_ascii=False))
