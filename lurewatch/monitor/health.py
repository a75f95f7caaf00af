"""Source health, in the spirit of Spidermon: after each crawl, look at what came back and
compare it with the source's own recent history.

A source is ``unhealthy`` when a crawl clearly failed at its job (nothing fetched; pages
fetched but not one record extracted, which is what a silent layout change looks like;
most responses are bans, CAPTCHA or login pages), and ``degraded`` when something is off
against its usual numbers (more bans or server errors, more records without text or
date, far fewer records than usual).
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from lurewatch.config import HealthThresholds
from lurewatch.monitor.state import Health

SEVERITY: dict[Health, int] = {"unknown": 0, "healthy": 1, "degraded": 2, "unhealthy": 3}


@dataclass(frozen=True)
class CrawlCounts:
    """What one crawl of one source produced, in the monitor's terms."""

    pages_fetched: int = 0
    records_extracted: int = 0
    new: int = 0
    changed: int = 0
    already_seen: int = 0
    stored: int = 0
    store_errors: int = 0
    http_403: int = 0
    http_429: int = 0
    http_5xx: int = 0
    blocked_pages: int = 0  # CAPTCHA or login-wall pages
    empty_text: int = 0
    no_date: int = 0
    duration_seconds: float = 0.0
    rejected: dict[str, int] = field(default_factory=dict)
    interrupted: bool = False  # stopped before the end (monitor shutdown); not judged

    @property
    def bans(self) -> int:
        return self.http_403 + self.http_429 + self.blocked_pages

    @property
    def found(self) -> int:
        """Postings the crawl came across: extracted, or skipped as already stored."""
        return self.records_extracted + self.already_seen

    @property
    def responses(self) -> int:
        """Every response, the denominator of the rates: pages handed to the spider
        (CAPTCHA and login pages among them) plus the error answers that never were."""
        return self.pages_fetched + self.http_403 + self.http_429 + self.http_5xx

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CrawlCounts:
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


@dataclass(frozen=True)
class HealthReport:
    health: Health
    problems: list[str]


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def assess(counts: CrawlCounts, history: list[CrawlCounts],
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
    error_share = _share(counts.http_5xx, responses)
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
