"""Cases: records an investigator collects for referral, exported as CSV, JSON or a
printable report, each also redacted (``?redact=1``: contacts and names of people as
pseudonyms of the case, for a partner agency). Every export, and every look at which
pseudonym stands for what, is written to the audit log."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from index.base import Store
from review_ui.appdb import ReviewDB
from review_ui.appdb.cases import Case
from review_ui.deps import AppDB, CaseDep, Investigator, StoreDep
from review_ui.errors import Refused
from review_ui.services import exports, redaction
from review_ui.templating import render

router = APIRouter(prefix="/cases")
Redact = Annotated[bool, Query(description="pseudonymise contacts and names of people")]


@router.get("")
def cases(request: Request, user: Investigator, db: AppDB) -> Response:
    return render(request, "cases.html", page_title="Cases", cases=db.cases())


def existing_records(store: Store, record_ids: list[str]) -> list[str]:
    """``record_ids`` without repeats, refused (400) if any names no record: a case is
    evidence for a referral, so it never lists an id that points at nothing."""
    wanted = list(dict.fromkeys(record_ids))
    unknown = [rid for rid in wanted if store.get(rid) is None]
    if unknown:
        shown = ", ".join(repr(rid[:80]) for rid in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise Refused(400, f"No record has the id {shown}{more}; nothing was added.")
    return wanted


@router.post("")
def create_case(user: Investigator, store: StoreDep, db: AppDB,
                name: Annotated[str, Form(max_length=200)],
                record_ids: Annotated[list[str] | None, Form()] = None) -> Response:
    if not name.strip():
        raise Refused(400, "A case needs a name.", link="/cases")
    # Checked before the case exists, so a refused request leaves no empty case behind.
    members = existing_records(store, record_ids or [])
    case_id = db.add_case(name.strip(), user.username, members)
    db.audit(user.username, "case_created", f"case {case_id}", name.strip())
    if members:
        db.audit(user.username, "case_records_added", f"case {case_id}", " ".join(members))
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.get("/{case_id}")
def case_view(request: Request, user: Investigator, case: CaseDep, store: StoreDep,
              db: AppDB) -> Response:
    return render(request, "case.html", page_title=case.name, case=case,
                  items=exports.case_records(store, db, case.id), pseudonyms=None)


@router.get("/{case_id}/pseudonyms")
def case_pseudonyms(request: Request, user: Investigator, case: CaseDep, store: StoreDep,
                    db: AppDB) -> Response:
    """The case page with which pseudonym of its redacted exports stands for what."""
    pseudonyms = db.case_pseudonyms(case.id)
    db.audit(user.username, "pseudonyms_viewed", f"case {case.id}",
             f"{len(pseudonyms)} pseudonyms")
    return render(request, "case.html", page_title=case.name, case=case,
                  items=exports.case_records(store, db, case.id), pseudonyms=pseudonyms)


@router.post("/{case_id}/records")
def add_records(user: Investigator, case: CaseDep, store: StoreDep, db: AppDB,
                record_ids: Annotated[list[str], Form()]) -> RedirectResponse:
    members = existing_records(store, record_ids)
    db.add_to_case(case.id, members, user.username)
    db.audit(user.username, "case_records_added", f"case {case.id}", " ".join(members))
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


def export_items(username: str, case: Case, store: Store, db: ReviewDB, form: str,
                 redact: bool) -> list[exports.CaseRecord]:
    """The case's records for one export, pseudonymised when ``redact``, the export
    audited."""
    items = exports.case_records(store, db, case.id)
    if redact:
        items = redaction.redact_case(items, partial(db.assign_pseudonyms, case.id))
    db.audit(username, "export", f"case {case.id}",
             f"{form}, {len(items)} records" + (", redacted" if redact else ""))
    return items


def attachment(case: Case, redact: bool, extension: str) -> dict[str, str]:
    name = f"lurewatch-case-{case.id}{'-redacted' if redact else ''}.{extension}"
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/{case_id}/export.csv")
def export_csv(user: Investigator, case: CaseDep, store: StoreDep, db: AppDB,
               redact: Redact = False) -> Response:
    items = export_items(user.username, case, store, db, "csv", redact)
    return Response(exports.case_csv(items), media_type="text/csv; charset=utf-8",
                    headers=attachment(case, redact, "csv"))


@router.get("/{case_id}/export.json")
def export_json(user: Investigator, case: CaseDep, store: StoreDep, db: AppDB,
                redact: Redact = False) -> Response:
    items = export_items(user.username, case, store, db, "json", redact)
    return Response(exports.case_json(case.name, case.id, items),
                    media_type="application/json", headers=attachment(case, redact, "json"))


@router.get("/{case_id}/report")
def report(request: Request, user: Investigator, case: CaseDep, store: StoreDep,
           db: AppDB, redact: Redact = False) -> Response:
    items = export_items(user.username, case, store, db, "report", redact)
    return render(request, "case_report.html", page_title=f"Case report: {case.name}",
                  case=case, items=items, redacted=redact)
