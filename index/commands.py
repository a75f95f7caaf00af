"""Store commands: ``search`` and ``show`` on any store; ``reindex``, ``spool drain`` and
``kibana import`` on a search engine (each of these prints one JSON object on stdout
for other programs to read).
"""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from index import open_store
from index.engine import EngineStore
from index.engine.clients import open_engine_store
from index.engine.reindex import reindex
from index.kibana import KibanaError, import_saved_objects
from index.query import SearchFilters, SearchQuery
from lurewatch.cli import app, command
from lurewatch.config import load_settings
from lurewatch.errors import UserError
from lurewatch.record import HIGHLIGHT_END, HIGHLIGHT_START

kibana_app = typer.Typer(help="Kibana / OpenSearch Dashboards saved objects.",
                         no_args_is_help=True)
app.add_typer(kibana_app, name="kibana")
spool_app = typer.Typer(help="The local spool of records the search engine could not take.",
                        no_args_is_help=True)
app.add_typer(spool_app, name="spool")
console = Console()


def _engine_store() -> EngineStore:
    settings = load_settings()
    if settings.store.kind == "sqlite":
        raise UserError("store.kind is sqlite; this command needs a search engine "
                        "(set store.kind to opensearch or elasticsearch)")
    return open_engine_store(settings.store)


def _print_json(data: dict[str, Any]) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False))


@command(name="reindex")
def reindex_command() -> None:
    """Copy the records into a new index with this code's mapping, then move the alias."""
    with _engine_store() as store:
        _print_json(reindex(store).as_json())


@command(spool_app, name="drain")
def drain_command() -> None:
    """Write spooled records to the engine, oldest first."""
    with _engine_store() as store:
        drained = store.drain_spool()
        left = len(store.spool) if store.spool is not None else 0
        _print_json({"drained": drained, "left": left})


@command(kibana_app, name="import")
def kibana_import(
    url: Annotated[str, typer.Option("--url", help="Kibana or OpenSearch Dashboards URL.")],
    space: Annotated[str | None, typer.Option(help="Kibana space (default space if not set).")]
    = None,
    username: Annotated[str | None, typer.Option(help="User for basic auth.")] = None,
    password_env: Annotated[str, typer.Option(
        help="Environment variable holding the password.")] = "LUREWATCH_KIBANA_PASSWORD",
    insecure: Annotated[bool, typer.Option(help="Do not verify TLS certificates.")] = False,
) -> None:
    """Load the data view, visualisations and dashboard through the saved-objects API."""
    settings = load_settings()
    alias = f"{settings.store.index_prefix}-ads"
    try:
        answer = import_saved_objects(url, alias, space=space, username=username,
                                      password=os.environ.get(password_env),
                                      verify=not insecure)
    except KibanaError as exc:
        raise UserError(str(exc)) from None
    _print_json({"url": url, "imported": answer.get("successCount", 0), "data_view": alias})


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
