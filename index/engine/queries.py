"""Query DSL for the engine stores, built from the neutral :mod:`index.base` types.

Elasticsearch and OpenSearch share this DSL unchanged; nothing here knows which client
sends it.
"""

from __future__ import annotations

from typing import Any

from index.engine.mapping import KEYS_FIELD
from index.errors import StoreError
from index.query import (
    FACET_FIELDS,
    TREND_SPLITS,
    SearchFilters,
    SearchQuery,
    SortOrder,
)
from lurewatch.record import HIGHLIGHT_END, HIGHLIGHT_START

# Facet / trend split name -> the field it counts.
FIELD_OF = {
    "label": "risk_label",
    "indicator": f"{KEYS_FIELD}.indicator",
    "language": "language",
    "source": "source",
    "country": "country",
    "review_state": "review_state",
    "sector": "sector",
    "phone": f"{KEYS_FIELD}.phone",
    "handle": f"{KEYS_FIELD}.handle",
    "email": f"{KEYS_FIELD}.email",
    "employer": f"{KEYS_FIELD}.employer",
}
EVENT_AT = f"{KEYS_FIELD}.event_at"
FACET_SIZE = 200
TEXT_FIELDS = ("title", "text")


def _iso(value: Any) -> str:
    return value.isoformat() if value.tzinfo else value.isoformat() + "Z"


def filter_clauses(filters: SearchFilters) -> list[dict[str, Any]]:
    """One ``terms`` clause per non-empty filter (any of its values), ranges for dates
    and scores; all clauses must hold."""
    clauses: list[dict[str, Any]] = []
    by_field: dict[str, tuple[str, ...]] = {
        "risk_label": filters.labels,
        "language": filters.languages,
        "source": filters.sources,
        "country": filters.countries,
        "review_state": filters.review_states,
        "cluster_id": filters.cluster_ids,
        "campaign_id": filters.campaign_ids,
        **{FIELD_OF[key]: values for key, values in filters.keys().items()},
    }
    for field, values in by_field.items():
        if values:
            clauses.append({"terms": {field: list(values)}})
    dates: dict[str, str] = {}
    if filters.posted_from is not None:
        dates["gte"] = _iso(filters.posted_from)
    if filters.posted_to is not None:
        dates["lte"] = _iso(filters.posted_to)
    if dates:
        clauses.append({"range": {EVENT_AT: dates}})
    scores: dict[str, float] = {}
    if filters.score_min is not None:
        scores["gte"] = filters.score_min
    if filters.score_max is not None:
        scores["lte"] = filters.score_max
    if scores:
        clauses.append({"range": {"risk_score": scores}})
    return clauses


def text_clauses(text: str) -> list[dict[str, Any]]:
    """Every whitespace-separated term must occur in the title or the text, as a word
    or inside one: the bigram phrase finds it in unspaced scripts, the analysed field
    finds single CJK characters and scores relevance."""
    clauses = []
    for term in text.split():
        should = []
        for field in TEXT_FIELDS:
            should.append({"match_phrase": {field: term}})
            should.append({"match_phrase": {f"{field}.grams": term}})
        clauses.append({"bool": {"should": should, "minimum_should_match": 1}})
    return clauses


def bool_query(filters: SearchFilters, text: str = "") -> dict[str, Any]:
    must = text_clauses(text)
    flt = filter_clauses(filters)
    if not must and not flt:
        return {"match_all": {}}
    return {"bool": {"must": must, "filter": flt}}


def sort_clause(order: SortOrder, has_text: bool) -> list[Any]:
    score = {"risk_score": {"order": "desc", "missing": "_last"}}
    by_order: dict[str, list[Any]] = {
        "score": [score, {EVENT_AT: {"order": "desc", "missing": "_last"}}, {"id": "asc"}],
        "age": [{EVENT_AT: {"order": "asc", "missing": "_last"}}, {"id": "asc"}],
        "newest": [{EVENT_AT: {"order": "desc", "missing": "_last"}}, {"id": "desc"}],
        "relevance": [score, {EVENT_AT: {"order": "desc", "missing": "_last"}}, {"id": "asc"}],
    }
    if order not in by_order:
        raise StoreError(f"unknown sort {order!r}; expected one of {', '.join(by_order)}")
    if order == "relevance" and has_text:
        return ["_score", *by_order["relevance"]]
    return by_order[order]


def facet_aggs(names: tuple[str, ...]) -> dict[str, Any]:
    aggs = {}
    for name in names:
        if name not in FIELD_OF:
            raise StoreError(f"unknown facet {name!r}; expected one of {', '.join(FACET_FIELDS)}")
        aggs[f"facet_{name}"] = {"terms": {"field": FIELD_OF[name], "size": FACET_SIZE}}
    return aggs


def highlight_clause() -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for field in TEXT_FIELDS:
        fields[field] = {"number_of_fragments": 3, "fragment_size": 150}
        fields[f"{field}.grams"] = {"number_of_fragments": 3, "fragment_size": 150}
    return {"pre_tags": [HIGHLIGHT_START], "post_tags": [HIGHLIGHT_END],
            "encoder": "default", "fields": fields}


def merge_highlights(raw: dict[str, list[str]]) -> dict[str, list[str]]:
    """Per field, the analysed field's fragments, else the bigram field's; bigram matches
    come back one mark per gram, so neighbouring marks are joined into one."""
    merged = {}
    for field in TEXT_FIELDS:
        fragments = raw.get(field) or raw.get(f"{field}.grams")
        if fragments:
            merged[field] = [f.replace(HIGHLIGHT_END + HIGHLIGHT_START, "") for f in fragments]
    return merged


def search_body(query: SearchQuery) -> dict[str, Any]:
    body: dict[str, Any] = {
        "query": bool_query(query.filters, query.text),
        "sort": sort_clause(query.sort, bool(query.text.strip())),
        "size": query.size,
        "from": query.offset,
        "track_total_hits": True,
    }
    if query.facets:
        body["aggs"] = facet_aggs(query.facets)
    if query.highlight and query.text.strip():
        body["highlight"] = highlight_clause()
    return body


_INTERVALS = {"day": "day", "week": "week", "month": "month"}


def trends_body(filters: SearchFilters, split_by: str, interval: str) -> dict[str, Any]:
    if split_by not in TREND_SPLITS:
        raise StoreError(f"cannot split trends by {split_by!r}; "
                         f"expected one of {', '.join(TREND_SPLITS)}")
    if interval not in _INTERVALS:
        raise StoreError(f"unknown interval {interval!r}; expected day, week or month")
    split: dict[str, Any] = {"field": FIELD_OF[split_by], "size": FACET_SIZE}
    if split_by != "indicator":  # a record without the field still counts, as 'unknown'
        split["missing"] = "unknown"
    return {
        "size": 0,
        "query": bool_query(filters),
        "aggs": {"periods": {
            "date_histogram": {"field": EVENT_AT, "calendar_interval": _INTERVALS[interval],
                               "format": "yyyy-MM-dd", "min_doc_count": 1},
            "aggs": {"split": {"terms": split}},
        }},
    }
