"""Cases: records an investigator collects for referral, exported as CSV, JSON or a
printable report. Every export is written to the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from index.errors import NotFoundError
from review_ui.deps import AppDB, CaseDep, Investigator, StoreDep
from review_ui.services import exports
from review_ui.templating import render

router = APIRouter(prefix="/cases")


@router.get("")
def cases(request: Request, user: Investigator, db: AppDB) -> Response:
    return render(request, "cases.html", page_title="Cases", cases=db.cases())


@router.post("")
def create_case(request: Request, user: Investigator, db: AppDB,
                name: Annotated[str, Form(max_length=200)],
                record_ids: Annotated[list[str] | None, Form()] = None) -> Response:
    if not name.strip():
        return render(request, "error.html", 400, message="A case needs a name.",
                      link="/cases")
    case_id = db.add_case(name.strip(), user.username)
    db.audit(user.username, "case_created", f"case {case_id}", name.strip())
    if record_ids:
        db.add_to_case(case_id, record_ids, user.username)
        db.audit(user.username, "case_records_added", f"case {case_id}", " ".join(record_ids))
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.get("/{case_id}")
def case_view(request: Request, user: Investigator, case: CaseDep, store: StoreDep,
              db: AppDB) -> Response:
    return render(request, "case.html", page_title=case.name, case=case,
                  items=exports.case_records(store, db, case.id))


@router.post("/{case_id}/records")
def add_records(user: Investigator, case: CaseDep, store: StoreDep, db: AppDB,
                record_ids: Annotated[list[str], Form()]) -> RedirectResponse:
    known = [rid for rid in record_ids if store.get(rid) is not None]
    if not known:
        raise NotFoundError("none of the selected records exists")
    db.add_to_case(case.id, known, user.username)
    db.audit(user.username, "case_records_added", f"case {case.id}", " ".join(known))
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


@router.get("/{case_id}/export.csv")
def export_csv(user: Investigator, case: CaseDep, store: StoreDep, db: AppDB) -> Response:
    items = exports.case_records(store, db, case.id)
    db.audit(user.username, "export", f"case {case.id}", f"csv, {len(items)} records")
    return Response(exports.case_csv(items), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="lurewatch-case-{case.id}.csv"'})


@router.get("/{case_id}/export.json")
def export_json(user: Investigator, case: CaseDep, store: StoreDep, db: AppDB) -> Response:
    items = exports.case_records(store, db, case.id)
    db.audit(user.username, "export", f"case {case.id}", f"json, {len(items)} records")
    return Response(exports.case_json(case.name, case.id, items),
                    media_type="application/json",
                    headers={"Content-Disposition":
                             f'attachment; filename="lurewatch-case-{case.id}.json"'})


@router.get("/{case_id}/report")
def report(request: Request, user: Investigator, case: CaseDep, store: StoreDep,
           db: AppDB) -> Response:
    items = exports.case_records(store, db, case.id)
    db.audit(user.username, "export", f"case {case.id}", f"report, {len(items)} records")
    return render(request, "case_report.html", page_title=f"Case report: {case.name}",
                  case=case, items=items)
