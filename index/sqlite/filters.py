"""The WHERE clause for search filters and text, over the ``records`` table as ``r``.

Text terms of three characters or more use the FTS5 trigram index; shorter ones (many
Chinese words have two characters) fall back to a LIKE scan of the same table.
"""

from __future__ import annotations

from typing import Any

from index.query import SearchFilters
from index.sqlite.schema import iso

SHORT_TERM = 3  # the trigram tokenizer cannot match shorter terms


def fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def where_clause(filters: SearchFilters, text: str) -> tuple[str, list[Any]]:
    """The WHERE clause (over alias ``r``) and its parameters for filters and text."""
    clauses: list[str] = ["1=1"]
    params: list[Any] = []

    def any_of(column: str, values: tuple[str, ...]) -> None:
        if values:
            clauses.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(values)

    any_of("r.label", filters.labels)
    any_of("r.language", filters.languages)
    any_of("r.source", filters.sources)
    any_of("r.country", filters.countries)
    any_of("r.review_state", filters.review_states)
    any_of("r.cluster_id", filters.cluster_ids)
    any_of("r.campaign_id", filters.campaign_ids)
    for field, values in filters.keys().items():
        # Several values of one field: any of them (a record with all is not required).
        if values:
            clauses.append(
                "r.seq IN (SELECT seq FROM record_terms WHERE field = ? AND value IN"
                f" ({','.join('?' * len(values))}))")
            params.extend([field, *values])
    if filters.posted_from is not None:
        clauses.append("r.event_at >= ?")
        params.append(iso(filters.posted_from))
    if filters.posted_to is not None:
        clauses.append("r.event_at <= ?")
        params.append(iso(filters.posted_to))
    if filters.score_min is not None:
        clauses.append("r.score >= ?")
        params.append(filters.score_min)
    if filters.score_max is not None:
        clauses.append("r.score <= ?")
        params.append(filters.score_max)
    for term in text.split():
        if len(term) >= SHORT_TERM:
            clauses.append("r.seq IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?)")
            params.append(fts_phrase(term))
        else:
            clauses.append("r.seq IN (SELECT rowid FROM records_fts"
                           " WHERE title LIKE ? ESCAPE '\\' OR text LIKE ? ESCAPE '\\')")
            like = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params.extend([like, like])
    return " AND ".join(clauses), params
