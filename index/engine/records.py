"""Reading records and review decisions in an engine store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from index.engine.base import EngineBase, EngineRequestError
from index.engine.documents import from_document, to_document
from index.engine.queries import bool_query, merge_highlights, search_body, trends_body
from index.errors import ConflictError, NotFoundError
from index.query import (
    MAX_CAMPAIGNS,
    NO_FILTERS,
    Hit,
    Interval,
    SearchFilters,
    SearchQuery,
    SearchResult,
    TrendBucket,
)
from index.records import HistoryEntry
from lurewatch.record import Ad, Decision, apply_decision


class EngineRecords(EngineBase):
    """Get, search, aggregate and review records; the audit index keeps every attempt."""

    def _get_raw(self, record_id: str) -> dict[str, Any] | None:
        try:
            return self.request(self.client.get, index=self.names.alias, id=record_id)
        except EngineRequestError as exc:
            if exc.status == 404:
                return None
            raise

    def get(self, record_id: str) -> Ad | None:
        self.ensure_index()
        found = self._get_raw(record_id)
        return from_document(found["_source"]) if found else None

    def search(self, query: SearchQuery) -> SearchResult:
        self.ensure_index()
        found = self.request(self.client.search, index=self.names.alias, body=search_body(query))
        hits = [Hit(record=from_document(h["_source"]),
                    highlights=merge_highlights(h.get("highlight", {})))
                for h in found["hits"]["hits"]]
        aggs = found.get("aggregations", {})
        facets = {name: {b["key"]: b["doc_count"] for b in aggs[f"facet_{name}"]["buckets"]}
                  for name in query.facets}
        return SearchResult(total=found["hits"]["total"]["value"], hits=hits, facets=facets)

    def campaign_sizes(self, filters: SearchFilters, min_size: int) -> dict[str, int]:
        self.ensure_index()
        found = self.request(self.client.search, index=self.names.alias, body={
            "size": 0, "query": bool_query(filters),
            "aggs": {"campaigns": {"terms": {"field": "campaign_id", "size": MAX_CAMPAIGNS,
                                             "min_doc_count": min_size}}}})
        return {bucket["key"]: bucket["doc_count"]
                for bucket in found["aggregations"]["campaigns"]["buckets"]}

    def trends(self, filters: SearchFilters, split_by: str,
               interval: Interval = "week") -> list[TrendBucket]:
        self.ensure_index()
        body = trends_body(filters, split_by, interval)
        found = self.request(self.client.search, index=self.names.alias, body=body)
        return [TrendBucket(period=period["key_as_string"], key=str(split["key"]),
                            count=split["doc_count"])
                for period in found["aggregations"]["periods"]["buckets"]
                for split in period["split"]["buckets"]]

    def count(self, filters: SearchFilters = NO_FILTERS) -> int:
        self.ensure_index()
        found = self.request(self.client.count, index=self.names.alias,
                           body={"query": bool_query(filters)})
        return int(found["count"])

    def scan(self, filters: SearchFilters = NO_FILTERS,
             batch_size: int = 500) -> Iterator[Ad]:
        """Every match ordered by id, paged with ``search_after`` (no deep ``from``)."""
        self.ensure_index()
        body: dict[str, Any] = {"query": bool_query(filters), "size": batch_size,
                                "sort": [{"id": "asc"}], "track_total_hits": False}
        while True:
            found = self.request(self.client.search, index=self.names.alias, body=body)
            hits = found["hits"]["hits"]
            for hit in hits:
                yield from_document(hit["_source"])
            if len(hits) < batch_size:
                return
            body["search_after"] = hits[-1]["sort"]

    def decide(self, record_id: str, decision: Decision, expected_version: int) -> Ad:
        self.ensure_index()
        found = self._get_raw(record_id)
        if found is None:
            raise NotFoundError(f"no record {record_id}")
        current = from_document(found["_source"])
        if current.review_version != expected_version:
            self._audit(record_id, decision, expected_version, "conflict")
            raise ConflictError(record_id, expected_version, current.review_version)
        decided = apply_decision(current, decision)
        try:
            # The engine refuses the write if anyone wrote the record since we read it.
            self.request(self.client.index, index=self.names.alias, id=record_id,
                       body=to_document(decided), if_seq_no=found["_seq_no"],
                       if_primary_term=found["_primary_term"], refresh="true")
        except EngineRequestError as exc:
            if exc.status != 409:
                raise
            latest = self._get_raw(record_id)
            actual = from_document(latest["_source"]).review_version if latest else None
            self._audit(record_id, decision, expected_version, "conflict")
            raise ConflictError(record_id, expected_version, actual) from None
        self._audit(record_id, decision, expected_version, "applied")
        return decided

    def _audit(self, record_id: str, decision: Decision, from_version: int,
               outcome: str) -> None:
        """Append one attempt to the audit index (create-only: entries are never changed)."""
        at = decision.at if decision.at.tzinfo else decision.at.replace(tzinfo=UTC)
        self.request(self.client.index, index=self.names.audit, op_type="create", refresh="true",
                   body={"record_id": record_id, "actor": decision.reviewer,
                         "action": "decide", "outcome": outcome, "from_version": from_version,
                         "state": str(decision.state), "note": decision.note,
                         "at": at.isoformat(), "recorded_at": time.time_ns()})

    def history(self, record_id: str) -> list[HistoryEntry]:
        self.ensure_index()
        found = self.request(self.client.search, index=self.names.audit, body={
            "query": {"term": {"record_id": record_id}}, "size": 10_000,
            "sort": [{"recorded_at": "asc"}]})
        return [
            HistoryEntry(record_id=s["record_id"], actor=s["actor"], action=s["action"],
                         outcome=s["outcome"], from_version=s["from_version"],
                         state=s["state"], note=s["note"], at=datetime.fromisoformat(s["at"]))
            for s in (hit["_source"] for hit in found["hits"]["hits"])
        ]
