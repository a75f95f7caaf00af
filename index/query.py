"""The engine-neutral query types: filters, queries, hits, facets and trend buckets.

Handlers and commands build a :class:`SearchQuery` and call a store; they never see SQL
or query DSL. :meth:`SearchFilters.keys` is the one place filter values are normalised
(e-mails lower-cased, employers folded) the way the stores keep them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from lurewatch.record import Ad, normalise_employer

FACET_FIELDS = ("label", "indicator", "language", "source", "country", "review_state")
TREND_SPLITS = ("label", "indicator", "country", "sector", "source", "language")
PIVOT_KINDS = ("phone", "handle", "email", "employer", "cluster")
Interval = Literal["day", "week", "month"]
SortOrder = Literal["score", "age", "newest", "relevance"]
MAX_CAMPAIGNS = 10_000  # campaigns one listing considers: the engines' bucket limit
# Hits a listing can page through (offset + size), on every store: the engines' default
# index.max_result_window, past which they refuse a page.
MAX_RESULT_WINDOW = 10_000
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


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

    def keys(self) -> dict[str, tuple[str, ...]]:
        """The filters on a record's keys (:func:`index.documents.record_keys`), by key
        name, with values normalised as the keys are kept."""
        return {"indicator": self.indicators, "phone": self.phones, "handle": self.handles,
                "email": tuple(e.lower() for e in self.emails),
                "employer": tuple(normalise_employer(e) for e in self.employers)}


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
        # Control characters (NUL above all) are no search term anywhere and break the
        # embedded engine's query syntax; a space keeps the words on either side apart.
        object.__setattr__(self, "text", _CONTROL_CHARACTERS.sub(" ", self.text))  # frozen


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
