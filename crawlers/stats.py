"""Crawl statistics per source, built from each crawler's Scrapy stats."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

PREFIX = "lurewatch/"
REJECTED_PREFIX = f"{PREFIX}rejected/"
STATUS_PREFIX = "downloader/response_status_count/"


@dataclass
class SourceStats:
    """One source's crawl: what was fetched, extracted, stored and refused."""

    source: str
    pages_fetched: int = 0
    records_extracted: int = 0
    new: int = 0
    changed: int = 0
    already_seen: int = 0
    stored: int = 0
    store_failed: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    http_status: dict[str, int] = field(default_factory=dict)
    empty_text: int = 0
    no_date: int = 0
    duration: float = 0.0
    finish_reason: str | None = None

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
            rejected={k.removeprefix(REJECTED_PREFIX): int(v) for k, v in sorted(stats.items())
                      if k.startswith(REJECTED_PREFIX)},
            http_status=dict(sorted(statuses.items())),
            empty_text=count("empty_text"),
            no_date=count("no_date"),
            duration=float(stats.get("elapsed_time_seconds", 0.0)),
            finish_reason=stats.get("finish_reason"),
        )

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


@dataclass
class CrawlStats:
    """A whole crawl: per-source stats and their totals."""

    sources: dict[str, SourceStats] = field(default_factory=dict)
    duration: float = 0.0
    interrupted: bool = False
    exit_code: int | None = None

    def source(self, name: str) -> SourceStats:
        return self.sources.setdefault(name, SourceStats(source=name))

    @property
    def totals(self) -> SourceStats:
        total = SourceStats(source="total", duration=self.duration)
        for stats in self.sources.values():
            for name in ("pages_fetched", "records_extracted", "new", "changed",
                         "already_seen", "stored", "store_failed", "empty_text", "no_date"):
                setattr(total, name, getattr(total, name) + getattr(stats, name))
            for key, value in stats.rejected.items():
                total.rejected[key] = total.rejected.get(key, 0) + value
            for key, value in stats.http_status.items():
                total.http_status[key] = total.http_status.get(key, 0) + value
        return total

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``{"sources": {name: {...}}, "totals": {...}, ...}``."""
        return {
            "sources": {name: asdict(s) for name, s in self.sources.items()},
            "totals": asdict(self.totals),
            "duration": round(self.duration, 3),
            "interrupted": self.interrupted,
            "exit_code": self.exit_code,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)
