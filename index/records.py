"""The records aggregate: what a store does with ads and their review decisions."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from index.errors import StoreError
from index.query import (
    NO_FILTERS,
    PIVOT_KINDS,
    Interval,
    SearchFilters,
    SearchQuery,
    SearchResult,
    TrendBucket,
)
from lurewatch.record import Ad, Decision


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


class RecordStore(abc.ABC):
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

    @abc.abstractmethod
    def campaign_sizes(self, filters: SearchFilters, min_size: int) -> dict[str, int]:
        """Each stored ``campaign_id`` with at least ``min_size`` records matching
        ``filters``, and how many (at most ``MAX_CAMPAIGNS`` of the biggest)."""

    def pivot(self, kind: str, value: str, size: int = 100) -> SearchResult:
        """All records sharing one phone, handle, e-mail, employer or cluster, oldest first."""
        if kind not in PIVOT_KINDS:
            raise StoreError(f"unknown pivot {kind!r}; expected one of {', '.join(PIVOT_KINDS)}")
        by_kind = {"phone": "phones", "handle": "handles", "email": "emails",
                   "employer": "employers", "cluster": "cluster_ids"}
        filters = SearchFilters(**{by_kind[kind]: (value,)})
        return self.search(SearchQuery(filters=filters, sort="age", size=size, facets=()))
