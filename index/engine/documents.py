"""Records as the engines index them: the record's own JSON plus the keys filters use."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from index.documents import record_keys
from index.engine.mapping import KEYS_FIELD
from lurewatch.record import Ad


def to_document(ad: Ad) -> dict[str, Any]:
    """The record as indexed: its own JSON plus the normalised keys filters use."""
    doc: dict[str, Any] = json.loads(ad.to_json())
    doc[KEYS_FIELD] = {**record_keys(ad), "event_at": doc["posted_at"] or doc["fetched_at"],
                       "written_at": datetime.now(UTC).isoformat()}
    return doc


def from_document(source: dict[str, Any]) -> Ad:
    record = {k: v for k, v in source.items() if k != KEYS_FIELD}
    return Ad.model_validate(record)
