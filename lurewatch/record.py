"""The record: one ad or post, as every Lurewatch component sees it.

Crawlers build records, classifiers fill in evidence and scores, stores index them and
the review application shows and decides them. Nothing else crosses component lines.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from w3lib.url import canonicalize_url

# A field added with a default keeps the version (records written before it still read,
# with the default); a change earlier records cannot be read under raises it.
SCHEMA_VERSION = 1
# Search highlights mark matches with these private-use characters, never with HTML: the
# text is crawled and hostile, so the web application escapes it first and then turns the
# marks into <mark> elements. A record's own title and text therefore never hold them:
# each is replaced by U+FFFD (one code point for one, so evidence offsets stay true).
HIGHLIGHT_START = "\ue000"
HIGHLIGHT_END = "\ue001"
_HIGHLIGHT_MARKERS = str.maketrans({HIGHLIGHT_START: "\ufffd", HIGHLIGHT_END: "\ufffd"})
# A record's (or an earlier version's) title or text.
AdText = Annotated[str, AfterValidator(lambda value: value.translate(_HIGHLIGHT_MARKERS))]


class Label(StrEnum):
    """Record-level label. TIP and SOM are different crimes and stay separate labels."""

    legitimate = "legitimate"
    deceptive_recruitment = "deceptive_recruitment"
    smuggling_offer = "smuggling_offer"
    not_job_related = "not_job_related"


FLAGGED_LABELS = frozenset({Label.deceptive_recruitment, Label.smuggling_offer})


class ReviewState(StrEnum):
    """Where a record stands with the people who review it."""

    unreviewed = "unreviewed"
    confirmed_tip = "confirmed_tip"
    confirmed_som = "confirmed_som"
    dismissed_legitimate = "dismissed_legitimate"
    dismissed_not_job = "dismissed_not_job"
    escalated = "escalated"


# The indicator vocabulary of DESIGN.md. Ids are stable: add, never rename.
INDICATOR_GROUPS: dict[str, tuple[str, ...]] = {
    "deception": ("unrealistic_pay", "no_requirements", "employer_unnamed", "vague_duties"),
    "cost_and_debt": ("worker_pays_fees", "debt_or_advance"),
    "travel_and_status": (
        "travel_arranged",
        "tourist_visa_work",
        "no_passport_needed",
        "border_crossing_arranged",
        "forged_documents",
    ),
    "control": (
        "passport_retained",
        "live_in_or_closed_site",
        "movement_restricted",
        "excessive_hours",
    ),
    "channel_and_pressure": (
        "private_messaging_only",
        "urgency_pressure",
        "asks_for_documents_or_photos",
    ),
    "targeting": ("targets_women_girls", "age_or_appearance_requirements", "minors_targeted"),
    "sector_and_destination": ("high_risk_sector", "scam_compound_pattern"),
}
INDICATORS: tuple[str, ...] = tuple(i for group in INDICATOR_GROUPS.values() for i in group)
GENDER_INDICATORS = INDICATOR_GROUPS["targeting"]

# The sector of a job ad, from one small fixed vocabulary so that views and charts group
# the same work together whatever the ad's language (``classifiers.sector``); "other" is
# a job ad of none of these, and a text that is not about work has no sector.
SECTORS: tuple[str, ...] = (
    "domestic_work", "construction", "manufacturing", "agriculture", "fishing",
    "hospitality_entertainment", "care", "retail_sales", "office", "transport", "other",
)

Platform = Literal["web", "telegram", "mastodon", "rss", "facebook", "other"]


class Span(BaseModel):
    """A stretch of the record's text (character offsets into ``Ad.text``) that shows something."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str = ""


class Indicator(BaseModel):
    """One indicator found in a record, with the spans that show it."""

    id: str
    score: float = Field(ge=0.0, le=1.0)
    source: Literal["rule", "model", "reviewer"] = "rule"
    rule: str | None = None
    spans: list[Span] = Field(default_factory=list)


class Contacts(BaseModel):
    """Contact channels stated in the ad, normalised (phones in E.164)."""

    phones: list[str] = Field(default_factory=list)
    whatsapp: list[str] = Field(default_factory=list)
    telegram: list[str] = Field(default_factory=list)
    line: list[str] = Field(default_factory=list)
    wechat: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    urls: list[str] = Field(default_factory=list)

    def handles(self) -> list[str]:
        """Messaging handles, prefixed by their network (``telegram:@x``), for pivots."""
        return [
            f"{network}:{value}"
            for network in ("whatsapp", "telegram", "line", "wechat")
            for value in getattr(self, network)
        ]


class Salary(BaseModel):
    """Pay as stated, and as a monthly USD figure where it can be worked out."""

    text: str
    amount_min: float | None = None
    amount_max: float | None = None
    currency: str | None = None
    period: Literal["hour", "day", "week", "month", "year"] | None = None
    monthly_usd: float | None = None


class Decision(BaseModel):
    """A reviewer's decision on a record."""

    reviewer: str
    state: ReviewState
    note: str = ""
    indicators_added: list[str] = Field(default_factory=list)
    indicators_removed: list[str] = Field(default_factory=list)
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class ScoreChange(BaseModel):
    """A label and score a record had before it was scored again (``lurewatch rescore``)."""

    risk_label: Label | None = None
    risk_score: float | None = None
    model_version: str | None = None
    replaced_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


# Earlier versions kept per record, oldest dropped first: an ad edited every day would
# otherwise grow its document without bound.
MAX_VERSIONS = 20


class AdVersion(BaseModel):
    """What a record said before a re-crawl found it changed, and when that was fetched."""

    title: AdText = ""
    text: AdText = ""
    employer: str | None = None
    salary: Salary | None = None
    risk_label: Label | None = None
    risk_score: float | None = None
    model_version: str | None = None
    content_hash: str = ""
    raw_ref: str | None = None
    snapshot_sha256: str | None = None
    seen_at: datetime


def canonical_url(url: str) -> str:
    """The URL as Lurewatch identifies it: canonical query order, no fragment."""
    return canonicalize_url(url.strip())


def record_id(*, url: str | None = None, platform: str | None = None,
              post_id: str | None = None) -> str:
    """A stable id: from platform + post id where the platform has ids, else the canonical URL."""
    if platform and post_id:
        key = f"{platform}:{post_id}"
    elif url:
        key = canonical_url(url)
    else:
        raise ValueError("a record needs a url, or a platform and a post id")
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


_LEGAL_SUFFIXES = re.compile(
    r"\b(sdn\.? ?bhd|bhd|pte|ltd|limited|inc|co|corp|corporation|company|llc|plc|pt|cv|tbk|jsc)"
    r"\b\.?",
    re.IGNORECASE,
)


def normalise_employer(name: str) -> str:
    """An employer name as pivots compare it: case-folded, legal-form suffixes and
    punctuation dropped, spaces collapsed (``"ABC Sdn. Bhd."`` and ``"abc"`` meet)."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    folded = _LEGAL_SUFFIXES.sub(" ", folded)
    folded = "".join(ch if ch.isalnum() else " " for ch in folded)
    return " ".join(folded.split())


def content_hash(title: str, text: str) -> str:
    """Hash of what the ad says, to tell a re-post with changes from an unchanged re-fetch."""
    return hashlib.sha256(f"{title}\x00{text}".encode()).hexdigest()


class Ad(BaseModel):
    """One ad or post. ``id`` and ``content_hash`` are derived when not given."""

    schema_version: int = SCHEMA_VERSION
    id: str = ""
    source: str
    url: str
    platform: Platform = "web"
    post_id: str | None = None
    fetched_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    posted_at: datetime | None = None
    title: AdText = ""
    text: AdText = ""
    language: str | None = None
    languages_present: list[str] = Field(default_factory=list)
    country: str | None = None
    location: str | None = None
    employer: str | None = None
    sector: str | None = None
    contacts: Contacts = Field(default_factory=Contacts)
    salary: Salary | None = None
    # Images the ad shows, as absolute http(s) URLs on the poster's servers. The review
    # application fetches them server-side, never from a reviewer's browser.
    images: list[str] = Field(default_factory=list)
    # What was fetched, kept in a WARC file under ``<data_dir>/snapshots``: ``raw_ref`` is
    # ``<file>#<offset>`` of its response record, ``snapshot_sha256`` the hex sha256 of the
    # payload (the body as fetched). A pruned snapshot leaves the hash and no reference.
    raw_ref: str | None = None
    snapshot_sha256: str | None = None
    # Social posts: how often it was seen and whom it was forwarded from (Telegram).
    views: int | None = None
    forwarded_from: str | None = None
    content_hash: str = ""
    cluster_id: str | None = None
    campaign_id: str | None = None
    risk_label: Label | None = None
    risk_score: float | None = Field(default=None, ge=0.0, le=1.0)
    indicators: list[Indicator] = Field(default_factory=list)
    model_version: str | None = None
    # Earlier model verdicts, oldest first (a re-crawl that changes the ad starts afresh).
    score_history: list[ScoreChange] = Field(default_factory=list)
    # Earlier versions of a changed ad, oldest first, at most MAX_VERSIONS
    # (``index.documents.merge_crawled`` keeps them).
    versions: list[AdVersion] = Field(default_factory=list)
    # When a re-crawl found the ad gone (its page answered 404 or 410); cleared when the
    # ad is crawled again.
    taken_down_at: datetime | None = None
    review_state: ReviewState = ReviewState.unreviewed
    review_version: int = 0
    decisions: list[Decision] = Field(default_factory=list)

    @field_validator("images")
    @classmethod
    def _absolute_http_urls(cls, images: list[str]) -> list[str]:
        for url in images:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"image URL must be absolute http(s): {url[:200]!r}")
        return images

    @model_validator(mode="after")
    def _derive_identity(self) -> Ad:
        if not self.id:
            self.id = record_id(url=self.url, platform=self.platform, post_id=self.post_id)
        if not self.content_hash:
            self.content_hash = content_hash(self.title, self.text)
        return self

    @property
    def flagged(self) -> bool:
        return self.risk_label in FLAGGED_LABELS

    def indicator_ids(self) -> list[str]:
        return sorted({i.id for i in self.indicators})

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, data: str | bytes) -> Ad:
        return cls.model_validate_json(data)


def apply_decision(ad: Ad, decision: Decision) -> Ad:
    """The record after a reviewer's decision: new state and version, the decision kept,
    indicator corrections applied (added ones carry ``source='reviewer'``)."""
    removed = set(decision.indicators_removed)
    indicators = [i for i in ad.indicators if i.id not in removed]
    present = {i.id for i in indicators}
    indicators += [Indicator(id=i, score=1.0, source="reviewer")
                   for i in decision.indicators_added if i not in present]
    return ad.model_copy(update={
        "review_state": decision.state,
        "review_version": ad.review_version + 1,
        "decisions": [*ad.decisions, decision],
        "indicators": indicators,
    })
