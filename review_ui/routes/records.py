"""The focus view of one record, and what a reviewer does there."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import QueryParams

from index.errors import NotFoundError
from lurewatch.record import INDICATOR_GROUPS, MAX_VERSIONS
from review_ui.access import Permission, allows
from review_ui.deps import AppDB, Reader, RecordDep, SettingsDep, StoreDep, Triager
from review_ui.errors import Refused
from review_ui.forms import Parsed, RowId, queue_filters
from review_ui.highlight import evidence_segments, version_views
from review_ui.services import images, records, triage
from review_ui.templating import render

router = APIRouter(prefix="/records")
MAX_NOTE = 4000


@router.get("/{record_id}")
def focus(request: Request, user: Reader, ad: RecordDep, store: StoreDep,
          db: AppDB) -> Response:
    db.audit(user.username, "record_viewed", ad.id)  # who read which ad: read auditing
    segments, legend = evidence_segments(ad)
    claims = db.live_claims()
    return render(
        request, "record.html", page_title=ad.title or ad.id, ad=ad, segments=segments,
        legend=legend, versions=version_views(ad), max_versions=MAX_VERSIONS,
        links=records.links(store, ad), history=store.history(ad.id),
        notes=db.notes([ad.id])[ad.id], claimed_by=claims.get(ad.id),
        can_triage=allows(user.role, Permission.triage),
        can_investigate=allows(user.role, Permission.investigate),
        cases=db.cases() if allows(user.role, Permission.investigate) else [],
        actions=triage.ACTIONS, indicator_groups=INDICATOR_GROUPS,
        present=set(ad.indicator_ids()), warning=triage.content_warning(ad),
        queue=request.query_params.get("queue", ""), prev=request.query_params.get("prev"),
    )


@router.get("/{record_id}/images/{number}")
def image(user: Reader, ad: RecordDep, number: int, settings: SettingsDep,
          db: AppDB) -> Response:
    """The record's image ``number``, fetched here so the reviewer's browser never
    contacts the poster's server; never cached (see services/images.py). Each fetch is an
    audit event: it is this server reaching out to an address a poster chose."""
    if not 0 <= number < len(ad.images):
        raise NotFoundError(f"record {ad.id} has no image {number}")
    url = ad.images[number]
    crawl = settings.crawl
    try:
        fetched = images.fetch_image(
            url, allow_local=images.is_local_test_source(settings, ad.source),
            user_agent=crawl.user_agent.format(contact_url=crawl.contact_url))
    except images.ImageRefused as exc:
        db.audit(user.username, "image_refused", f"{ad.id} image {number}", f"{url}: {exc}")
        return Response(str(exc), status_code=exc.status, media_type="text/plain",
                        headers={"Cache-Control": "no-store"})
    db.audit(user.username, "image_fetched", f"{ad.id} image {number}",
             f"{url} ({fetched.media_type}, {len(fetched.content)} bytes)")
    return Response(fetched.content, media_type=fetched.media_type,
                    headers={"Cache-Control": "no-store"})


@router.post("/{record_id}/decide")
def decide(request: Request, record_id: str, user: Triager, store: StoreDep, db: AppDB,
           settings: SettingsDep, action: Annotated[str, Form()],
           version: Annotated[RowId, Form()], note: Annotated[str, Form(max_length=MAX_NOTE)] = "",
           indicators: Annotated[list[str] | None, Form()] = None,
           corrections: Annotated[str, Form()] = "", queue: Annotated[str, Form()] = "",
           ) -> Response:
    try:
        triage.decide(store, db, user, record_id, action, version, note,
                      (indicators or []) if corrections else None)
    except triage.DecisionError as exc:
        raise Refused(400, str(exc),
                      link=f"/records/{record_id}") from exc
    ad = triage.next_record(store, db, settings, user,
                            queue_filters(QueryParams(queue), Parsed()), skip=[record_id])
    if ad is None:
        return RedirectResponse(f"/queue?message=empty&{queue}", status_code=303)
    return RedirectResponse(
        f"/records/{ad.id}?{urlencode({'queue': queue, 'prev': record_id})}", status_code=303)


@router.post("/{record_id}/claim")
def claim(user: Triager, ad: RecordDep, db: AppDB, settings: SettingsDep) -> RedirectResponse:
    triage.claim(db, settings, ad.id, user)
    return RedirectResponse(f"/records/{ad.id}", status_code=303)


@router.post("/{record_id}/release")
def release(record_id: str, user: Triager, db: AppDB) -> RedirectResponse:
    db.release(record_id, user.username)
    return RedirectResponse("/queue/mine", status_code=303)


@router.post("/{record_id}/notes")
def add_note(request: Request, user: Triager, ad: RecordDep, db: AppDB,
             text: Annotated[str, Form(max_length=MAX_NOTE)]) -> Response:
    record_id = ad.id
    if not text.strip():
        raise Refused(400, "A note cannot be empty.",
                      link=f"/records/{record_id}")
    db.add_note(record_id, user.username, text.strip())
    db.audit(user.username, "note", record_id, text.strip())
    return RedirectResponse(f"/records/{record_id}#notes", status_code=303)
