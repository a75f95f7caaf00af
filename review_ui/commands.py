"""``lurewatch serve`` and ``lurewatch user add`` (``lurewatch token …``: review_ui/api)."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated, Any

import typer

from index import open_store
from lurewatch.cli import app, command
from lurewatch.config import Settings, load_settings
from lurewatch.errors import UserError
from review_ui.access import Role
from review_ui.api import commands as token_commands  # noqa: F401  (registers them)
from review_ui.appdb import ReviewDB
from review_ui.appdb.accounts import DuplicateUserError
from review_ui.main import create_app, review_db_path
from review_ui.security import WeakPasswordError, check_new_password, hash_password

user_app = typer.Typer(help="Accounts of the review application.", no_args_is_help=True)
app.add_typer(user_app, name="user")


@command(name="serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (review.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (review.port).")] = None,
) -> None:
    """Serve the review application on the configured store."""
    import uvicorn

    settings = load_settings()
    db = ReviewDB(review_db_path(settings))
    if not db.users():
        raise UserError("no accounts yet: create the first admin with "
                        "`lurewatch user add NAME --role admin`")
    store = open_store(settings.store)
    try:
        uvicorn.run(create_app(settings, store, db), **server_options(settings, host, port))
    finally:
        store.close()


def server_options(settings: Settings, host: str | None, port: int | None) -> dict[str, Any]:
    """uvicorn's options for ``serve``: the client address and scheme are taken from the
    proxy headers only when the connection comes from a ``review.forwarded_allow_ips``
    proxy, so nobody else can pick the address the login limit counts against."""
    trusted = [str(network) for network in settings.review.forwarded_allow_ips]
    return {"host": host or settings.review.host, "port": port or settings.review.port,
            "proxy_headers": bool(trusted), "forwarded_allow_ips": trusted}


@command(user_app, name="add")
def add_user(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="What the account may do.")] = Role.analyst,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input (for scripts).")] = False,
) -> None:
    """Create an account (the first one should be an admin)."""
    if not 2 <= len(username) <= 64 or not all(c.isalnum() or c in "_.@-" for c in username):
        raise UserError("a user name is 2-64 letters, digits or _ . @ -")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"Password for {username}: ")
        if getpass.getpass("Again: ") != password:
            raise UserError("the two passwords differ")
    settings = load_settings()
    db = ReviewDB(review_db_path(settings))
    try:
        check_new_password(password, username)
        db.add_user(username, hash_password(password), role.value)
    except (WeakPasswordError, DuplicateUserError) as exc:
        raise UserError(str(exc)) from None
    db.audit("cli", "user_added", username, role.value)
    typer.echo(f"added {username} ({role.value})")
