"""The runs aggregate: the crawls of each source and how they ended.

They live with the records so that every monitor process judges a source's health from
all its crawls, whichever machine ran them, and ``lurewatch status`` and the review
application show them all.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

RunOutcome = Literal["running", "ok", "failed", "interrupted"]
Health = Literal["healthy", "degraded", "unhealthy", "unknown"]
ABANDONED_RUN_ERROR = "the monitor stopped before this crawl finished"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


class RunStore(abc.ABC):
    """Crawl runs, shared by every monitor."""

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
