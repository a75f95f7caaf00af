"""Reading filters from query strings. Bad values become one clear message on the page
(and are ignored), never a stack trace or a bare 422."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from annotated_types import Ge, Le
from starlette.datastructures import QueryParams

from index.query import MAX_RESULT_WINDOW, SearchFilters
from review_ui.services.triage import QueueFilters

# SQLite stores integers in 64 bits; a larger id or version cannot name a row, so it is
# refused at the edge (400) rather than overflowing in the driver (500).
SQLITE_MAX_INT = 2**63 - 1
RowId = Annotated[int, Ge(0), Le(SQLITE_MAX_INT)]


def parse_row_id(raw: str) -> int | None:
    """``raw`` as a :data:`RowId` (an id or a version inside a form value such as
    ``selected=ID:version``), or None if it is not one: ASCII digits only, since
    ``str.isdigit`` also takes "²" and "١", and short enough that ``int()`` never meets
    Python's limit on digits."""
    if raw.isascii() and raw.isdigit() and len(raw) <= len(str(SQLITE_MAX_INT)):
        value = int(raw)
        return value if value <= SQLITE_MAX_INT else None
    return None


@dataclass
class Parsed:
    errors: list[str] = field(default_factory=list)

    def many(self, params: QueryParams, name: str) -> tuple[str, ...]:
        return tuple(v.strip() for v in params.getlist(name) if v.strip())

    def number(self, params: QueryParams, name: str) -> float | None:
        raw = params.get(name, "").strip()
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            self.errors.append(f"{name}: {raw!r} is not a number")
            return None
        if not 0.0 <= value <= 1.0:
            self.errors.append(f"{name}: scores run from 0 to 1, not {raw}")
            return None
        return value

    def day(self, params: QueryParams, name: str, *, end: bool = False) -> datetime | None:
        raw = params.get(name, "").strip()
        if not raw:
            return None
        try:
            parsed = date.fromisoformat(raw)
        except ValueError:
            self.errors.append(f"{name}: {raw!r} is not a date (YYYY-MM-DD)")
            return None
        return datetime.combine(parsed, time.max if end else time.min, tzinfo=UTC)

    def page(self, params: QueryParams, page_size: int) -> int:
        raw = params.get("page", "1")
        last = MAX_RESULT_WINDOW // page_size
        if raw.isdigit() and 1 <= int(raw) <= last:
            return int(raw)
        self.errors.append(f"page: {raw!r} is not a page number from 1 to {last} (only the "
                           f"first {MAX_RESULT_WINDOW:,} results can be paged through; "
                           "narrow the search)")
        return 1

    def choice(self, params: QueryParams, name: str, allowed: tuple[str, ...],
               default: str) -> str:
        raw = params.get(name, default)
        if raw in allowed:
            return raw
        self.errors.append(f"{name}: {raw!r} is not one of {', '.join(allowed)}")
        return default


def _record_filters(params: QueryParams, parsed: Parsed) -> dict[str, Any]:
    """The filters search and the queue share."""
    return {name: parsed.many(params, key) for name, key in (
        ("labels", "label"), ("indicators", "indicator"), ("languages", "language"),
        ("sources", "source"), ("countries", "country"))} | {
        "score_min": parsed.number(params, "score_min"),
        "score_max": parsed.number(params, "score_max")}


def search_filters(params: QueryParams, parsed: Parsed) -> SearchFilters:
    return SearchFilters(
        **_record_filters(params, parsed),
        review_states=parsed.many(params, "review_state"),
        posted_from=parsed.day(params, "from"),
        posted_to=parsed.day(params, "to", end=True),
    )


def queue_filters(params: QueryParams, parsed: Parsed) -> QueueFilters:
    sort = parsed.choice(params, "sort", ("score", "age", "newest"), "score")
    return QueueFilters(sort=sort, **_record_filters(params, parsed))  # type: ignore[arg-type]
