"""Pivot pages: every record sharing a phone, handle, e-mail, employer or cluster, with a
timeline."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from index.query import PIVOT_KINDS, SearchFilters
from review_ui.deps import AppDB, Reader, StoreDep
from review_ui.errors import Refused
from review_ui.services import charts
from review_ui.templating import render

router = APIRouter(prefix="/pivot")
FILTER_FOR = {"phone": "phones", "handle": "handles", "email": "emails",
              "employer": "employers", "cluster": "cluster_ids"}
MAX_RECORDS = 500
MAX_AUDITED_VALUE = 500  # characters of the pivot kept in its audit entry


@router.get("")
def pivot(request: Request, user: Reader, store: StoreDep, db: AppDB, kind: str = "phone",
          value: str = "") -> Response:
    if kind not in PIVOT_KINDS or not value.strip():
        raise Refused(400, (
            f"A pivot needs a kind ({', '.join(PIVOT_KINDS)}) and a value."))
    value = value.strip()
    result = store.pivot(kind, value, size=MAX_RECORDS)
    db.audit(user.username, "pivot", f"{kind} {value}"[:MAX_AUDITED_VALUE],
             f"{result.total} records")
    timeline = store.trends(SearchFilters(**{FILTER_FOR[kind]: (value,)}), "label", "week")
    return render(request, "pivot.html", page_title=f"{kind}: {value}", kind=kind,
                  value=value, result=result, chart=charts.line_chart(timeline),
                  max_records=MAX_RECORDS)
