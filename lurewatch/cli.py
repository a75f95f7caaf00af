"""The ``lurewatch`` command line.

Each component keeps its commands in its own module and they are mounted here, so this
file only wires. Every command turns expected failures (:class:`UserError` and the
errors it wraps) into one red line and exit status 2, never a traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from index.base import StoreError
from lurewatch.config import ConfigError

app = typer.Typer(
    name="lurewatch",
    help="Find deceptive recruitment (TIP) and migrant-smuggling offers (SOM) in public ads.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


class UserError(Exception):
    """A mistake in what the user asked for: printed as one line, exit status 2."""


EXPECTED_ERRORS: tuple[type[BaseException], ...] = (UserError, ConfigError, StoreError)


def one_line_errors(func: F) -> F:
    """Wrap a command so expected errors print one line and exit 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except EXPECTED_ERRORS as exc:
            err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def command(target: typer.Typer = app, name: str | None = None, **kwargs: Any) -> Callable[[F], F]:
    """Register ``func`` as a command of ``target`` with one-line error handling."""

    def register(func: F) -> F:
        target.command(name=name, **kwargs)(one_line_errors(func))
        return func

    return register


def _mount_components() -> None:
    # Imported here, not at module top, so each component registers on the finished app.
    from lurewatch import commands  # noqa: F401


_mount_components()
