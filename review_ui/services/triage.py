"""The triage queue, claims and decisions.

The queue is the flagged records nobody has reviewed, in score or age order. Opening a
record claims it for ``review.claim_minutes`` so two analysts do not work on the same
item; a decision goes through ``Store.decide`` with the version the analyst saw, so a
stale decision is refused (``ConflictError``), never silently applied.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from index.base import Store
from index.errors import ConflictError, NotFoundError
from index.query import SearchFilters, SearchQuery
from lurewatch.config import Settings
from lurewatch.record import FLAGGED_LABELS, INDICATORS, Ad, Decision, ReviewState
from review_ui.appdb import ReviewDB
from review_ui.appdb.accounts import User
from review_ui.services.facets import FacetCache

QUEUE_FACETS = ("label", "language", "country", "source", "indicator")
QueueSort = Literal["score", "age", "newest"]

# What each decision button does; the key is the keyboard shortcut shown on the button.
ACTIONS: dict[str, tuple[ReviewState, str, str]] = {
    "tip": (ReviewState.confirmed_tip, "t", "Confirm TIP risk"),
    "som": (ReviewState.confirmed_som, "s", "Confirm SOM"),
    "legitimate": (ReviewState.dismissed_legitimate, "l", "Dismiss: legitimate"),
    "not_job": (ReviewState.dismissed_not_job, "x", "Dismiss: not job related"),
    "escalate": (ReviewState.escalated, "e", "Escalate"),
}

# Records carrying these get a content warning and their text stays hidden until asked for.
SENSITIVE_INDICATORS = frozenset({"minors_targeted", "age_or_appearance_requirements"})
SENSITIVE_SECTORS = frozenset({"entertainment", "hostess", "massage", "karaoke", "escort",
                               "nightlife", "sex work"})


class DecisionError(ValueError):
    """A decision request that cannot be applied as asked (unknown action or indicator)."""

QUEUE_PAGE_SIZE = 50  # records on a queue page
BULK_PAGE_SIZE = 100  # records on the bulk-review page

@dataclass(frozen=True)
class QueueFilters:
    sort: QueueSort = "score"
    labels: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    score_min: float | None = None
    score_max: float | None = None

    def search_filters(self) -> SearchFilters:
        flagged = tuple(sorted(str(label) for label in FLAGGED_LABELS))
        return SearchFilters(
            labels=tuple(lab for lab in self.labels if lab in flagged) or flagged,
            review_states=(ReviewState.unreviewed.value,),
            languages=self.languages, countries=self.countries, sources=self.sources,
            indicators=self.indicators, score_min=self.score_min, score_max=self.score_max,
        )


@dataclass
class QueueItem:
    record: Ad
    claimed_by: str | None


@dataclass
class QueuePage:
    items: list[QueueItem]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def queue_page(store: Store, db: ReviewDB, filters: QueueFilters, *, size: int = 50,
               offset: int = 0) -> QueuePage:
    """One page of the queue, without facet counts (see :func:`queue_facets`)."""
    result = store.search(SearchQuery(filters=filters.search_filters(), sort=filters.sort,
                                      size=size, offset=offset, facets=(), highlight=False))
    claims = db.live_claims()
    return QueuePage([QueueItem(hit.record, claims.get(hit.record.id)) for hit in result.hits],
                     result.total)


def queue_facets(store: Store, cache: FacetCache,
                 filters: QueueFilters) -> dict[str, dict[str, int]]:
    search_filters = filters.search_filters()
    return cache.get_or_compute(("queue", search_filters), lambda: store.search(SearchQuery(
        filters=search_filters, size=0, facets=QUEUE_FACETS, highlight=False)).facets)


def my_queue(store: Store, db: ReviewDB, user: User) -> list[tuple[Ad, str]]:
    """Records ``user`` holds a live claim on and that still wait for a decision."""
    mine = []
    for record_id, expires in db.claims_of(user.username):
        ad = store.get(record_id)
        if ad is not None and ad.review_state is ReviewState.unreviewed:
            mine.append((ad, expires.strftime("%H:%M UTC")))
    return mine


# One decided record in this many is offered to a second reviewer, so that reviewer
# agreement (Cohen's kappa) can be measured without reviewing everything twice.
SECOND_LOOK_ONE_IN = 5
DECIDED_STATES = tuple(s.value for s in ReviewState if s is not ReviewState.unreviewed)


def sampled_for_second_look(record_id: str) -> bool:
    """A fixed sample by id, so every reviewer sees the same records offered."""
    try:
        return int(record_id[:8], 16) % SECOND_LOOK_ONE_IN == 0
    except ValueError:
        return False


def second_look(store: Store, user: User, limit: int = 50, scan: int = 1000) -> list[Ad]:
    """Recently decided records in the sample that exactly one other person reviewed."""
    result = store.search(SearchQuery(filters=SearchFilters(review_states=DECIDED_STATES),
                                      sort="newest", size=scan, facets=(), highlight=False))
    offered = []
    for hit in result.hits:
        ad = hit.record
        reviewers = {d.reviewer for d in ad.decisions if d.state is not ReviewState.unreviewed}
        if (sampled_for_second_look(ad.id) and len(reviewers) == 1
                and user.username not in reviewers):
            offered.append(ad)
            if len(offered) >= limit:
                break
    return offered


def claim(db: ReviewDB, settings: Settings, record_id: str, user: User) -> str:
    """Claim a record; returns who holds it (``user`` unless someone else does)."""
    return db.claim(record_id, user.username, settings.review.claim_minutes * 60)


def next_record(store: Store, db: ReviewDB, settings: Settings, user: User,
                filters: QueueFilters, skip: Iterable[str] = ()) -> Ad | None:
    """The first record in queue order that nobody else holds, claimed for ``user``."""
    skipped = set(skip)
    page_size = 50
    for offset in range(0, 5000, page_size):
        page = queue_page(store, db, filters, size=page_size, offset=offset)
        for item in page.items:
            if item.record.id in skipped or item.claimed_by not in (None, user.username):
                continue
            if claim(db, settings, item.record.id, user) == user.username:
                return item.record
        if offset + page_size >= page.total:
            return None
    return None


def decide(store: Store, db: ReviewDB, user: User, record_id: str, action: str,
           expected_version: int, note: str = "",
           indicators: Iterable[str] | None = None) -> Ad:
    """Apply one decision. ``indicators`` is the full list the reviewer left ticked (None:
    no corrections); the difference with the record's list becomes the correction."""
    if action not in ACTIONS:
        raise DecisionError(f"unknown decision {action!r}; expected one of {', '.join(ACTIONS)}")
    ad = store.get(record_id)
    if ad is None:
        raise NotFoundError(f"no record has id {record_id}")
    added: list[str] = []
    removed: list[str] = []
    if indicators is not None:
        ticked = set(indicators)
        unknown = sorted(ticked - set(INDICATORS))
        if unknown:
            raise DecisionError(f"unknown indicator {', '.join(unknown)}")
        present = set(ad.indicator_ids())
        added, removed = sorted(ticked - present), sorted(present - ticked)
    state = ACTIONS[action][0]
    decision = Decision(reviewer=user.username, state=state, note=note.strip(),
                        indicators_added=added, indicators_removed=removed)
    try:
        updated = store.decide(record_id, decision, expected_version)
    except ConflictError as exc:
        db.audit(user.username, "decision_conflict", record_id,
                 f"{state.value}; saw version {exc.expected}, record at {exc.actual}")
        raise
    db.release(record_id, user.username)
    db.count_review(user.username)
    corrections = "".join([f"; +{i}" for i in added] + [f"; -{i}" for i in removed])
    db.audit(user.username, "decision", record_id,
             f"{state.value} (version {expected_version}→{updated.review_version}){corrections}"
             + (f"; note: {decision.note}" if decision.note else ""))
    return updated


@dataclass
class BulkOutcome:
    applied: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def decide_many(store: Store, db: ReviewDB, user: User, action: str,
                versions: dict[str, int], note: str = "") -> BulkOutcome:
    """The same decision on many records; each is applied or refused on its own."""
    outcome = BulkOutcome()
    for record_id, version in versions.items():
        try:
            decide(store, db, user, record_id, action, version, note)
        except ConflictError:
            outcome.conflicts.append(record_id)
        except NotFoundError:
            outcome.missing.append(record_id)
        else:
            outcome.applied.append(record_id)
    return outcome


def content_warning(ad: Ad) -> str | None:
    """Why a reviewer should be warned before reading this record, or None."""
    reasons = []
    ids = set(ad.indicator_ids())
    if "minors_targeted" in ids:
        reasons.append("minors may be targeted")
    if ids & (SENSITIVE_INDICATORS - {"minors_targeted"}) or (
            ad.sector and ad.sector.casefold() in SENSITIVE_SECTORS):
        reasons.append("possible sexual exploitation")
    return ", ".join(reasons) or None
