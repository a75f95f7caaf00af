"""The store interface every backend implements, and the engine-neutral query types.

Handlers and commands build a :class:`SearchQuery` and call a :class:`Store`; they never
see SQL or query DSL. One contract suite (``tests/index/test_store_contract.py``) runs
unchanged against every backend.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from lurewatch.record import Ad, Decision

if TYPE_CHECKING:
    from classifiers.campaigns import RecordGroup
    from classifiers.templates import ClusterTemplate

FACET_FIELDS = ("label", "indicator", "language", "source", "country", "review_state")
TREND_SPLITS = ("label", "indicator", "country", "sector", "source", "language")
PIVOT_KINDS = ("phone", "handle", "email", "employer", "cluster")
# Highlights mark matches with these private-use characters, never with HTML: the text is
# crawled and hostile, so the web application escapes it first and then turns the marks
# into <mark> elements.
HIGHLIGHT_START = "\ue000"
HIGHLIGHT_END = "\ue001"
Interval = Literal["day", "week", "month"]
SortOrder = Literal["score", "age", "newest", "relevance"]
AlertSubject = Literal["record", "campaign", "source"]
DeliveryStatus = Literal["pending", "sent", "failed"]
MAX_CAMPAIGNS = 10_000  # campaigns one listing considers: the engines' bucket limit
# Hits a listing can page through (offset + size), on every store: the engines' default
# index.max_result_window, past which they refuse a page.
MAX_RESULT_WINDOW = 10_000
RunOutcome = Literal["running", "ok", "failed", "interrupted"]
Health = Literal["healthy", "degraded", "unhealthy", "unknown"]
ABANDONED_RUN_ERROR = "the monitor stopped before this crawl finished"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class StoreError(Exception):
    """The store could not do what was asked."""


class ConflictError(StoreError):
    """A review write was based on a stale version of the record and was refused."""

    def __init__(self, record_id: str, expected: int, actual: int | None) -> None:
        super().__init__(
            f"record {record_id} was changed by someone else "
            f"(you saw version {expected}, it is now {actual})"
        )
        self.record_id = record_id
        self.expected = expected
        self.actual = actual


class NotFoundError(StoreError):
    """No record has that id."""


class StoreUnavailableError(StoreError):
    """The store does not answer now (down, overloaded, timed out): try again later."""


def check_result_window(offset: int, size: int) -> None:
    """Refuse a page outside the first :data:`MAX_RESULT_WINDOW` hits, on every store alike."""
    if offset < 0 or size < 0 or offset + size > MAX_RESULT_WINDOW:
        raise ValueError(f"only the first {MAX_RESULT_WINDOW:,} results can be paged through "
                         f"(asked for {offset:,} to {offset + size:,}); narrow the search")


@dataclass(frozen=True)
class SearchFilters:
    """Filters shared by search, facets, trends and exports. Empty means 'any'."""

    labels: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    review_states: tuple[str, ...] = ()
    posted_from: datetime | None = None
    posted_to: datetime | None = None
    score_min: float | None = None
    score_max: float | None = None
    phones: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    employers: tuple[str, ...] = ()
    cluster_ids: tuple[str, ...] = ()
    campaign_ids: tuple[str, ...] = ()


NO_FILTERS = SearchFilters()


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    filters: SearchFilters = field(default_factory=SearchFilters)
    sort: SortOrder = "relevance"
    size: int = 20
    offset: int = 0
    facets: tuple[str, ...] = FACET_FIELDS
    highlight: bool = True

    def __post_init__(self) -> None:
        check_result_window(self.offset, self.size)


@dataclass
class Hit:
    record: Ad
    highlights: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class TrendBucket:
    period: str  # ISO date of the bucket's start
    key: str
    count: int


@dataclass(frozen=True)
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistoryEntry:
    """One attempt to change a record's review state, kept whether it succeeded or not."""

    record_id: str
    actor: str
    action: str
    outcome: Literal["applied", "conflict"]
    from_version: int
    state: str
    note: str
    at: datetime


@dataclass(frozen=True)
class NewAlert:
    """An alert the monitor wants raised. ``key`` names the condition it is about (rule and
    subject, e.g. ``high-risk-my:record:<id>``): the store keeps one alert per key."""

    key: str
    rule: str
    kind: str
    subject_type: AlertSubject
    subject_id: str
    summary: str
    link: str
    details: dict[str, Any]


@dataclass(frozen=True)
class Alert(NewAlert):
    """An alert as kept: what it says, its link into the review application and each
    channel's delivery status. Never holds the ad's text."""

    created_at: datetime
    deliveries: dict[str, DeliveryStatus] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """An alert is known by its de-duplication key."""
        return self.key


@dataclass(frozen=True)
class PendingDelivery:
    """One alert still to send on one channel, and how many sends failed so far."""

    alert: Alert
    channel: str
    attempts: int


@dataclass(frozen=True)
class Run:
    """One crawl of one source, as the monitor that ran it saw it. ``monitor`` names that
    monitor process (``monitor.name``); ``id`` is the store's, unique across monitors."""

    id: str
    source: str
    monitor: str
    started_at: datetime
    finished_at: datetime | None
    outcome: RunOutcome
    counts: dict[str, Any]
    health: Health
    problems: list[str]
    error: str | None


def timestamp_ns(at: datetime) -> int:
    """``at`` (timezone-aware) in whole nanoseconds since the epoch: the order runs are
    listed in, exact where the engines' date fields keep only milliseconds."""
    return (at - _EPOCH) // timedelta(microseconds=1) * 1000


class Store(abc.ABC):
    """Where records live: upsert, get, search, aggregate, review."""

    @abc.abstractmethod
    def upsert(self, records: Iterable[Ad]) -> UpsertResult:
        """Insert or update records by id. Re-upserting an unchanged record changes nothing;
        review state and decisions already stored are never overwritten by crawl data."""

    @abc.abstractmethod
    def get(self, record_id: str) -> Ad | None: ...

    @abc.abstractmethod
    def search(self, query: SearchQuery) -> SearchResult: ...

    @abc.abstractmethod
    def trends(self, filters: SearchFilters, split_by: str,
               interval: Interval = "week") -> list[TrendBucket]:
        """Counts per time bucket (by ``posted_at``, else ``fetched_at``) and split value."""

    @abc.abstractmethod
    def decide(self, record_id: str, decision: Decision, expected_version: int) -> Ad:
        """Apply a review decision if the record is still at ``expected_version``;
        otherwise raise :class:`ConflictError`. Both outcomes go to the history."""

    @abc.abstractmethod
    def history(self, record_id: str) -> list[HistoryEntry]: ...

    @abc.abstractmethod
    def scan(self, filters: SearchFilters = NO_FILTERS,
             batch_size: int = 500) -> Iterator[Ad]:
        """Every record that matches, in a stable order, for exports and rebuilds."""

    @abc.abstractmethod
    def count(self, filters: SearchFilters = NO_FILTERS) -> int: ...

    # Alerts the monitor raised. They live with the records so that every monitor process
    # (on any machine) shares one de-duplication, and the review application lists them.

    @abc.abstractmethod
    def add_alert(self, alert: NewAlert, channels: Sequence[str]) -> Alert | None:
        """Keep ``alert`` with one pending delivery per channel, atomically: None (and
        nothing written) when an alert with the same key exists, even if another process
        adds it at the same moment."""

    @abc.abstractmethod
    def alert_keys(self, prefix: str) -> set[str]:
        """The keys of the alerts kept that start with ``prefix``."""

    @abc.abstractmethod
    def alerts(self, limit: int = 100, offset: int = 0) -> list[Alert]:
        """Alerts kept, newest first, within the first :data:`MAX_RESULT_WINDOW` (a
        ``ValueError`` past it)."""

    @abc.abstractmethod
    def pending_deliveries(self, channel: str, limit: int) -> list[PendingDelivery]:
        """Deliveries still to make on ``channel`` that nobody holds a claim on, oldest
        alert first."""

    @abc.abstractmethod
    def claim_delivery(self, alert_id: str, channel: str, lease: timedelta) -> bool:
        """Take the pending delivery for ``lease`` before sending it; False when another
        process holds it or it is no longer pending. Of several monitors that found the
        same pending delivery, one sends it. :meth:`record_delivery` ends the claim; a
        claim never ended (the sender died) lapses after ``lease``."""

    @abc.abstractmethod
    def release_delivery(self, alert_id: str, channel: str) -> None:
        """End a claim without an attempt: the delivery is pending for anyone again."""

    @abc.abstractmethod
    def deliveries_spent_since(self, channel: str, since: datetime) -> int:
        """How much of ``channel``'s rate limit is spent: alerts sent since ``since``, and
        those claimed now (being sent by some monitor)."""

    @abc.abstractmethod
    def record_delivery(self, alert_id: str, channel: str, status: DeliveryStatus,
                        error: str | None = None) -> None:
        """One attempt to send ``alert_id`` on ``channel`` and where it left the delivery."""

    # Crawl runs the monitors recorded. They live with the records so that every monitor
    # process judges a source's health from all its crawls, whichever machine ran them,
    # and ``lurewatch status`` and the review application show them all.

    @abc.abstractmethod
    def start_run(self, source: str, monitor: str) -> str:
        """Keep a new run of ``source`` by ``monitor``, 'running' from now; its id."""

    @abc.abstractmethod
    def finish_run(self, run_id: str, *, outcome: RunOutcome, counts: dict[str, Any],
                   health: Health, problems: list[str], error: str | None = None) -> None:
        """Record how the run ended, finished now; :class:`NotFoundError` for an unknown id."""

    @abc.abstractmethod
    def import_runs(self, runs: Iterable[Run]) -> int:
        """Keep runs recorded elsewhere (an older monitor database) as they are; a run
        whose id is already kept is left alone, so an import cut short can be repeated.
        Returns how many were added."""

    @abc.abstractmethod
    def recent_runs(self, source: str, limit: int) -> list[Run]:
        """The source's latest runs by any monitor, newest first."""

    @abc.abstractmethod
    def last_runs(self) -> dict[str, Run]:
        """Each source's latest run, by any monitor."""

    @abc.abstractmethod
    def last_finished_at(self, source: str) -> datetime | None:
        """When the source's latest crawl that ran to an end ('ok' or 'failed') finished."""

    @abc.abstractmethod
    def mark_abandoned_runs(self, monitor: str) -> int:
        """Mark 'interrupted' the runs ``monitor`` left 'running' (it died without
        finishing them); other monitors' running crawls may be alive and stay as they are."""

    def pivot(self, kind: str, value: str, size: int = 100) -> SearchResult:
        """All records sharing one phone, handle, e-mail, employer or cluster, oldest first."""
        if kind not in PIVOT_KINDS:
            raise StoreError(f"unknown pivot {kind!r}; expected one of {', '.join(PIVOT_KINDS)}")
        by_kind = {"phone": "phones", "handle": "handles", "email": "emails",
                   "employer": "employers", "cluster": "cluster_ids"}
        filters = SearchFilters(**{by_kind[kind]: (value,)})
        return self.search(SearchQuery(filters=filters, sort="age", size=size, facets=()))

    # Links between records, for the pivot pages. Generic: built on scan() and pivot(), so
    # every backend has them unchanged; a backend may answer them natively instead.

    def contact_groups(self, filters: SearchFilters = SearchFilters(),
                       min_size: int = 2) -> list[RecordGroup]:
        """Records (among those matching) linked by a shared phone, messaging handle,
        e-mail, URL domain or employer, as connected groups, riskiest first."""
        from classifiers.campaigns import link_groups

        return link_groups(self.scan(filters), by_cluster=False, min_size=min_size)

    def campaigns(self, filters: SearchFilters = SearchFilters(), min_size: int = 2,
                  limit: int = 50) -> list[RecordGroup]:
        """Campaigns by the records' stored ``campaign_id``, riskiest first (each summary
        covers the members that match ``filters``)."""
        from classifiers.campaigns import campaigns_by_stored_id

        sizes = self.campaign_sizes(filters, min_size)
        if not sizes:
            return []
        # Ranking needs each campaign's summary, so its members are read; but only those
        # of campaigns big enough, not every record (most are a campaign of their own).
        members = self.scan(replace(filters, campaign_ids=tuple(sorted(sizes))))
        return campaigns_by_stored_id(members, min_size=min_size)[:limit]

    @abc.abstractmethod
    def campaign_sizes(self, filters: SearchFilters, min_size: int) -> dict[str, int]:
        """Each stored ``campaign_id`` with at least ``min_size`` records matching
        ``filters``, and how many (at most ``MAX_CAMPAIGNS`` of the biggest)."""

    def campaign(self, campaign_id: str) -> RecordGroup | None:
        """One campaign: its members, sources, languages, first/last seen and score."""
        from classifiers.campaigns import summarise

        return summarise(self.scan(SearchFilters(campaign_ids=(campaign_id,))),
                         group_id=campaign_id)

    def cluster_template(self, cluster_id: str) -> ClusterTemplate | None:
        """A near-duplicate cluster's shared template and the slots that vary."""
        from classifiers.templates import MAX_MEMBERS, cluster_template

        hits = self.pivot("cluster", cluster_id, size=MAX_MEMBERS).hits
        return cluster_template([hit.record for hit in hits]) if hits else None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections; a no-op where there are none."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

