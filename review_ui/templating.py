"""The one template environment: autoescaping always on, for every template and string.

Crawled text is hostile, so nothing in the templates is ever marked safe; highlighted
text is rendered from segments (see ``review_ui.highlight``), each escaped on its own.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from review_ui.access import Permission, allows
from review_ui.appdb.accounts import User

TEMPLATE_DIR = Path(__file__).parent / "templates"

# (label, path, permission) for the navigation bar; links a role may not use are hidden.
NAV = (
    ("Queue", "/queue", Permission.triage),
    ("My queue", "/queue/mine", Permission.triage),
    ("Bulk", "/bulk", Permission.triage),
    ("Second look", "/queue/second", Permission.triage),
    ("Search", "/search", Permission.read),
    ("Trends", "/trends", Permission.read),
    ("Alerts", "/alerts", Permission.read),
    ("Watchlists", "/watchlists", Permission.read),
    ("Sources", "/sources", Permission.read),
    ("Cases", "/cases", Permission.investigate),
    ("Quality", "/maintain/agreement", Permission.maintain),
    ("Uncertain", "/maintain/uncertain", Permission.maintain),
    ("Models", "/models", Permission.maintain),
    ("Users", "/admin/users", Permission.administer),
    ("Audit log", "/admin/audit", Permission.administer),
)


def http_url(url: str | None) -> str | None:
    """The URL if it is http(s), else None: a crawled ``javascript:`` link never becomes a href."""
    if url and urlsplit(url).scheme in ("http", "https"):
        return url
    return None


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def score(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "—"


def with_query(request: Request, _path: str | None = None, **changes: Any) -> str:
    """The current URL (or ``_path``) with some query parameters replaced (None removes
    one)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    for key, value in changes.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            params.extend((key, str(v)) for v in value)
        else:
            params.append((key, str(value)))
    return f"{_path or request.url.path}?{urlencode(params)}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(http_url=http_url, when=when, score=score)
    env.globals.update(with_query=with_query)
    return env


templates = Jinja2Templates(env=_environment())


def render(request: Request, name: str, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    user: User | None = getattr(request.state, "user", None)
    nav = [(label, path) for label, path, perm in NAV if user and allows(user.role, perm)]
    ctx = request.app.state.ctx
    context.setdefault("page_title", "")
    reviewed_today = (ctx.db.reviews_today(user.username)
                      if user and allows(user.role, Permission.triage) else None)
    return templates.TemplateResponse(
        request, name,
        {"user": user, "nav": nav, "csrf_token": request.state.csrf_token,
         "break_after": ctx.settings.review.break_after, "reviewed_today": reviewed_today,
         **context},
        status_code=status_code,
    )
