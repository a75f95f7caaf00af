"""Investigators' cases: the list, and one case with its records and notes (reading one
is an export, audited as the pages' exports are)."""

from __future__ import annotations

from fastapi import APIRouter

from review_ui.api.deps import ApiInvestigator
from review_ui.api.schemas import CaseDetailPublic, CasePublic, CaseRecordPublic
from review_ui.deps import AppDB, CaseDep, StoreDep
from review_ui.services import exports

router = APIRouter(prefix="/cases", tags=["cases"])


@router.get("", response_model=list[CasePublic])
def list_cases(user: ApiInvestigator, db: AppDB) -> list[CasePublic]:
    return [CasePublic.model_validate(case) for case in db.cases()]


@router.get("/{case_id}", response_model=CaseDetailPublic)
def get_case(user: ApiInvestigator, case: CaseDep, store: StoreDep,
             db: AppDB) -> CaseDetailPublic:
    items = exports.case_records(store, db, case.id)
    db.audit(user.username, "export", f"case {case.id}", f"api, {len(items)} records")
    return CaseDetailPublic(
        **CasePublic.model_validate(case).model_dump(),
        records=[CaseRecordPublic.model_validate(item) for item in items])
