"""The scorer interface: what the crawl pipeline, ``lurewatch classify`` and the demo call.

A scorer takes records and returns them with ``language``, ``risk_label``,
``risk_score``, ``indicators`` (with evidence spans into ``text``) and ``model_version``
filled in. Rules, the transformer and their combination all sit behind it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from lurewatch.record import Ad

log = logging.getLogger(__name__)


@runtime_checkable
class Scorer(Protocol):
    """Scores records in batches; must be safe to call on hostile text of any size."""

    @property
    def version(self) -> str:
        """The model version recorded on every record this scorer scores."""
        ...

    def score(self, ads: Sequence[Ad]) -> list[Ad]:
        """Return scored copies of ``ads``, in the same order."""
        ...


@dataclass(frozen=True)
class ScoringFailure:
    """A record the scorer could not score, and why."""

    position: int
    record_id: str
    error: str


def score_each(scorer: Scorer, ads: Sequence[Ad]) -> tuple[list[Ad | None],
                                                            list[ScoringFailure]]:
    """``scorer.score(ads)``, but a record that makes it fail costs only itself: the batch
    is scored again one record at a time, and each record that still fails is reported
    (``None`` in its place) instead of taking the batch down."""
    try:
        return list(scorer.score(ads)), []
    except Exception:  # noqa: BLE001 - any failure: find the record that causes it
        log.warning("a batch of %d records failed to score; scoring them one by one", len(ads))
    scored: list[Ad | None] = []
    failures: list[ScoringFailure] = []
    for position, ad in enumerate(ads):
        try:
            scored.append(scorer.score([ad])[0])
        except Exception as exc:  # noqa: BLE001 - reported, the rest go on
            log.exception("record %s could not be scored", ad.id)
            scored.append(None)
            failures.append(ScoringFailure(position, ad.id, f"{type(exc).__name__}: {exc}"))
    return scored, failures
