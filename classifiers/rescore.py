"""Score stored records again, with the scorer the crawl now uses (the promoted model).

Records are read and written in batches through the store's bulk path (``upsert``). A
record whose label, score or model changes keeps what it had in ``score_history``; the
store keeps review state and decisions as they are on every upsert, and here indicators
a reviewer added stay and indicators a reviewer removed stay removed. A record the scorer
fails on is left as it was and counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from classifiers.base import Scorer, score_each
from index.base import Store
from index.errors import StoreError
from index.query import NO_FILTERS, SearchFilters
from lurewatch.record import Ad, ScoreChange

RESCORE_BATCH = 64


@dataclass
class RescoreReport:
    rescored: int = 0
    changed_label: int = 0
    failed: int = 0
    seconds: float = 0.0

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def keep_review_work(stored: Ad, scored: Ad, now: datetime) -> Ad:
    """``scored`` with the reviewers' indicator corrections of ``stored`` kept and, when
    the verdict moved, the old one appended to the history."""
    removed = {i for d in stored.decisions for i in d.indicators_removed}
    by_reviewer = [i for i in stored.indicators if i.source == "reviewer"]
    kept = {i.id for i in by_reviewer}
    indicators = [*by_reviewer, *(i for i in scored.indicators
                                  if i.id not in removed and i.id not in kept)]
    history = stored.score_history
    if (stored.risk_label, stored.risk_score, stored.model_version) != (
            scored.risk_label, scored.risk_score, scored.model_version):
        history = [*history, ScoreChange(risk_label=stored.risk_label,
                                         risk_score=stored.risk_score,
                                         model_version=stored.model_version, replaced_at=now)]
    return scored.model_copy(update={"indicators": indicators, "score_history": history})


def rescore(store: Store, scorer: Scorer, filters: SearchFilters = NO_FILTERS,
            batch_size: int = RESCORE_BATCH,
            progress: Callable[[int], None] | None = None) -> RescoreReport:
    """Score every record matching ``filters`` again; ``progress(n)`` after each batch."""
    report = RescoreReport()
    started = time.perf_counter()
    batch: list[Ad] = []

    def flush() -> None:
        scored, failures = score_each(scorer, batch)
        report.failed += len(failures)
        now = datetime.now(UTC)
        pairs = [(old, new) for old, new in zip(batch, scored, strict=True) if new is not None]
        result = store.upsert([keep_review_work(old, new, now) for old, new in pairs])
        if result.failed:
            raise StoreError(f"the store refused {result.failed} re-scored records: "
                             + "; ".join(result.errors[:3]))
        report.rescored += len(pairs)
        report.changed_label += sum(1 for old, new in pairs if new.risk_label != old.risk_label)
        if progress is not None:
            progress(len(batch))
        batch.clear()

    # Both stores page a scan by a key an upsert does not move (SQLite's row number, the
    # engine's id), so writing each batch back while scanning neither skips nor repeats.
    for ad in store.scan(filters):
        batch.append(ad)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    report.seconds = round(time.perf_counter() - started, 3)
    return report
