"""Dependencies that handlers declare, as ``Annotated`` aliases so signatures read plainly:
``def queue(user: Triager, store: StoreDep, db: AppDB)``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from index.base import Store
from index.errors import NotFoundError
from lurewatch.config import Settings
from lurewatch.record import Ad
from review_ui.access import Permission, allows
from review_ui.appdb import ReviewDB
from review_ui.appdb.accounts import User
from review_ui.appdb.cases import Case
from review_ui.forms import RowId
from review_ui.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    CookieNames,
    foreign_origin,
    origin_of,
    session_csrf_token,
    token_hash,
    tokens_match,
)
from review_ui.services.facets import FacetCache

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_PREFIX = "/api/v1"
FORBIDDEN_AUDIT_WINDOW_S = 60


@dataclass
class AppContext:
    """What the application holds for its lifetime (``app.state.ctx``)."""

    settings: Settings
    store: Store
    db: ReviewDB
    cookies: CookieNames
    facet_cache: FacetCache = field(default_factory=FacetCache)


class LoginRequired(Exception):
    """No valid session: pages redirect to the login form."""


class Forbidden(Exception):
    """Logged in, but the role does not allow this."""

    def __init__(self, user: User, permission: Permission) -> None:
        super().__init__(f"your role ({user.role}) may not do this ({permission.value})")


class CSRFError(Exception):
    """A state-changing request without the right CSRF token."""


def get_ctx(request: Request) -> AppContext:
    return request.app.state.ctx  # type: ignore[no-any-return]


Ctx = Annotated[AppContext, Depends(get_ctx)]


def get_store(ctx: Ctx) -> Store:
    return ctx.store


def get_db(ctx: Ctx) -> ReviewDB:
    return ctx.db


def get_settings(ctx: Ctx) -> Settings:
    return ctx.settings


def get_facet_cache(ctx: Ctx) -> FacetCache:
    return ctx.facet_cache


StoreDep = Annotated[Store, Depends(get_store)]
FacetCacheDep = Annotated[FacetCache, Depends(get_facet_cache)]
AppDB = Annotated[ReviewDB, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_record(record_id: str, store: StoreDep) -> Ad:
    """The record a route's ``{record_id}`` names (404 when there is none)."""
    ad = store.get(record_id)
    if ad is None:
        raise NotFoundError(f"no record has id {record_id}")
    return ad


def get_case(case_id: RowId, db: AppDB) -> Case:
    """The case a route's ``{case_id}`` names (404 when there is none)."""
    case = db.get_case(case_id)
    if case is None:
        raise NotFoundError(f"no case has id {case_id}")
    return case


RecordDep = Annotated[Ad, Depends(get_record)]
CaseDep = Annotated[Case, Depends(get_case)]


def session_user(request: Request, ctx: AppContext) -> User | None:
    token = request.cookies.get(ctx.cookies.session)
    return ctx.db.session_user(token_hash(token)) if token else None


class PermissionCheck:
    """The dependency every route declares: who may call it. The role-matrix test finds
    these by type, so it can tell a route that has one from a route that has none. A
    refusal (403) is an audit event."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    def __call__(self, request: Request, ctx: Ctx) -> User | None:
        return self.authorise(request, ctx, session_user(request, ctx))

    def authorise(self, request: Request, ctx: AppContext, user: User | None) -> User | None:
        """``user`` if this permission lets them through (however they signed in)."""
        request.state.user = user
        if self.permission is Permission.public:
            return user
        if user is None:
            raise LoginRequired()
        if not allows(user.role, self.permission):
            # Recorded like a CSRF refusal: a run of these is someone probing past
            # their role, which an admin should be able to see; once a minute per route
            # is enough to see it, and a loop cannot fill the log.
            ctx.db.audit_once_per(FORBIDDEN_AUDIT_WINDOW_S, user.username, "forbidden",
                                  f"{request.method} {request.url.path}",
                                  f"role {user.role} lacks {self.permission.value}")
            raise Forbidden(user, self.permission)
        return user


_checks = {p: PermissionCheck(p) for p in Permission}


def require(permission: Permission) -> PermissionCheck:
    return _checks[permission]


Public = Annotated[User | None, Depends(require(Permission.public))]
Reader = Annotated[User, Depends(require(Permission.read))]
Triager = Annotated[User, Depends(require(Permission.triage))]
Investigator = Annotated[User, Depends(require(Permission.investigate))]
Maintainer = Annotated[User, Depends(require(Permission.maintain))]
Admin = Annotated[User, Depends(require(Permission.administer))]


async def verify_csrf(request: Request, ctx: Ctx) -> None:
    """Applied to every route. A state-changing request must come from this site's pages
    (:func:`~review_ui.security.foreign_origin`) and repeat the CSRF token in the
    ``csrf_token`` form field or the ``X-CSRF-Token`` header: the session's token once
    logged in, the CSRF cookie's before. Pages render the same token. A refusal is an
    audit event."""
    session = request.cookies.get(ctx.cookies.session)
    expected = session_csrf_token(session) if session else request.cookies.get(ctx.cookies.csrf)
    if session:
        request.state.csrf_token = expected
    # An API call without a session cookie carries no credential a browser adds on its
    # own (the API's state-changing routes take bearer tokens only: review_ui/api/deps.py),
    # so there is nothing to forge; with the cookie it is checked like any form.
    if request.method in SAFE_METHODS or (session is None and is_api_call(request)):
        return
    own_origins = {origin_of(str(request.base_url)), origin_of(ctx.settings.review.base_url)}
    refusal = foreign_origin(request.headers, {o for o in own_origins if o})
    if refusal is None and not tokens_match(expected, await _given_csrf_token(request)):
        refusal = "CSRF token missing or wrong"
    if refusal:
        user = session_user(request, ctx)
        ctx.db.audit(user.username if user else "anonymous", "csrf_refused",
                     f"{request.method} {request.url.path}", refusal)
        raise CSRFError(refusal)


def is_api_call(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX + "/")


async def _given_csrf_token(request: Request) -> str | None:
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        field = form.get(CSRF_FIELD)
        given = field if isinstance(field, str) else None
    return given
