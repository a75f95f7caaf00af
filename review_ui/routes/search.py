"""Full-text search with filters, facet counts and highlighted matches."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import QueryParams

from index.query import FACET_FIELDS, SearchQuery
from review_ui.access import Permission, allows
from review_ui.deps import AppDB, FacetCacheDep, Reader, StoreDep
from review_ui.forms import Parsed, search_filters
from review_ui.highlight import fragment_segments
from review_ui.templating import render

router = APIRouter(prefix="/search")
PAGE_SIZE = 25
SORTS = ("relevance", "newest", "score", "age")


@router.get("")
def search(request: Request, user: Reader, store: StoreDep, db: AppDB,
           cache: FacetCacheDep) -> Response:
    params = request.query_params
    parsed = Parsed()
    filters = search_filters(params, parsed)
    sort = parsed.choice(params, "sort", SORTS, "relevance")
    page = parsed.page(params, PAGE_SIZE)
    text = params.get("q", "").strip()[:500]
    facets_key = ("search", text, filters)
    cached = cache.get(facets_key)
    result = store.search(SearchQuery(text=text, filters=filters, sort=sort,  # type: ignore[arg-type]
                                      size=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
                                      facets=() if cached else FACET_FIELDS, highlight=True))
    if cached:
        result.facets = cached
    else:
        cache.put(facets_key, result.facets)
    highlights = {
        hit.record.id: {field: [fragment_segments(f) for f in fragments]
                        for field, fragments in hit.highlights.items()}
        for hit in result.hits
    }
    can_investigate = allows(user.role, Permission.investigate)
    return render(request, "search.html", page_title="Search", result=result, text=text,
                  highlights=highlights, errors=parsed.errors, sort=sort, sorts=SORTS,
                  page=page, page_size=PAGE_SIZE, selected=_selected(params),
                  cases=db.cases() if can_investigate else [],
                  can_investigate=can_investigate)


def _selected(params: QueryParams) -> dict[str, set[str]]:
    """Facet values currently filtered on, to show them ticked."""
    return {name: set(params.getlist(name)) for name in FACET_FIELDS}
