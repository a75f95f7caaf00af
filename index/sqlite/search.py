"""Search, facets and trends in the embedded store."""

from __future__ import annotations

from typing import Any

from index import query as search_types
from index.errors import StoreError
from index.query import FACET_FIELDS, TREND_SPLITS
from index.sqlite.filters import where_clause
from lurewatch.record import HIGHLIGHT_END, HIGHLIGHT_START, Ad
from lurewatch.sqlite import Database

# Facet name -> the records column it counts; facets not listed here live in record_terms.
_COLUMN_FACETS = {"label": "label", "language": "language", "source": "source",
                  "country": "country", "review_state": "review_state", "sector": "sector"}
_BUCKET_SQL = {
    "day": "date(r.event_at)",
    "week": "date(r.event_at, '-6 days', 'weekday 1')",
    "month": "strftime('%Y-%m-01', r.event_at)",
}



class SQLiteSearch:
    """Full-text search with filters, facets and trend buckets over the records table."""

    db: Database

    def search(self, query: search_types.SearchQuery) -> search_types.SearchResult:
        where, params = where_clause(query.filters, query.text)
        db = self.db.connection()
        total = int(db.execute(f"SELECT count(*) FROM records r WHERE {where}",
                               params).fetchone()[0])
        order = {
            "score": "r.score IS NULL, r.score DESC, r.seq",
            "age": "r.event_at, r.seq",
            "newest": "r.event_at DESC, r.seq DESC",
            "relevance": "r.score IS NULL, r.score DESC, r.event_at DESC, r.seq",
        }[query.sort]
        # The page's ids first, then their documents: sorting never carries the documents.
        page = [row["seq"] for row in db.execute(
            f"SELECT r.seq FROM records r WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, query.size, query.offset])]
        docs = {row["seq"]: row["doc"] for row in db.execute(
            f"SELECT seq, doc FROM records WHERE seq IN ({','.join('?' * len(page))})", page)}
        hits = [search_types.Hit(record=Ad.model_validate_json(docs[seq])) for seq in page]
        if query.highlight and query.text.strip():
            for hit in hits:
                hit.highlights = _highlights(hit.record, query.text)
        facets = {name: self._facet(name, where, params) for name in query.facets}
        return search_types.SearchResult(total=total, hits=hits, facets=facets)

    def _facet(self, name: str, where: str, params: list[Any]) -> dict[str, int]:
        if name in _COLUMN_FACETS:
            column = _COLUMN_FACETS[name]
            sql = (f"SELECT r.{column} AS k, count(*) AS n FROM records r WHERE {where}"
                   f" AND r.{column} IS NOT NULL GROUP BY k ORDER BY n DESC, k")
        elif name in ("indicator", "phone", "handle", "email", "employer"):
            sql = ("SELECT t.value AS k, count(*) AS n FROM record_terms t"
                   f" JOIN records r ON r.seq = t.seq WHERE t.field = '{name}' AND {where}"
                   " GROUP BY k ORDER BY n DESC, k")
        else:
            raise StoreError(f"unknown facet {name!r}; expected one of {', '.join(FACET_FIELDS)}")
        return {row["k"]: row["n"] for row in self.db.execute(sql, params)}

    def trends(self, filters: search_types.SearchFilters, split_by: str,
               interval: search_types.Interval = "week") -> list[search_types.TrendBucket]:
        if split_by not in TREND_SPLITS:
            raise StoreError(f"cannot split trends by {split_by!r}; "
                             f"expected one of {', '.join(TREND_SPLITS)}")
        if interval not in _BUCKET_SQL:
            raise StoreError(f"unknown interval {interval!r}; expected day, week or month")
        where, params = where_clause(filters, "")
        bucket = _BUCKET_SQL[interval]
        if split_by == "indicator":
            sql = (f"SELECT {bucket} AS period, t.value AS k, count(*) AS n FROM records r"
                   " JOIN record_terms t ON t.seq = r.seq AND t.field = 'indicator'"
                   f" WHERE {where} GROUP BY period, k ORDER BY period, k")
        else:
            column = _COLUMN_FACETS[split_by]
            sql = (f"SELECT {bucket} AS period, coalesce(r.{column}, 'unknown') AS k,"
                   f" count(*) AS n FROM records r WHERE {where}"
                   " GROUP BY period, k ORDER BY period, k")
        return [search_types.TrendBucket(period=row["period"], key=row["k"], count=row["n"])
                for row in self.db.execute(sql, params)]


def _highlights(ad: Ad, text: str, context: int = 60,
                max_fragments: int = 3) -> dict[str, list[str]]:
    """Fragments of title and text around each query term, matches wrapped in the
    highlight marks. Done in Python so short terms and long ones mark alike."""
    terms = sorted({t.casefold() for t in text.split()}, key=len, reverse=True)
    result: dict[str, list[str]] = {}
    for field in ("title", "text"):
        value: str = getattr(ad, field)
        folded = value.casefold()
        if len(folded) != len(value):  # case-folding changed lengths: offsets unsafe
            folded = value.lower() if len(value.lower()) == len(value) else value
        spans: list[tuple[int, int]] = []
        for term in terms:
            start = folded.find(term)
            while start != -1 and len(spans) < 50:
                end = start + len(term)
                if not any(s < end and start < e for s, e in spans):
                    spans.append((start, end))
                start = folded.find(term, end)
        if not spans:
            continue
        spans.sort()
        fragments = []
        for start, end in spans[:max_fragments]:
            lo, hi = max(0, start - context), min(len(value), end + context)
            fragment = value[lo:start] + HIGHLIGHT_START + value[start:end] + HIGHLIGHT_END
            fragments.append(("…" if lo else "") + fragment + value[end:hi]
                             + ("…" if hi < len(value) else ""))
        result[field] = fragments
    return result
