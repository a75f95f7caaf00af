"""The application factory: ``create_app(settings, store)``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import Depends, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from index.base import Store
from lurewatch.config import Settings
from monitor.watchlists import review_db_path  # the monitor reads watchlists there
from review_ui.api import token_admin
from review_ui.api.routes import router as api_router
from review_ui.appdb import ReviewDB
from review_ui.deps import AppContext, verify_csrf
from review_ui.errors import install_error_handlers
from review_ui.routes import ROUTERS
from review_ui.security import CookieNames, add_security_headers, new_token

STATIC_DIR = Path(__file__).parent / "static"


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
        add_security_headers(response)
        return response

    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(api_router)
    app.include_router(token_admin.router)
    return app
