"""``lurewatch monitor`` (the long-lived scheduler) and ``lurewatch status``."""

from __future__ import annotations

import json
import logging
from contextlib import ExitStack
from typing import Annotated

import typer
from rich.console import Console

from crawlers.sample_sites.server import STABLE_PORT
from index import open_store
from lurewatch.cli import command
from lurewatch.config import load_settings, load_sources, select_sources
from lurewatch.errors import UserError
from monitor.metrics import serve_metrics
from monitor.scheduler import Monitor
from monitor.status import status_rows, status_table


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
        " record ids come from URLs, so they stay the same across restarts.")] = STABLE_PORT,
) -> None:
    """Crawl every source when it is due, judge its health, raise and send alerts.

    Runs until SIGTERM or Ctrl-C, which let the running crawls finish first."""
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("apscheduler", "httpx"):  # not every job start and every request
        logging.getLogger(chatty).setLevel(logging.WARNING)
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
    with open_store(settings.store) as store:
        rows = status_rows(settings, store)
        store_description = store.describe()
    if as_json:
        typer.echo(json.dumps({"store": store_description, "sources": rows}, indent=2,
                              ensure_ascii=False))
        return
    console = Console()  # made here so it sees the terminal's width
    console.print(f"store: {store_description}", highlight=False)
    console.print(status_table(rows))
