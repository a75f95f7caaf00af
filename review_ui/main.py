"""The application factory: ``create_app(settings, store)``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from index.base import Store
from index.errors import ConflictError, NotFoundError, StoreUnavailableError
from lurewatch.config import Settings
from review_ui.appdb import ReviewDB
from review_ui.deps import AppContext, CSRFError, Forbidden, LoginRequired, verify_csrf
from review_ui.routes import ROUTERS
from review_ui.security import CookieNames, new_token
from review_ui.templating import render

STATIC_DIR = Path(__file__).parent / "static"

# No inline script or style anywhere: scripts and styles come from /static only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def review_db_path(settings: Settings) -> Path:
    return settings.data_dir / "review.db"


def create_app(settings: Settings, store: Store, db: ReviewDB | None = None) -> FastAPI:
    """The review application over ``store``; accounts and claims live in ``db``
    (by default ``settings.data_dir / "review.db"``)."""
    app = FastAPI(title="Lurewatch review", docs_url=None, redoc_url=None,
                  openapi_url=None, dependencies=[Depends(verify_csrf)])
    cookies = CookieNames.for_(settings.review.secure_cookies)
    db = db or ReviewDB(review_db_path(settings))
    db.interrupt_training_runs()  # a run this process did not start cannot be followed
    app.state.ctx = AppContext(settings=settings, store=store, db=db, cookies=cookies)

    @app.middleware("http")
    async def security_headers(request: Request,
                               call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        existing = request.cookies.get(cookies.csrf)
        request.state.csrf_token = existing or new_token()
        request.state.user = None
        response = await call_next(request)
        sets_csrf = any(h.startswith(f"{cookies.csrf}=")
                        for h in response.headers.getlist("set-cookie"))
        if not existing and not sets_csrf:
            response.set_cookie(cookies.csrf, request.state.csrf_token, httponly=True,
                                samesite="strict", secure=settings.review.secure_cookies,
                                path="/")
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        target = "/login?next=" + quote(request.url.path + (
            f"?{request.url.query}" if request.url.query else ""), safe="")
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        if request.method != "GET":
            return render(request, "error.html", 401, message="Your session has ended. "
                          "Log in again; nothing was changed.")
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return render(request, "error.html", 403, message=str(exc))

    @app.exception_handler(CSRFError)
    async def csrf_failed(request: Request, exc: CSRFError) -> Response:
        return render(request, "error.html", 403, message="The form was stale or came from "
                      "another site (CSRF check failed). Reload the page and try again.")

    @app.exception_handler(ConflictError)
    async def conflict(request: Request, exc: ConflictError) -> Response:
        return render(request, "error.html", 409, message=(
            "Someone else changed this record while you had it open "
            f"(you saw version {exc.expected}, it is now at version {exc.actual}). "
            "Your decision was not applied. Open the record again to see theirs."),
            link=f"/records/{exc.record_id}")

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or 'request'}: {e['msg']}"
            for e in exc.errors())
        return render(request, "error.html", 400, message=f"Bad request: {problems}")

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        return render(request, "error.html", 404, message=str(exc))

    @app.exception_handler(StoreUnavailableError)
    async def store_unavailable(request: Request, exc: StoreUnavailableError) -> Response:
        return render(request, "error.html", 503, message=(
            "The record store is not answering just now, so this page cannot be shown and "
            "nothing was changed. Try again in a minute; if it goes on, tell an admin."))

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)
    return app
