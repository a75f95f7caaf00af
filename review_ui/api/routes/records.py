"""Records: search (the search page's filters and facets), one record, its history, and
decisions under the pages' optimistic-concurrency rule."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from lurewatch.record import Ad
from review_ui.api.deps import ApiReader, ApiTriager
from review_ui.api.schemas import DecisionCreate, HistoryEntryPublic, HitPublic, SearchPublic
from review_ui.deps import AppDB, FacetCacheDep, RecordDep, StoreDep
from review_ui.errors import Refused
from review_ui.forms import Parsed
from review_ui.services import triage
from review_ui.services.search import SORTS, SearchRequest, run_search

router = APIRouter(prefix="/records", tags=["records"])
MAX_PAGE_SIZE = 100


def _query_parameter(name: str, description: str, *, many: bool = False,
                     choices: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"} | ({"enum": list(choices)} if choices else {})
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": "array", "items": schema} if many else schema}


# The search page's query string, read by the same code (``SearchRequest.from_params``),
# so it is described here rather than declared as arguments.
SEARCH_PARAMETERS = [
    _query_parameter("q", "full-text query"),
    *(_query_parameter(name, f"only these {what} (repeatable)", many=True) for name, what in (
        ("label", "risk labels"), ("indicator", "indicator ids"), ("language", "languages"),
        ("source", "sources"), ("country", "countries"), ("review_state", "review states"))),
    _query_parameter("score_min", "lowest risk score, 0 to 1"),
    _query_parameter("score_max", "highest risk score, 0 to 1"),
    _query_parameter("from", "posted on or after, YYYY-MM-DD"),
    _query_parameter("to", "posted on or before, YYYY-MM-DD"),
    _query_parameter("sort", "order of the hits", choices=SORTS),
    _query_parameter("page", "page number from 1"),
]


@router.get("", response_model=SearchPublic,
            openapi_extra={"parameters": SEARCH_PARAMETERS})
def search_records(request: Request, user: ApiReader, store: StoreDep, cache: FacetCacheDep,
                   page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 25,
                   ) -> SearchPublic:
    """Full-text search with the search page's filters and facet counts; a bad value is a
    400 naming it (the page shows it and ignores the value)."""
    parsed = Parsed()
    wanted = SearchRequest.from_params(request.query_params, parsed, page_size)
    if parsed.errors:
        raise Refused(400, "; ".join(parsed.errors))
    result = run_search(store, cache, wanted)
    return SearchPublic(total=result.total, page=wanted.page, page_size=page_size,
                        hits=[HitPublic(record=h.record, highlights=h.highlights)
                              for h in result.hits], facets=result.facets)


@router.get("/{record_id}", response_model=Ad)
def get_record(user: ApiReader, ad: RecordDep) -> Ad:
    return ad


@router.get("/{record_id}/history", response_model=list[HistoryEntryPublic])
def record_history(user: ApiReader, ad: RecordDep, store: StoreDep) -> list[HistoryEntryPublic]:
    """Every attempt to change the record's review state, refused ones included."""
    return [HistoryEntryPublic.model_validate(entry) for entry in store.history(ad.id)]


@router.post("/{record_id}/decisions", response_model=Ad,
             responses={409: {"description": "the record changed since `version`"}})
def decide(record_id: str, decision: DecisionCreate, user: ApiTriager, store: StoreDep,
           db: AppDB) -> Ad:
    """Decide on a record as the focus view does; answers the record as it is now."""
    try:
        return triage.decide(store, db, user, record_id, decision.action.value,
                             decision.version, decision.note, decision.indicators)
    except triage.DecisionError as exc:
        raise Refused(400, str(exc)) from exc
