"""Source health, in the spirit of Spidermon: after each crawl, look at what came back and
compare it with the source's own recent history. A crawl's counts are the crawler's own
:class:`crawlers.stats.SourceStats`.

A source is ``unhealthy`` when a crawl clearly failed at its job (nothing fetched; pages
fetched but not one record extracted, which is what a silent layout change looks like;
most responses are bans, CAPTCHA or login pages), and ``degraded`` when something is off
against its usual numbers (more bans or server errors, more records without text or
date, far fewer records than usual).
"""

from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass
from typing import Any

from crawlers.stats import SourceStats
from index.base import Store
from index.errors import StoreError
from index.runs import Health
from lurewatch.config import HealthThresholds

log = logging.getLogger(__name__)

SEVERITY: dict[Health, int] = {"unknown": 0, "healthy": 1, "degraded": 2, "unhealthy": 3}


@dataclass(frozen=True)
class HealthReport:
    health: Health
    problems: list[str]


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def assess(counts: SourceStats, history: list[SourceStats],
           limits: HealthThresholds) -> HealthReport:
    """Judge one crawl against fixed limits and the source's earlier crawls (``history``,
    newest first, crawls that ran to the end only)."""
    findings: list[tuple[Health, str]] = []
    responses = counts.responses
    if responses == 0:
        findings.append(("unhealthy", "no pages fetched"))
    elif counts.pages_fetched > counts.blocked_pages and not (
            counts.records_extracted or counts.already_seen):
        # An incremental crawl that finds only postings it already has extracts nothing
        # but still counts them as seen; a page layout the extractors no longer know
        # yields neither.
        findings.append(("unhealthy", f"{counts.pages_fetched} pages fetched but no records"
                                      " found (layout changed?)"))

    ban_share = _share(counts.bans, responses)
    if ban_share >= limits.ban_share_unhealthy:
        findings.append(("unhealthy", f"{ban_share:.0%} of responses were bans"
                                      " (403/429, CAPTCHA or login pages)"))
    elif ban_share >= limits.ban_share_degraded:
        findings.append(("degraded", f"{ban_share:.0%} of responses were bans"
                                     " (403/429, CAPTCHA or login pages)"))
    error_share = _share(counts.server_errors, responses)
    if error_share >= limits.server_error_share_degraded:
        findings.append(("degraded", f"{error_share:.0%} of responses were server errors"))

    records = counts.records_extracted
    for name, part, absolute in (
        ("empty text", counts.empty_text, limits.empty_text_share_degraded),
        ("no date", counts.no_date, limits.no_date_share_degraded),
    ):
        share = _share(part, records)
        usual = _median([_share(getattr(h, name.replace(" ", "_")), h.records_extracted)
                         for h in history if h.records_extracted])
        if records and share >= absolute and share >= usual + limits.share_rise_degraded:
            findings.append(("degraded", f"{share:.0%} of records have {name}"
                                         f" (usually {usual:.0%})"))

    found, usual_found = counts.found, _median([h.found for h in history])
    if found and usual_found >= 5 and found < limits.records_drop_degraded * usual_found:
        findings.append(("degraded", f"{found} records found, usually {usual_found:.0f}"))

    if not findings:
        return HealthReport("healthy", [])
    worst = max((health for health, _ in findings), key=SEVERITY.__getitem__)
    return HealthReport(worst, [problem for _, problem in findings])


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def judged_end(store: Store, run_id: str, counts: SourceStats,
               limits: HealthThresholds) -> dict[str, Any]:
    """The end of a crawl that ran to its end, as :meth:`Store.finish_run` takes it: 'ok',
    with the health its counts show against the source's earlier complete crawls."""
    problems: list[str] = []
    try:
        history = [SourceStats.from_dict(run.counts)
                   for run in store.recent_runs(counts.source, limits.history_runs + 1)
                   if run.id != run_id and run.outcome == "ok"][: limits.history_runs]
    except StoreError as exc:
        log.warning("%s: store unavailable, crawl judged without its history: %s",
                    counts.source, exc)
        history, problems = [], ["not compared with earlier runs (store unavailable)"]
    report = assess(counts, history, limits)
    return {"outcome": "ok", "counts": counts.to_dict(), "health": report.health,
            "problems": report.problems + problems}
