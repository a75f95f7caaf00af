"""How the application answers what went wrong. Every failure, whatever raised it, goes
through one handler, :func:`answer_failure`, and one renderer, :func:`error_page`: the
error page (a JSON body for the JSON exports) with the security headers every answer
carries. That includes a 500, which Starlette answers outside the middleware that sets
those headers on everything else, and the 404/405 Starlette raises for unknown paths."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from index.errors import ConflictError, NotFoundError, StoreUnavailableError
from review_ui.deps import CSRFError, Forbidden, LoginRequired, is_api_call
from review_ui.security import add_security_headers
from review_ui.templating import render

# Routes whose answer is JSON (the exports, the API) answer their errors in JSON too, so
# a script reading one gets a body it can parse.
JSON_SUFFIXES = (".json", ".jsonl")


class Refused(Exception):
    """A request a route will not carry out, answered with ``status`` and ``message``
    (and a link back to where the user came from)."""

    def __init__(self, status: int, message: str, link: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.link = link


@dataclass(frozen=True)
class Failure:
    status: int
    message: str
    link: str | None = None


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.url.path.endswith(JSON_SUFFIXES) or is_api_call(request) or (
        "application/json" in accept and "text/html" not in accept)


def error_page(request: Request, status: int, message: str,
               link: str | None = None) -> Response:
    """The answer for any 4xx/5xx: the error page, or ``{"error", "status"}`` in JSON."""
    if wants_json(request):
        response: Response = JSONResponse({"error": message, "status": status}, status)
    else:
        try:
            response = render(request, "error.html", status, message=message, link=link)
        except Exception:  # the page reads the app database, which may be what failed;
            # the user still gets the message, as text
            response = PlainTextResponse(message, status)
    return add_security_headers(response)


def describe(exc: Exception) -> Failure:
    """The status and message for ``exc``; anything unforeseen is a 500 that tells
    nothing of the server's insides."""
    match exc:
        case Refused():
            return Failure(exc.status, exc.message, exc.link)
        case Forbidden():
            return Failure(403, str(exc))
        case CSRFError():
            return Failure(403, "The form was stale or came from another site (CSRF check "
                           "failed). Reload the page and try again.")
        case LoginRequired():
            return Failure(401, "Your session has ended. Log in again; nothing was changed.")
        case ConflictError():
            return Failure(409, (
                "Someone else changed this record while you had it open "
                f"(you saw version {exc.expected}, it is now at version {exc.actual}). "
                "Your decision was not applied. Open the record again to see theirs."),
                f"/records/{exc.record_id}")
        case RequestValidationError():
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'][1:]) or 'request'}: {e['msg']}"
                for e in exc.errors())
            return Failure(400, f"Bad request: {problems}")
        case NotFoundError():
            return Failure(404, str(exc))
        case StoreUnavailableError():
            return Failure(503, "The record store is not answering just now, so this page "
                           "cannot be shown and nothing was changed. Try again in a minute; "
                           "if it goes on, tell an admin.")
        case StarletteHTTPException():
            return Failure(exc.status_code, str(exc.detail))
    return Failure(500, "The server failed on this request; the details are in its log. "
                   "If it goes on, tell an admin.")


async def answer_failure(request: Request, exc: Exception) -> Response:
    """The one exception handler (see the module docstring)."""
    if isinstance(exc, LoginRequired) and (
            request.method == "GET" or request.headers.get("hx-request")):
        target = "/login?next=" + quote(request.url.path + (
            f"?{request.url.query}" if request.url.query else ""), safe="")
        if request.headers.get("hx-request"):
            redirect = Response(status_code=401, headers={"HX-Redirect": target})
        else:
            redirect = RedirectResponse(target, status_code=303)
        return add_security_headers(redirect)
    failure = describe(exc)
    response = error_page(request, failure.status, failure.message, failure.link)
    if isinstance(exc, StarletteHTTPException) and exc.headers:
        response.headers.update(exc.headers)  # e.g. the Allow header of a 405
    return response


HANDLED = (Refused, Forbidden, CSRFError, LoginRequired, ConflictError, RequestValidationError,
           NotFoundError, StoreUnavailableError, StarletteHTTPException,
           # Starlette hands this one to its outermost middleware, after the response
           # middleware has been left: hence the headers set in error_page itself.
           Exception)


def install_error_handlers(app: FastAPI) -> None:
    """Register :func:`answer_failure` on ``app`` for every kind of failure."""
    for kind in HANDLED:
        app.add_exception_handler(kind, answer_failure)
