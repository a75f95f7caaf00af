"""For model maintainers: reviewer agreement, model precision as reviewers see it,
disagreements, the uncertain queue, and reviewed records as training data."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from index.query import SearchFilters, SearchQuery
from lurewatch.record import ReviewState
from review_ui.deps import AppDB, Maintainer, StoreDep
from review_ui.forms import Parsed
from review_ui.services import exports, quality
from review_ui.templating import render

router = APIRouter(prefix="/maintain")
DEFAULT_THRESHOLD = 0.5


@router.get("/agreement")
def agreement(request: Request, user: Maintainer, store: StoreDep) -> Response:
    records = quality.reviewed(store)
    return render(request, "agreement.html", page_title="Reviewer agreement",
                  agreement=quality.agreement(records),
                  precision=quality.precision(records), reviewed=len(records))


@router.get("/disagreements")
def disagreements(request: Request, user: Maintainer, store: StoreDep) -> Response:
    return render(request, "disagreements.html", page_title="Disagreements",
                  items=quality.disagreements(quality.reviewed(store)))


@router.get("/uncertain")
def uncertain(request: Request, user: Maintainer, store: StoreDep) -> Response:
    """Unreviewed records scored near the decision threshold: the ones a label teaches
    the model most (active learning)."""
    parsed = Parsed()
    threshold = parsed.number(request.query_params, "threshold")
    band = parsed.number(request.query_params, "band")
    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    band = 0.1 if band is None else band
    result = store.search(SearchQuery(
        filters=SearchFilters(review_states=(ReviewState.unreviewed.value,),
                              score_min=max(0.0, threshold - band),
                              score_max=min(1.0, threshold + band)),
        sort="score", size=100, facets=(), highlight=False))
    hits = sorted(result.hits, key=lambda h: abs((h.record.risk_score or 0) - threshold))
    return render(request, "uncertain.html", page_title="Uncertain queue", hits=hits,
                  total=result.total, threshold=threshold, band=band, errors=parsed.errors)


@router.get("/training-data.jsonl")
def training_data(user: Maintainer, store: StoreDep, db: AppDB) -> Response:
    db.audit(user.username, "export", "training data", "reviewed records as JSON lines")

    def lines() -> Iterator[str]:
        yield from exports.training_rows(store)

    return StreamingResponse(lines(), media_type="application/x-ndjson", headers={
        "Content-Disposition": 'attachment; filename="lurewatch-reviewed.jsonl"'})
