"""How the application answers what went wrong: one handler per kind of failure, each
rendering the error page (with the security headers every page gets) and a status."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse

from index.errors import ConflictError, NotFoundError, StoreUnavailableError
from review_ui.deps import CSRFError, Forbidden, LoginRequired
from review_ui.templating import render


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

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
