"""Search-engine commands: ``reindex``, ``spool drain`` and ``kibana import``.

Each prints one JSON object on stdout for other programs to read.
"""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

import typer

from index.engine import EngineStore
from index.engines import open_engine_store
from index.kibana import KibanaError, import_saved_objects
from index.reindex import reindex
from lurewatch.cli import UserError, app, command
from lurewatch.config import load_settings

kibana_app = typer.Typer(help="Kibana / OpenSearch Dashboards saved objects.",
                         no_args_is_help=True)
app.add_typer(kibana_app, name="kibana")
spool_app = typer.Typer(help="The local spool of records the search engine could not take.",
                        no_args_is_help=True)
app.add_typer(spool_app, name="spool")


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
