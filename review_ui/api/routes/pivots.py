"""Every record sharing a phone, handle, e-mail, employer or cluster, with a timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from index.query import SearchFilters
from review_ui.api.deps import ApiReader
from review_ui.api.schemas import PivotKind, PivotPublic, TrendBucketPublic
from review_ui.deps import StoreDep
from review_ui.errors import Refused
from review_ui.routes.pivots import FILTER_FOR, MAX_RECORDS

router = APIRouter(prefix="/pivots", tags=["pivots"])


@router.get("/{kind}", response_model=PivotPublic)
def pivot(kind: PivotKind, user: ApiReader, store: StoreDep,
          value: Annotated[str, Query(min_length=1, max_length=500)]) -> PivotPublic:
    """Oldest first, at most the pivot page's number of records; weekly counts by label."""
    value = value.strip()
    if not value:
        raise Refused(400, "a pivot needs a value")
    result = store.pivot(kind.value, value, size=MAX_RECORDS)
    timeline = store.trends(SearchFilters(**{FILTER_FOR[kind.value]: (value,)}), "label",
                            "week")
    return PivotPublic(kind=kind.value, value=value, total=result.total,
                       records=[hit.record for hit in result.hits],
                       timeline=[TrendBucketPublic.model_validate(b) for b in timeline])
