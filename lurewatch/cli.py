"""The ``lurewatch`` command line.

Each component keeps its commands in its own module; :func:`load_commands` imports the
modules named in :data:`COMMAND_MODULES` (as Scrapy finds commands from
``COMMANDS_MODULE``), and each registers its commands on :data:`app` with
:func:`command`. So the core knows the components only by name, and the components
import the core, never the other way round. Every command turns expected failures
(:class:`~lurewatch.errors.LurewatchError` and its kinds) into one red line and exit
status 2, never a traceback.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from lurewatch.errors import LurewatchError

COMMAND_MODULES = (
    "index.commands",  # search, show, reindex, spool drain, kibana import
    "classifiers.commands",  # classify, evaluate, rescore
    "classifiers.campaign_commands",  # cluster rebuild|template, campaigns list|show
    "classifiers.transformer.commands",  # model …, train, dataset …
    "crawlers.commands",  # demo, crawl, parse
    "crawlers.archive_commands",  # archive verify|prune
    "monitor.commands",  # monitor, status
    "review_ui.commands",  # serve, user add
)

app = typer.Typer(
    name="lurewatch",
    help="Find deceptive recruitment (TIP) and migrant-smuggling offers (SOM) in public ads.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(func: F) -> F:
    """Wrap a command so expected errors print one line and exit 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except LurewatchError as exc:
            err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def command(target: typer.Typer = app, name: str | None = None, **kwargs: Any) -> Callable[[F], F]:
    """Register ``func`` as a command of ``target`` with one-line error handling."""

    def register(func: F) -> F:
        target.command(name=name, **kwargs)(one_line_errors(func))
        return func

    return register


def load_commands(modules: tuple[str, ...] = COMMAND_MODULES) -> typer.Typer:
    """The app with every component's commands registered (importing a module twice
    registers nothing twice: Python imports it once)."""
    for module in modules:
        importlib.import_module(module)
    return app


def main() -> None:
    """The ``lurewatch`` console script and ``python -m lurewatch``."""
    load_commands()()
