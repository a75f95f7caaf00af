"""Crawl statistics per source, built from each crawler's Scrapy stats.

:class:`SourceStats` is also what the monitor (``monitor``) judges a source's
health on and keeps per run, so its derived counts (bans, responses) live here once."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

PREFIX = "lurewatch/"
REJECTED_PREFIX = f"{PREFIX}rejected/"
STATUS_PREFIX = "downloader/response_status_count/"
# Seconds each batch of records took to score, one entry per batch (the score pipeline).
SCORING_SECONDS = f"{PREFIX}scoring_seconds"
SCORING_FAILED = f"{PREFIX}scoring_failed"  # records stored unscored: the scorer failed
# Pages the crawler refused as a CAPTCHA or a login wall (``rejected`` reasons).
BLOCKED_PAGE_REASONS = ("bot_challenge", "login_wall")


@dataclass
class SourceStats:
    """One source's crawl: what was fetched, extracted, stored and refused."""

    source: str
    pages_fetched: int = 0
    records_extracted: int = 0
    new: int = 0
    changed: int = 0
    already_seen: int = 0
    taken_down: int = 0  # stored ads whose page answered 404 or 410 when fetched again
    stored: int = 0
    store_failed: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    http_status: dict[str, int] = field(default_factory=dict)
    empty_text: int = 0
    no_date: int = 0
    duration: float = 0.0
    finish_reason: str | None = None
    scoring_seconds: list[float] = field(default_factory=list)

    @classmethod
    def from_scrapy(cls, source: str, stats: dict[str, Any]) -> SourceStats:
        """Read the ``lurewatch/*`` counters and HTTP statuses out of Scrapy's stats."""
        def count(key: str) -> int:
            return int(stats.get(PREFIX + key, 0))

        statuses: dict[str, int] = {}
        for key, value in stats.items():
            if key.startswith(STATUS_PREFIX):
                code = key.removeprefix(STATUS_PREFIX)
                if code in ("403", "429") or code.startswith("5"):
                    statuses[code] = int(value)
        return cls(
            source=source,
            pages_fetched=count("pages_fetched"),
            records_extracted=count("records_extracted"),
            new=count("new"),
            changed=count("changed"),
            already_seen=count("already_seen"),
            taken_down=count("taken_down"),
            rejected={k.removeprefix(REJECTED_PREFIX): int(v) for k, v in sorted(stats.items())
                      if k.startswith(REJECTED_PREFIX)},
            http_status=dict(sorted(statuses.items())),
            empty_text=count("empty_text"),
            no_date=count("no_date"),
            duration=float(stats.get("elapsed_time_seconds", 0.0)),
            finish_reason=stats.get("finish_reason"),
            scoring_seconds=[float(s) for s in stats.get(SCORING_SECONDS, [])],
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceStats:
        """Back from :meth:`to_dict` (the monitor's run history); unknown keys are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{"source": "", **{k: v for k, v in data.items() if k in known}})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def interrupted(self) -> bool:
        """Stopped before the end (Scrapy's finish reason when told to shut down)."""
        return self.finish_reason == "shutdown"

    @property
    def blocked_pages(self) -> int:
        """CAPTCHA and login-wall pages."""
        return sum(self.rejected.get(reason, 0) for reason in BLOCKED_PAGE_REASONS)

    @property
    def server_errors(self) -> int:
        return sum(n for code, n in self.http_status.items() if code.startswith("5"))

    @property
    def bans(self) -> int:
        """403 and 429 answers, CAPTCHA and login pages."""
        return (self.http_status.get("403", 0) + self.http_status.get("429", 0)
                + self.blocked_pages)

    @property
    def found(self) -> int:
        """Postings the crawl came across: extracted, or skipped as already stored."""
        return self.records_extracted + self.already_seen

    @property
    def responses(self) -> int:
        """Every response: pages handed to the spider (CAPTCHA and login pages among them)
        plus the error answers that never were (``http_status`` counts only those)."""
        return self.pages_fetched + sum(self.http_status.values())


@dataclass
class CrawlStats:
    """A whole crawl: per-source stats and their totals."""

    sources: dict[str, SourceStats] = field(default_factory=dict)
    duration: float = 0.0
    interrupted: bool = False
    exit_code: int | None = None

    def source(self, name: str) -> SourceStats:
        return self.sources.setdefault(name, SourceStats(source=name))

    def of_source(self, name: str) -> SourceStats:
        """One source's stats as the crawl ended for it: a crawl the parent saw
        interrupted counts as stopped early even if the child had no time to report its
        finish reason."""
        per_source = self.sources.get(name) or SourceStats(source=name)
        if self.interrupted and not per_source.interrupted:
            per_source = replace(per_source, finish_reason="shutdown")
        return per_source

    @property
    def totals(self) -> SourceStats:
        total = SourceStats(source="total", duration=self.duration)
        for stats in self.sources.values():
            for name in ("pages_fetched", "records_extracted", "new", "changed",
                         "already_seen", "taken_down", "stored", "store_failed",
                         "empty_text", "no_date"):
                setattr(total, name, getattr(total, name) + getattr(stats, name))
            for key, value in stats.rejected.items():
                total.rejected[key] = total.rejected.get(key, 0) + value
            for key, value in stats.http_status.items():
                total.http_status[key] = total.http_status.get(key, 0) + value
            total.scoring_seconds += stats.scoring_seconds
        return total

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``{"sources": {name: {...}}, "totals": {...}, ...}``."""
        return {
            "sources": {name: s.to_dict() for name, s in self.sources.items()},
            "totals": self.totals.to_dict(),
            "duration": round(self.duration, 3),
            "interrupted": self.interrupted,
            "exit_code": self.exit_code,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)
