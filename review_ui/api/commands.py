"""``lurewatch token create|list|revoke``: personal API tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from lurewatch.cli import app, command
from lurewatch.config import load_settings
from lurewatch.errors import UserError
from review_ui.api.tokens import issue_token
from review_ui.appdb import ReviewDB
from review_ui.forms import SQLITE_MAX_INT
from review_ui.main import review_db_path

token_app = typer.Typer(help="Personal tokens for the review application's API.",
                        no_args_is_help=True)
app.add_typer(token_app, name="token")


def _db() -> ReviewDB:
    return ReviewDB(review_db_path(load_settings()))


@command(token_app, name="create")
def create_token(
    user: Annotated[str, typer.Option("--user", help="The account the token acts for.")],
    expires: Annotated[int | None, typer.Option(
        "--expires", min=1, max=3650, help="Days until it expires (default: never).")] = None,
    name: Annotated[str, typer.Option(help="What the token is for (shown in lists).")] = "",
) -> None:
    """Make a token and print it once (only its hash is kept); it acts with the account's
    role."""
    db = _db()
    account = db.get_user(user)
    if account is None:
        raise UserError(f"no account {user!r}; make it with `lurewatch user add`")
    if account.disabled:
        raise UserError(f"the account {user!r} is disabled")
    token_id, secret = issue_token(db, user, days=expires, name=name.strip()[:200])
    lifetime = f"{expires} days" if expires else "no expiry"
    db.audit("cli", "api_token_created", f"token {token_id}", f"for {user}, {lifetime}")
    typer.echo(secret)
    typer.echo(f"token {token_id} for {user} ({account.role}), {lifetime}; it is shown only "
               f"now. Revoke it with `lurewatch token revoke {token_id}`.", err=True)


@command(token_app, name="list")
def list_tokens(
    user: Annotated[str | None, typer.Option("--user", help="Only this account's.")] = None,
) -> None:
    """Tokens with their owner, expiry, last use and whether revoked (never the secret)."""
    def shown(value: object) -> str:
        return "-" if value is None else f"{value:%Y-%m-%d %H:%M}"

    for token in _db().tokens(user):
        typer.echo(f"{token.id}\t{token.username}\t{token.name or '-'}\tcreated "
                   f"{shown(token.created_at)}\texpires {shown(token.expires_at)}\tlast used "
                   f"{shown(token.last_used_at)}\trevoked {shown(token.revoked_at)}")


@command(token_app, name="revoke")
def revoke_token(
    token_id: Annotated[int, typer.Argument(min=1, max=SQLITE_MAX_INT,
                                             help="The id `token list` shows.")],
) -> None:
    """Revoke a token: calls with it are refused (401) from now on."""
    db = _db()
    if not db.revoke_token(token_id):
        raise UserError(f"no live token has id {token_id}")
    db.audit("cli", "api_token_revoked", f"token {token_id}")
    typer.echo(f"revoked token {token_id}")
