"""Full-text search with filters, facet counts and highlighted matches."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import QueryParams

from index.query import FACET_FIELDS
from review_ui.access import Permission, allows
from review_ui.deps import AppDB, FacetCacheDep, Reader, StoreDep
from review_ui.forms import Parsed
from review_ui.highlight import fragment_segments
from review_ui.services.search import SORTS, SearchRequest, run_search
from review_ui.templating import render

router = APIRouter(prefix="/search")
PAGE_SIZE = 25
MAX_AUDITED_QUERY = 2000  # characters of the query string kept in its audit entry


@router.get("")
def search(request: Request, user: Reader, store: StoreDep, db: AppDB,
           cache: FacetCacheDep) -> Response:
    params = request.query_params
    parsed = Parsed()
    wanted = SearchRequest.from_params(params, parsed, PAGE_SIZE)
    result = run_search(store, cache, wanted)
    db.audit(user.username, "search", str(params)[:MAX_AUDITED_QUERY],
             f"{result.total} results")
    highlights = {
        hit.record.id: {field: [fragment_segments(f) for f in fragments]
                        for field, fragments in hit.highlights.items()}
        for hit in result.hits
    }
    can_investigate = allows(user.role, Permission.investigate)
    return render(request, "search.html", page_title="Search", result=result,
                  text=wanted.text, highlights=highlights, errors=parsed.errors,
                  sort=wanted.sort, sorts=SORTS, page=wanted.page, page_size=PAGE_SIZE,
                  selected=_selected(params), cases=db.cases() if can_investigate else [],
                  can_investigate=can_investigate)


def _selected(params: QueryParams) -> dict[str, set[str]]:
    """Facet values currently filtered on, to show them ticked."""
    return {name: set(params.getlist(name)) for name in FACET_FIELDS}
