"""``lurewatch demo``, ``lurewatch crawl`` and ``lurewatch parse``."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from crawlers.extract.common import PageRejected
from crawlers.extract.jsonld import PageContext
from crawlers.extract.pages import parse_page
from crawlers.pipelines.normalise import normalise_record
from crawlers.run import CrawlError, log_path
from crawlers.runs import recorded_crawl
from crawlers.settings import UNSCORED
from crawlers.stats import CrawlStats
from index import open_store
from index.query import SearchQuery
from lurewatch.cli import command
from lurewatch.config import Source, load_settings, load_sources, select_sources
from lurewatch.errors import UserError

console = Console(stderr=True)
summary_console = Console()  # the demo's summary: stdout
BASE_URL_PLACEHOLDER = "{base_url}"


@contextlib.contextmanager
def sample_sites_url(serve: bool) -> Iterator[str | None]:
    """The base URL of the bundled sample sites served on their stable port, or None."""
    if not serve:
        yield None
        return
    from crawlers.sample_sites.server import STABLE_PORT, serve_sample_sites

    with contextlib.ExitStack() as stack:
        try:
            site = stack.enter_context(serve_sample_sites(port=STABLE_PORT))
        except OSError as exc:
            raise UserError(f"cannot serve the sample sites on port {STABLE_PORT}: {exc}") from exc
        yield str(site)


def _stats_table(stats: CrawlStats) -> Table:
    table = Table(title=f"crawl ({stats.duration:.1f} s)")
    for column in ("source", "pages", "extracted", "new", "changed", "seen", "stored",
                   "rejected", "http 403/429/5xx"):
        table.add_column(column)
    for row in [*stats.sources.values(), stats.totals]:
        rejected = ", ".join(f"{k} {v}" for k, v in row.rejected.items()) or "-"
        statuses = ", ".join(f"{k}×{v}" for k, v in row.http_status.items()) or "-"
        table.add_row(row.source, str(row.pages_fetched), str(row.records_extracted),
                      str(row.new), str(row.changed), str(row.already_seen), str(row.stored),
                      rejected, statuses)
    return table


@command(name="crawl")
def crawl_command(
    source: Annotated[list[str] | None, typer.Option(
        "--source", "-s", help="Source name from sources.yaml (repeatable; default: all "
        "enabled sources).")] = None,
    samples: Annotated[bool, typer.Option(
        "--samples", help="Serve the bundled sample sites on loopback while crawling "
        "(for sources whose URLs use {base_url}).")] = False,
    no_score: Annotated[bool, typer.Option(
        "--no-score", help="Store records unscored (score later with 'lurewatch classify').")
    ] = False,
    stats_json: Annotated[Path | None, typer.Option(
        "--stats-json", help="Write the crawl stats as JSON here.")] = None,
) -> None:
    """Crawl the configured sources into the configured store (incremental, resumable)."""
    settings = load_settings()
    with sample_sites_url(samples) as base_url:
        sources: list[Source] = select_sources(
            load_sources(settings.sources_file, base_url=base_url), source)
        unresolved = [s.name for s in sources
                      if any(BASE_URL_PLACEHOLDER in url for url in s.start_urls)]
        if unresolved:
            raise UserError(f"sources {', '.join(unresolved)} use {BASE_URL_PLACEHOLDER}: "
                            "add --samples to serve the bundled sample sites")
        overrides = UNSCORED if no_score else None
        with open_store(settings.store) as store, console.status("crawling…") as status:
            def report(name: str, stored: int) -> None:
                status.update(f"crawling… {name}: {stored} stored")

            try:
                stats = recorded_crawl(sources, settings, store, progress=report,
                                       overrides=overrides)
            except CrawlError as exc:
                raise UserError(str(exc)) from exc
    console.print(_stats_table(stats))
    console.print(f"log: {log_path(settings)}")
    if stats_json is not None:
        stats_json.parent.mkdir(parents=True, exist_ok=True)
        stats_json.write_text(json.dumps(stats.to_dict(), indent=2, ensure_ascii=False) + "\n",
                              encoding="utf-8")
    if stats.interrupted:
        raise typer.Exit(130)


@command(name="parse")
def parse_command(
    path: Annotated[Path, typer.Argument(help="A saved page: HTML, a Mastodon API JSON "
                                               "response, or an RSS/Atom/XML job feed.")],
    url: Annotated[str, typer.Option("--url", help="The URL the page was saved from.")],
    source: Annotated[str | None, typer.Option(
        "--source", help="Read it as this source does (its selectors, country, language)."
    )] = None,
) -> None:
    """Print, as JSON lines, the records the spiders' parsing code extracts from a page."""
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from exc
    known: Source | None = None
    if source is not None:
        settings = load_settings()
        known = select_sources(load_sources(settings.sources_file), [source])[0]
    page = PageContext(url=url, source=known.name if known else "parse",
                       country=known.country if known else None,
                       language=known.language if known else None)
    try:
        parsed = parse_page(body, page, selectors=known.selectors if known else None)
    except PageRejected as rejected:
        raise UserError(f"{path}: no records ({rejected})") from rejected
    if not parsed.records:
        raise UserError(f"{path}: no records (the {parsed.kind} page holds none)")
    for record in parsed.records:
        typer.echo(normalise_record(record, default_country=page.country).to_json())


@command(name="demo")
def demo(
    summary_json: Annotated[Path | None, typer.Option(
        "--summary-json", help="Write the run's summary as JSON here.")] = None,
    store_path: Annotated[Path | None, typer.Option(
        "--store", help="SQLite file to store into (default: settings.store.path).")] = None,
) -> None:
    """Serve the bundled sample sites on loopback, crawl, score and store them in SQLite."""
    settings = load_settings()
    if store_path is not None:
        settings.store.path = store_path
    settings.store.kind = "sqlite"
    started = time.monotonic()
    with sample_sites_url(True) as base_url, open_store(settings.store) as store:
        sources = load_sources(settings.sources_file, base_url=base_url)
        with _demo_progress() as progress:
            task = progress.add_task("crawling", total=None)

            def report(message: str, pages: int) -> None:
                progress.update(task, description=message, completed=pages)

            stats = recorded_crawl(sources, settings, store, progress=report)
        summary = _summary(stats.to_dict(), store, time.monotonic() - started)
    _print_summary(summary)
    if summary_json is not None:
        summary_json.parent.mkdir(parents=True, exist_ok=True)
        summary_json.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")


def _demo_progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed} pages"), TimeElapsedColumn(),
                    console=summary_console)


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
    summary_console.print(table)
