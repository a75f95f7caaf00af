"""Watchlists: alerts when a new or changed record matches what a user pinned or saved.

A user of the review application pins a phone, handle, e-mail, employer or campaign, or
saves a search; the entries live in the review application's database (its
``watchlists`` table), which the monitor reads here, read-only, each time it checks the
alert rules. A record matches an active entry when it has the pinned value (normalised as
the store keeps it, :meth:`index.query.SearchFilters.keys`) or is a hit of the saved
search, and was stored (fetched, new or changed: re-storing an unchanged record keeps its
old ``fetched_at``) since the entry was made. Each (entry, record) alerts once: the alert's
de-duplication key is ``watchlist:<entry id>:record:<record id>``, kept by the store like
every other alert, and it goes out through every configured channel.

This module is the one place that knows the table's columns and the saved search's form
(JSON of the search page's text and filters), so the review application, one layer up,
writes them through :func:`search_spec` and reads them through :func:`watch_from_row`;
the alerts themselves are raised by :func:`monitor.alerts.watchlist_alerts`.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from index.query import SearchFilters, SearchQuery
from lurewatch.config import Settings

log = logging.getLogger(__name__)
WatchKind = Literal["phone", "handle", "email", "employer", "campaign", "search"]
WATCH_KINDS: tuple[WatchKind, ...] = ("phone", "handle", "email", "employer", "campaign",
                                      "search")
PIN_FILTERS: dict[str, str] = {"phone": "phones", "handle": "handles", "email": "emails",
                               "employer": "employers", "campaign": "campaign_ids"}
_DATE_FILTERS = ("posted_from", "posted_to")


def review_db_path(settings: Settings) -> Path:
    """The review application's database, where watchlists live."""
    return settings.data_dir / "review.db"


@dataclass(frozen=True)
class Watch:
    """One watchlist entry. ``value`` is the pinned value, or for a saved search the
    search page's query string as the user saved it; ``query`` is what it matches."""

    id: int
    owner: str
    kind: WatchKind
    value: str
    query: SearchQuery
    created_at: datetime
    paused: bool


def search_spec(text: str, filters: SearchFilters) -> str:
    """A saved search as kept: its text and filters as JSON."""
    kept = {name: (value.isoformat() if isinstance(value, datetime) else value)
            for name, value in asdict(filters).items()}
    return json.dumps({"text": text, "filters": kept}, sort_keys=True)


def _query_of(kind: str, value: str, spec: str | None) -> SearchQuery:
    if kind != "search":
        return SearchQuery(filters=SearchFilters(**{PIN_FILTERS[kind]: (value,)}))
    saved: dict[str, Any] = json.loads(spec or "{}")
    names = {f.name for f in fields(SearchFilters)}
    filters: dict[str, Any] = {}
    for name, kept in saved.get("filters", {}).items():
        if name not in names or kept is None:
            continue
        filters[name] = (datetime.fromisoformat(kept) if name in _DATE_FILTERS
                         else tuple(kept) if isinstance(kept, list) else kept)
    return SearchQuery(text=saved.get("text", ""), filters=SearchFilters(**filters))


def watch_from_row(row: sqlite3.Row) -> Watch:
    """An entry from its ``watchlists`` row."""
    return Watch(row["id"], row["owner"], row["kind"], row["value"],
                 _query_of(row["kind"], row["value"], row["query_json"]),
                 datetime.fromtimestamp(row["created_at"], UTC), bool(row["paused"]))


class WatchlistSource(Protocol):
    def active_watches(self) -> list[Watch]:
        """The entries not paused."""


class ReviewDbWatchlists:
    """The entries in the review application's database, read-only; none while the
    application has not made its database (or its watchlists table) yet."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def active_watches(self) -> list[Watch]:
        if not self.path.exists():
            return []
        connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        connection.row_factory = sqlite3.Row
        try:
            rows = connection.execute(
                "SELECT * FROM watchlists WHERE paused = 0 ORDER BY id").fetchall()
        except sqlite3.OperationalError as exc:  # an application not migrated yet
            log.debug("no watchlists read from %s: %s", self.path, exc)
            return []
        finally:
            connection.close()
        return [watch_from_row(row) for row in rows]
