"""``lurewatch cluster rebuild|template`` and ``lurewatch campaigns list|show``."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from classifiers.campaigns import (
    CampaignIndex,
    RecordGroup,
    relink_store,
    stored_campaign,
    stored_campaigns,
)
from classifiers.cluster import CLUSTER_INDEX_FILE, ClusterIndexError, NearDuplicateIndex
from classifiers.templates import ClusterTemplate, stored_cluster_template
from index import open_store
from index.base import Store
from lurewatch.cli import app, command
from lurewatch.config import load_settings
from lurewatch.errors import UserError

T = TypeVar("T")

console = Console()
cluster_app = typer.Typer(help="Near-duplicate clusters of ads.", no_args_is_help=True)
campaigns_app = typer.Typer(help="Campaigns: ads linked by contacts and clusters.",
                            no_args_is_help=True)
app.add_typer(cluster_app, name="cluster")
app.add_typer(campaigns_app, name="campaigns")

IndexOption = Annotated[Path | None, typer.Option(
    "--index", help=f"Cluster index file (default: <data_dir>/{CLUSTER_INDEX_FILE}).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@command(cluster_app, name="rebuild")
def rebuild(index_path: IndexOption = None, as_json: JsonOption = False) -> None:
    """Re-cluster every stored record, recompute campaigns, write both ids back."""
    settings = load_settings()
    path = index_path or settings.data_dir / CLUSTER_INDEX_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        with (open_store(settings.store) as store, NearDuplicateIndex(path) as clusters,
              CampaignIndex(path) as campaigns):
            report = relink_store(store, clusters, campaigns)
    except ClusterIndexError as exc:
        raise UserError(f"cluster index {path}: {exc}") from exc
    summary = {"records": report.records, "clusters": report.clusters,
               "campaigns": report.campaigns, "updated": report.updated,
               "seconds": round(time.monotonic() - started, 2), "index": str(path)}
    if as_json:
        _print_json(summary)
        return
    table = Table(title="Cluster rebuild", show_header=False)
    for key, value in summary.items():
        table.add_row(key, str(value))
    console.print(table)


def _show(find: Callable[[Store, str], T | None], key: str, what: str, as_json: bool,
          show: Callable[[T], None]) -> None:
    """Print what ``find`` gives for ``key`` in the configured store, as JSON (its
    ``to_dict()``) or with ``show``; a one-line error if nothing."""
    settings = load_settings()
    with open_store(settings.store) as store:
        found = find(store, key)
    if found is None:
        raise UserError(f"no stored record is in {what} {key!r}")
    if as_json:
        _print_json(found.to_dict())  # type: ignore[attr-defined]
    else:
        show(found)


@command(cluster_app, name="template")
def template(cluster_id: Annotated[str, typer.Argument(help="A cluster id (nd-…).")],
             as_json: JsonOption = False) -> None:
    """A cluster's shared template and the values each slot took."""
    _show(stored_cluster_template, cluster_id, "cluster", as_json, _print_template)


def _print_template(found: ClusterTemplate) -> None:
    console.print(Text(f"{found.cluster_id}: {found.members} ads", style="bold"))
    console.print(found.template, markup=False, highlight=False)
    table = Table("slot", "kind", "values (count)")
    for slot in found.slots:
        # Crawled text goes in as Text, so a "[bold]" in an ad is shown, not obeyed.
        table.add_row(slot.name, slot.kind,
                      Text(", ".join(f"{value} ({n})" for value, n in slot.values.items())))
    console.print(table)


def _campaign_table(groups: list[RecordGroup]) -> Table:
    table = Table("campaign", "score", "size", "flagged", "sources", "countries", "first seen",
                  "last seen", "top link")
    for group in groups:
        top = next(iter(group.links), "")
        table.add_row(group.id, f"{group.score:.2f}", str(group.size),
                      f"{group.flagged_share:.0%}", Text(", ".join(group.sources)),
                      Text(", ".join(group.countries)), group.first_seen.date().isoformat(),
                      group.last_seen.date().isoformat(), Text(top))
    return table


@command(campaigns_app, name="list")
def list_campaigns(
    min_size: Annotated[int, typer.Option("--min-size", min=1)] = 2,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 20,
    as_json: JsonOption = False,
) -> None:
    """Campaigns riskiest first (run ``lurewatch cluster rebuild`` to link new records)."""
    settings = load_settings()
    with open_store(settings.store) as store:
        groups = stored_campaigns(store, min_size=min_size, limit=limit)
    if as_json:
        _print_json([group.to_dict() for group in groups])
    else:
        console.print(_campaign_table(groups))


@command(campaigns_app, name="show")
def show_campaign(campaign_id: Annotated[str, typer.Argument(help="A campaign id (cmp-…).")],
                  as_json: JsonOption = False) -> None:
    """One campaign with its members, shared contacts and score parts."""
    _show(stored_campaign, campaign_id, "campaign", as_json, _print_campaign)


def _print_campaign(group: RecordGroup) -> None:
    console.print(_campaign_table([group]))
    console.print("shared: " + ", ".join(f"{k} ({n})" for k, n in group.links.items()),
                  markup=False, highlight=False)
    console.print("score parts: " + json.dumps(group.score_parts), markup=False)
    console.print("records: " + ", ".join(group.record_ids), markup=False, highlight=False)
