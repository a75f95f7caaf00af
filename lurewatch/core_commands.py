"""Commands over the whole flow and the store: ``demo``, ``search``, ``show``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from index import open_store
from index.base import HIGHLIGHT_END, HIGHLIGHT_START, SearchFilters, SearchQuery
from lurewatch.cli import UserError, command
from lurewatch.config import load_settings, load_sources

console = Console()


@command(name="demo")
def demo(
    summary_json: Annotated[Path | None, typer.Option(
        "--summary-json", help="Write the run's summary as JSON here.")] = None,
    store_path: Annotated[Path | None, typer.Option(
        "--store", help="SQLite file to store into (default: settings.store.path).")] = None,
) -> None:
    """Serve the bundled sample sites on loopback, crawl, score and store them in SQLite."""
    from crawlers.commands import sample_sites_url
    from crawlers.run import crawl

    settings = load_settings()
    if store_path is not None:
        settings.store.path = store_path
    settings.store.kind = "sqlite"
    started = time.monotonic()
    with sample_sites_url(True) as base_url, open_store(settings.store) as store:
        sources = load_sources(settings.sources_file, base_url=base_url)
        with _progress() as progress:
            task = progress.add_task("crawling", total=None)

            def report(message: str, pages: int) -> None:
                progress.update(task, description=message, completed=pages)

            stats = crawl(sources, settings, store=store, progress=report)
        summary = _summary(stats.to_dict(), store, time.monotonic() - started)
    _print_summary(summary)
    if summary_json is not None:
        summary_json.parent.mkdir(parents=True, exist_ok=True)
        summary_json.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed} pages"), TimeElapsedColumn(), console=console)


def _summary(stats: dict[str, Any], store: Any, seconds: float) -> dict[str, Any]:
    facets = store.search(SearchQuery(size=0, facets=("label", "language", "source"))).facets
    by_label = facets.get("label", {})
    return {
        "crawled": stats["totals"]["pages_fetched"],
        "extracted": stats["totals"]["records_extracted"],
        "stored": stats["totals"]["stored"],
        "rejected": stats["totals"]["rejected"],
        "flagged": by_label.get("deceptive_recruitment", 0) + by_label.get("smuggling_offer", 0),
        "records_in_store": store.count(),
        "by_label": by_label,
        "by_language": facets.get("language", {}),
        "by_source": facets.get("source", {}),
        "per_source": stats["sources"],
        "seconds": round(seconds, 2),
    }


def _print_summary(summary: dict[str, Any]) -> None:
    table = Table(title="Lurewatch demo", show_header=False)
    for key in ("crawled", "extracted", "stored", "rejected", "flagged", "records_in_store",
                "seconds"):
        table.add_row(key, str(summary[key]))
    for key in ("by_label", "by_language", "by_source"):
        table.add_row(key, ", ".join(f"{k} {v}" for k, v in summary[key].items()) or "-")
    console.print(table)


def _csv(values: list[str] | None) -> tuple[str, ...]:
    return tuple(v for value in values or () for v in value.split(",") if v)


@command(name="search")
def search(
    text: Annotated[str, typer.Argument(help="Words to find, in any language.")] = "",
    label: Annotated[list[str] | None, typer.Option(help="Filter by label.")] = None,
    indicator: Annotated[list[str] | None, typer.Option(help="Filter by indicator id.")] = None,
    language: Annotated[list[str] | None, typer.Option(help="Filter by language code.")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Filter by source name.")] = None,
    country: Annotated[list[str] | None, typer.Option(help="Filter by country code.")] = None,
    min_score: Annotated[float | None, typer.Option(help="Lowest risk score.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
) -> None:
    """Full-text search with filters over the configured store."""
    settings = load_settings()
    filters = SearchFilters(labels=_csv(label), indicators=_csv(indicator),
                            languages=_csv(language), sources=_csv(source),
                            countries=_csv(country), score_min=min_score)
    with open_store(settings.store) as store:
        result = store.search(SearchQuery(text=text, filters=filters, size=limit,
                                          sort="relevance", facets=()))
    if as_json:
        for hit in result.hits:
            typer.echo(hit.record.to_json())
        return
    table = Table(title=f"{result.total} records")
    table.add_column("id", no_wrap=True)
    for column in ("label", "score", "lang", "source", "title / match"):
        table.add_column(column)
    for hit in result.hits:
        ad = hit.record
        shown = (hit.highlights.get("text") or hit.highlights.get("title") or [ad.title])[0]
        shown = shown.replace(HIGHLIGHT_START, "»").replace(HIGHLIGHT_END, "«")
        table.add_row(ad.id, str(ad.risk_label or "-"),
                      f"{ad.risk_score:.2f}" if ad.risk_score is not None else "-",
                      ad.language or "-", ad.source, shown[:120])
    console.print(table, markup=False)


@command(name="show")
def show(record_id: Annotated[str, typer.Argument(help="The record's id.")]) -> None:
    """Print one record as JSON, with its review history."""
    settings = load_settings()
    with open_store(settings.store) as store:
        ad = store.get(record_id)
        if ad is None:
            raise UserError(f"no record with id {record_id!r} in {settings.store.kind} store")
        history = [entry.__dict__ | {"at": entry.at.isoformat()}
                   for entry in store.history(record_id)]
    document = json.loads(ad.to_json()) | {"history": history}
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
