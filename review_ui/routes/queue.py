"""The triage queue, "my queue", and claiming the next record."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import QueryParams

from review_ui.deps import AppDB, FacetCacheDep, SettingsDep, StoreDep, Triager
from review_ui.forms import Parsed, queue_filters
from review_ui.services import triage
from review_ui.templating import render

router = APIRouter(prefix="/queue")


@router.get("")
def queue(request: Request, user: Triager, store: StoreDep, db: AppDB) -> Response:
    parsed = Parsed()
    filters = queue_filters(request.query_params, parsed)
    page = parsed.page(request.query_params, triage.QUEUE_PAGE_SIZE)
    result = triage.queue_page(store, db, filters, size=triage.QUEUE_PAGE_SIZE,
                               offset=(page - 1) * triage.QUEUE_PAGE_SIZE)
    return render(request, "queue.html", page_title="Queue", result=result, filters=filters,
                  errors=parsed.errors, page=page, page_size=triage.QUEUE_PAGE_SIZE,
                  query=request.url.query, message=request.query_params.get("message"))


@router.get("/facets")
def facets(request: Request, user: Triager, store: StoreDep,
           cache: FacetCacheDep) -> Response:
    """The queue's facet counts, loaded after the queue itself (they cost the most)."""
    filters = queue_filters(request.query_params, Parsed())
    return render(request, "_queue_facets.html", facets=triage.queue_facets(store, cache, filters))


@router.get("/mine")
def mine(request: Request, user: Triager, store: StoreDep, db: AppDB) -> Response:
    return render(request, "my_queue.html", page_title="My queue",
                  claimed=triage.my_queue(store, db, user),)


@router.get("/second")
def second_look(request: Request, user: Triager, store: StoreDep) -> Response:
    """Decided records offered for an independent second review (reviewer agreement)."""
    return render(request, "second_look.html", page_title="Second look",
                  records=triage.second_look(store, user),
                  one_in=triage.SECOND_LOOK_ONE_IN)


@router.post("/next")
def take_next(request: Request, user: Triager, store: StoreDep, db: AppDB,
              settings: SettingsDep, query: Annotated[str, Form()] = "",
              after: Annotated[str, Form()] = "") -> RedirectResponse:
    """Claim the next record nobody holds (in the queue order ``query`` asks for) and open it."""
    filters = queue_filters(QueryParams(query), Parsed())
    ad = triage.next_record(store, db, settings, user, filters, skip=[after] if after else [])
    if ad is None:
        return RedirectResponse(f"/queue?message=empty&{query}", status_code=303)
    back = {"prev": after} if after else {}
    return RedirectResponse(f"/records/{ad.id}?{urlencode({'queue': query, **back})}",
                            status_code=303)
