"""What the API answers and accepts. Records are the shared record schema itself
(:class:`lurewatch.record.Ad`); everything else has a ``…Public`` model here, read from
the dataclasses the store and the app database return (``from_attributes``)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from index.query import PIVOT_KINDS
from lurewatch.record import Ad
from review_ui.forms import SQLITE_MAX_INT
from review_ui.routes.records import MAX_NOTE
from review_ui.services.triage import ACTIONS

# The focus view's decision buttons, by the names its forms send.
DecisionAction = StrEnum("DecisionAction", {name: name for name in ACTIONS})
PivotKind = StrEnum("PivotKind", {kind: kind for kind in PIVOT_KINDS})


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class HitPublic(Public):
    record: Ad
    # Matched words are wrapped in the private-use characters U+E000 … U+E001.
    highlights: dict[str, list[str]] = Field(default_factory=dict)


class SearchPublic(Public):
    total: int
    page: int
    page_size: int
    hits: list[HitPublic]
    facets: dict[str, dict[str, int]]


class HistoryEntryPublic(Public):
    actor: str
    action: str
    outcome: str  # applied or conflict
    from_version: int
    state: str
    note: str
    at: datetime


class DecisionCreate(BaseModel):
    """A decision on the record at ``version`` (its ``review_version`` as the caller read
    it): refused with 409 if someone else decided since."""

    action: DecisionAction
    version: int = Field(ge=0, le=SQLITE_MAX_INT)
    note: str = Field(default="", max_length=MAX_NOTE)
    # The full list of indicators the reviewer keeps; omitted: no corrections.
    indicators: list[str] | None = None


class TrendBucketPublic(Public):
    period: str
    key: str
    count: int


class PivotPublic(Public):
    kind: str
    value: str
    total: int
    records: list[Ad]
    timeline: list[TrendBucketPublic]


class CampaignPublic(Public):
    id: str
    record_ids: list[str]
    sources: list[str]
    languages: list[str]
    countries: list[str]
    first_seen: datetime
    last_seen: datetime
    flagged_share: float
    links: dict[str, int]
    score: float
    records: list[Ad]


class CasePublic(Public):
    id: int
    name: str
    created_by: str
    created_at: datetime
    size: int


class NotePublic(Public):
    username: str
    text: str
    at: datetime


class CaseRecordPublic(Public):
    record: Ad
    notes: list[NotePublic]


class CaseDetailPublic(CasePublic):
    records: list[CaseRecordPublic]


class AlertPublic(Public):
    id: str
    rule: str
    kind: str
    subject_type: str
    subject_id: str
    summary: str
    link: str
    details: dict[str, Any]
    created_at: datetime
    deliveries: dict[str, str]


class LastRunPublic(Public):
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    error: str | None
    monitor: str


class SourcePublic(Public):
    source: str
    enabled: bool
    priority: int | None
    schedule: str
    last_run: LastRunPublic | None
    counts: dict[str, Any]
    health: str
    problems: list[str]
    next_run: datetime | None


class RunPublic(Public):
    id: str
    source: str
    monitor: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    counts: dict[str, Any]
    health: str
    problems: list[str]
    error: str | None


class ModelPublic(Public):
    version: str
    promoted: bool
    weights_present: bool
    files: list[str]
    metrics: dict[str, Any]
