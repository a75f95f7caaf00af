"""Making, finding, pausing and deleting watchlist entries: the same rules for the
``/watchlists`` page and the API."""

from __future__ import annotations

from starlette.datastructures import QueryParams

from index.query import NO_FILTERS
from monitor.watchlists import WATCH_KINDS, Watch, search_spec
from review_ui.appdb import ReviewDB
from review_ui.appdb.accounts import User
from review_ui.errors import Refused
from review_ui.forms import Parsed
from review_ui.services.search import SearchRequest

MAX_VALUE = 2000


def add_watch(db: ReviewDB, user: User, kind: str, value: str) -> Watch:
    """A new entry of ``user``'s, or a 400 saying what is wrong with ``kind`` or
    ``value``. A saved search is the search page's query string (with or without its
    ``?``), read by the search page's own code, so it matches what the page shows."""
    value = value.strip()
    if kind not in WATCH_KINDS:
        raise Refused(400, f"A watchlist entry is one of {', '.join(WATCH_KINDS)}.",
                      link="/watchlists")
    if not value or len(value) > MAX_VALUE:
        raise Refused(400, f"A watchlist entry needs a value of at most {MAX_VALUE}"
                      " characters.", link="/watchlists")
    if kind != "search":
        return db.add_watch(user.username, kind, value)  # type: ignore[arg-type]
    value = value.removeprefix("?")
    parsed = Parsed()
    wanted = SearchRequest.from_params(QueryParams(value), parsed, 1)
    if parsed.errors:
        raise Refused(400, "; ".join(parsed.errors), link="/watchlists")
    if not wanted.text and wanted.filters == NO_FILTERS:
        raise Refused(400, "A saved search needs a query or a filter: it would match"
                      " every record.", link="/watchlists")
    return db.add_watch(user.username, "search", value,
                        search_spec(wanted.text, wanted.filters))


def _not_yours() -> Refused:
    # Also for another user's entry: that it exists is theirs to know.
    return Refused(404, "You have no watchlist entry with that number.", link="/watchlists")


def set_paused(db: ReviewDB, user: User, watch_id: int, paused: bool) -> Watch:
    """Pause or resume ``user``'s entry (again is no change), or a 404."""
    watch = db.set_watch_paused(watch_id, user.username, paused)
    if watch is None:
        raise _not_yours()
    return watch


def delete(db: ReviewDB, user: User, watch_id: int) -> None:
    if not db.delete_watch(watch_id, user.username):
        raise _not_yours()
