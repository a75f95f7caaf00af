"""Crawl runs in an engine store."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from index.engine.base import EngineBase, EngineRequestError
from index.errors import NotFoundError
from index.runs import ABANDONED_RUN_ERROR, Health, Run, RunOutcome, timestamp_ns


def _run_document(run: Run) -> dict[str, Any]:
    return {"id": run.id, "source": run.source, "monitor": run.monitor,
            "started_at": run.started_at.isoformat(), "started_ns": timestamp_ns(run.started_at),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "outcome": run.outcome, "counts": run.counts, "health": run.health,
            "problems": run.problems, "error": run.error}


def _run(source: dict[str, Any]) -> Run:
    return Run(id=source["id"], source=source["source"], monitor=source["monitor"],
               started_at=datetime.fromisoformat(source["started_at"]),
               finished_at=datetime.fromisoformat(source["finished_at"])
               if source["finished_at"] else None,
               outcome=source["outcome"], counts=source["counts"], health=source["health"],
               problems=source["problems"], error=source["error"])


class EngineRuns(EngineBase):
    """The runs index."""

    def start_run(self, source: str, monitor: str) -> str:
        self.ensure_index()
        run = Run(id=uuid.uuid4().hex, source=source, monitor=monitor,
                  started_at=datetime.now(UTC), finished_at=None, outcome="running",
                  counts={}, health="unknown", problems=[], error=None)
        self.request(self.client.index, index=self.names.runs, id=run.id, op_type="create",
                     refresh="true", body=_run_document(run))
        return run.id

    def finish_run(self, run_id: str, *, outcome: RunOutcome, counts: dict[str, Any],
                   health: Health, problems: list[str], error: str | None = None) -> None:
        self.ensure_index()
        try:
            # Only one monitor ever writes a run, so a plain partial update loses nothing.
            self.request(self.client.update, index=self.names.runs, id=run_id, refresh="true",
                         body={"doc": {"finished_at": datetime.now(UTC).isoformat(),
                                       "outcome": outcome, "counts": counts, "health": health,
                                       "problems": problems, "error": error}})
        except EngineRequestError as exc:
            if exc.status == 404:
                raise NotFoundError(f"no run {run_id}") from None
            raise

    def import_runs(self, runs: Iterable[Run]) -> int:
        self.ensure_index()
        # 409: imported before, so not added again.
        return self._bulk_skipping_conflicts(
            ({"_op_type": "create", "_index": self.names.runs, "_id": run.id,
              "_source": _run_document(run)} for run in runs), self.names.runs, "runs to import")

    def _runs(self, query: dict[str, Any], size: int, **body: Any) -> list[Run]:
        found = self.request(self.client.search, index=self.names.runs, body={
            "query": query, "size": size, "sort": [{"started_ns": "desc"}, {"id": "desc"}],
            **body})
        return [_run(hit["_source"]) for hit in found["hits"]["hits"]]

    def recent_runs(self, source: str, limit: int) -> list[Run]:
        self.ensure_index()
        return self._runs({"term": {"source": source}}, limit)

    def last_runs(self) -> dict[str, Run]:
        self.ensure_index()
        # One hit per source, its newest; 10,000 is the engines' default result window.
        runs = self._runs({"match_all": {}}, 10_000, collapse={"field": "source"})
        return {run.source: run for run in runs}

    def last_finished_at(self, source: str) -> datetime | None:
        self.ensure_index()
        found = self.request(self.client.search, index=self.names.runs, body={
            "query": {"bool": {"filter": [{"term": {"source": source}},
                                          {"terms": {"outcome": ["ok", "failed"]}}]}},
            "size": 1, "sort": [{"finished_at": "desc"}], "_source": ["finished_at"]})
        hits = found["hits"]["hits"]
        return datetime.fromisoformat(hits[0]["_source"]["finished_at"]) if hits else None

    def mark_abandoned_runs(self, monitor: str) -> int:
        self.ensure_index()
        # Read the runs left running, then write each over the version read: a run finished
        # meanwhile is a version conflict, skipped, so its finish stands. Not one
        # _update_by_query with a painless script: both are modules (reindex, lang-painless)
        # an Elasticsearch or OpenSearch install may leave out, and this works on any.
        change = {"outcome": "interrupted", "finished_at": datetime.now(UTC).isoformat(),
                  "error": ABANDONED_RUN_ERROR}
        query = {"bool": {"filter": [{"term": {"monitor": monitor}},
                                     {"term": {"outcome": "running"}}]}}
        marked = 0
        after: dict[str, Any] = {}
        while True:
            page = self.request(self.client.search, index=self.names.runs, body={
                "query": query, "size": self.batch_size, "sort": [{"id": "asc"}],
                "_source": False, "seq_no_primary_term": True, **after})
            hits = page["hits"]["hits"]
            if not hits:
                return marked
            marked += self._bulk_skipping_conflicts(
                ({"_op_type": "update", "_index": self.names.runs, "_id": hit["_id"],
                  "if_seq_no": hit["_seq_no"], "if_primary_term": hit["_primary_term"],
                  "doc": change} for hit in hits), self.names.runs, "runs to mark abandoned")
            after = {"search_after": hits[-1]["sort"]}
