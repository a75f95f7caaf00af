"""The API's own OpenAPI schema and its interactive docs, for signed-in users only.

The schema covers the API routes alone (the pages have none) and is built once per
application, when first asked for."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts

from review_ui.api.deps import ApiReader
from review_ui.deps import API_PREFIX, Reader
from review_ui.templating import render

router = APIRouter(tags=["docs"])
DESCRIPTION = (
    "Lurewatch's records, decisions, pivots, campaigns, cases, alerts, sources and models. "
    "Authenticate with `Authorization: Bearer <token>` (a token from `lurewatch token "
    "create --user NAME`); a token acts with its owner's role. Signed-in browsers may read "
    "with their session; decisions take a token only.")


def api_schema(app: FastAPI) -> dict[str, Any]:
    schema: dict[str, Any] | None = getattr(app.state, "api_openapi", None)
    if schema is None:
        routes = [ctx for ctx in iter_route_contexts(app.routes)
                  if (ctx.path or "").startswith(API_PREFIX + "/")]
        schema = get_openapi(title="Lurewatch API", version="1", description=DESCRIPTION,
                             routes=routes)
        app.state.api_openapi = schema
    return schema


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, user: ApiReader) -> JSONResponse:
    return JSONResponse(api_schema(request.app))


def operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation of ``schema`` as the docs page lists it."""
    return [{"method": method.upper(), "path": path, "summary": op.get("summary", ""),
             "description": op.get("description", ""),
             "parameters": [{"name": p["name"], "in": p["in"], "required": p.get("required")}
                            for p in op.get("parameters", [])]}
            for path, methods in schema["paths"].items() for method, op in methods.items()]


@router.get("/docs", include_in_schema=False)
def docs(request: Request, user: Reader) -> Response:
    """Every call with a form to try the reads (with the session: ``ApiCheck``)."""
    return render(request, "api_docs.html", page_title="API",
                  operations=operations(api_schema(request.app)),
                  schema_url=f"{API_PREFIX}/openapi.json")
