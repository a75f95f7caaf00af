"""Case exports for referral to partner organisations, and reviewed records as training
data. Both read records through the store, so they work on any backend."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from classifiers.transformer.dataset import REVIEWED_LABELS, reviewed_item
from index.base import Store
from index.query import SearchFilters
from lurewatch.record import Ad
from review_ui.appdb import ReviewDB
from review_ui.appdb.work import Note
from review_ui.services.charts import to_csv

CSV_COLUMNS = (
    "id", "url", "source", "posted_at", "fetched_at", "title", "text", "language", "country",
    "employer", "phones", "handles", "emails", "salary", "risk_label", "risk_score",
    "indicators", "model_version", "review_state", "decisions", "notes",
)



@dataclass
class CaseRecord:
    record: Ad
    notes: list[Note]


def case_records(store: Store, db: ReviewDB, case_id: int) -> list[CaseRecord]:
    ids = db.case_record_ids(case_id)
    notes = db.notes(ids)
    found = []
    for record_id in ids:
        ad = store.get(record_id)
        if ad is not None:
            found.append(CaseRecord(ad, notes[record_id]))
    return found


def _decisions_text(ad: Ad) -> str:
    return " | ".join(f"{d.at:%Y-%m-%d %H:%M} {d.reviewer}: {d.state.value}"
                      + (f" ({d.note})" if d.note else "") for d in ad.decisions)


def case_csv(items: list[CaseRecord]) -> str:
    rows = []
    for item in items:
        ad = item.record
        rows.append((
            ad.id, ad.url, ad.source, ad.posted_at.isoformat() if ad.posted_at else "",
            ad.fetched_at.isoformat(), ad.title, ad.text, ad.language or "", ad.country or "",
            ad.employer or "", " ".join(ad.contacts.phones), " ".join(ad.contacts.handles()),
            " ".join(ad.contacts.emails), ad.salary.text if ad.salary else "",
            ad.risk_label or "", "" if ad.risk_score is None else f"{ad.risk_score:.3f}",
            " ".join(ad.indicator_ids()), ad.model_version or "", ad.review_state.value,
            _decisions_text(ad),
            " | ".join(f"{n.at:%Y-%m-%d %H:%M} {n.username}: {n.text}" for n in item.notes),
        ))
    return to_csv(CSV_COLUMNS, rows)


def case_json(case_name: str, case_id: int, items: list[CaseRecord]) -> str:
    document: dict[str, Any] = {
        "case": {"id": case_id, "name": case_name},
        "records": [
            {**item.record.model_dump(mode="json", exclude={"raw_ref"}),
             "notes": [{"by": n.username, "at": n.at.isoformat(), "text": n.text}
                       for n in item.notes]}
            for item in items
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


REVIEWED_STATES = tuple(state.value for state in REVIEWED_LABELS)


def training_rows(store: Store) -> Iterator[str]:
    """One JSON line per reviewed record, in the labelled-item format that
    ``lurewatch train`` and ``lurewatch dataset merge`` read (the classifiers' own
    ``reviewed_item``: reviewer label, indicators with corrections, cluster as group)."""
    for ad in store.scan(SearchFilters(review_states=REVIEWED_STATES)):
        item = reviewed_item(ad)
        if item is not None:
            yield item.model_dump_json() + "\n"
