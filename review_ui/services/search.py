"""Full-text search as the search page and the API run it: the same query-string filters,
one page of highlighted hits, and facet counts cached per query (:mod:`.facets`)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import QueryParams

from index.base import Store
from index.query import FACET_FIELDS, SearchFilters, SearchQuery, SearchResult, SortOrder
from review_ui.forms import Parsed, search_filters
from review_ui.services.facets import FacetCache

SORTS = ("relevance", "newest", "score", "age")
MAX_TEXT = 500


@dataclass(frozen=True)
class SearchRequest:
    """What a search asks for, read from a query string (``q``, the filters, ``sort``,
    ``page``); bad values are listed in the :class:`Parsed` given and ignored."""

    text: str
    filters: SearchFilters
    sort: SortOrder
    page: int
    page_size: int

    @classmethod
    def from_params(cls, params: QueryParams, parsed: Parsed, page_size: int) -> SearchRequest:
        filters = search_filters(params, parsed)
        sort = parsed.choice(params, "sort", SORTS, "relevance")
        return cls(text=params.get("q", "").strip()[:MAX_TEXT], filters=filters,
                   sort=sort, page=parsed.page(params, page_size),  # type: ignore[arg-type]
                   page_size=page_size)


def run_search(store: Store, cache: FacetCache, wanted: SearchRequest) -> SearchResult:
    """One page of hits with highlights, and the facet counts of the whole result."""
    facets_key = ("search", wanted.text, wanted.filters)
    cached = cache.get(facets_key)
    result = store.search(SearchQuery(
        text=wanted.text, filters=wanted.filters, sort=wanted.sort, size=wanted.page_size,
        offset=(wanted.page - 1) * wanted.page_size,
        facets=() if cached else FACET_FIELDS, highlight=True))
    if cached:
        result.facets = cached
    else:
        cache.put(facets_key, result.facets)
    return result
