"""The bulk view: many queue records at once, one decision for the ones selected."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from review_ui.deps import AppDB, StoreDep, Triager
from review_ui.errors import Refused
from review_ui.forms import Parsed, parse_row_id, queue_filters
from review_ui.services import triage
from review_ui.templating import render

router = APIRouter(prefix="/bulk")


@router.get("")
def bulk_view(request: Request, user: Triager, store: StoreDep, db: AppDB) -> Response:
    parsed = Parsed()
    filters = queue_filters(request.query_params, parsed)
    result = triage.queue_page(store, db, filters, size=triage.BULK_PAGE_SIZE)
    return render(request, "bulk.html", page_title="Bulk review", result=result,
                  filters=filters, errors=parsed.errors, actions=triage.ACTIONS,
                  outcome=None)


@router.post("")
def bulk_decide(request: Request, user: Triager, store: StoreDep, db: AppDB,
                action: Annotated[str, Form()],
                selected: Annotated[list[str] | None, Form()] = None,
                note: Annotated[str, Form(max_length=4000)] = "") -> Response:
    versions: dict[str, int] = {}
    for item in selected or []:
        record_id, _, raw_version = item.rpartition(":")
        version = parse_row_id(raw_version)
        if not record_id or version is None:
            raise Refused(400, f"malformed selection {item[:200]!r}: expected "
                          "record-id:version, the version a whole number", link="/bulk")
        versions[record_id] = version
    if not versions:
        raise Refused(400, "Select at least one record.",
                      link="/bulk")
    try:
        outcome = triage.decide_many(store, db, user, action, versions, note)
    except triage.DecisionError as exc:
        raise Refused(400, str(exc), link="/bulk") from exc
    result = triage.queue_page(store, db, triage.QueueFilters(), size=triage.BULK_PAGE_SIZE)
    return render(request, "bulk.html", page_title="Bulk review", result=result,
                  filters=triage.QueueFilters(), errors=[], actions=triage.ACTIONS,
                  outcome=outcome)
