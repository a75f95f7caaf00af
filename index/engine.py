"""The store on a search engine: everything Elasticsearch and OpenSearch share.

Per-engine subclasses (:mod:`index.engines`) only build the client and translate its
errors; mapping, queries, bulk writing, the spool, review concurrency and the audit trail
live here once.
"""

from __future__ import annotations

import abc
import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from index.base import (
    ABANDONED_RUN_ERROR,
    MAX_CAMPAIGNS,
    NO_FILTERS,
    Alert,
    ConflictError,
    DeliveryStatus,
    Health,
    HistoryEntry,
    Hit,
    Interval,
    NewAlert,
    NotFoundError,
    PendingDelivery,
    Run,
    RunOutcome,
    SearchFilters,
    SearchQuery,
    SearchResult,
    Store,
    StoreError,
    StoreUnavailableError,
    TrendBucket,
    UpsertResult,
    check_result_window,
    timestamp_ns,
)
from index.mapping import (
    ALERT_MAPPINGS,
    AUDIT_MAPPINGS,
    KEYS_FIELD,
    RUN_MAPPINGS,
    IndexNames,
    index_template,
)
from index.queries import (
    bool_query,
    merge_highlights,
    search_body,
    trends_body,
)
from index.spool import Spool
from index.sqlite import apply_decision
from lurewatch.config import StoreSettings
from lurewatch.record import Ad, Decision, normalise_employer

_REVIEW_FIELDS = ("review_state", "review_version", "decisions")
_CONFLICT_ATTEMPTS = 3
REQUEST_TIMEOUT_S = 30


class EngineUnavailableError(StoreUnavailableError):
    """The engine is down, overloaded (429) or timed out: try again later."""


class EngineRequestError(StoreError):
    """The engine answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class EngineUpsertResult(UpsertResult):
    """An upsert result that also says how many records wait in the spool."""

    spooled: int = 0


def to_document(ad: Ad) -> dict[str, Any]:
    """The record as indexed: its own JSON plus the normalised keys filters use."""
    doc: dict[str, Any] = json.loads(ad.to_json())
    employer = normalise_employer(ad.employer) if ad.employer else ""
    doc[KEYS_FIELD] = {
        "indicator": ad.indicator_ids(),
        "phone": ad.contacts.phones,
        "handle": ad.contacts.handles(),
        "email": [e.lower() for e in ad.contacts.emails],
        "employer": [employer] if employer else [],
        "event_at": doc["posted_at"] or doc["fetched_at"],
        "written_at": datetime.now(UTC).isoformat(),
    }
    return doc


def from_document(source: dict[str, Any]) -> Ad:
    record = {k: v for k, v in source.items() if k != KEYS_FIELD}
    return Ad.model_validate(record)


def _alert(source: dict[str, Any]) -> Alert:
    return Alert(key=source["key"], rule=source["rule"], kind=source["kind"],
                 subject_type=source["subject_type"], subject_id=source["subject_id"],
                 summary=source["summary"], link=source["link"], details=source["details"],
                 created_at=datetime.fromisoformat(source["created_at"]),
                 deliveries={d["channel"]: d["status"] for d in source["deliveries"]})


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


def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """What decides 'unchanged': everything but the fetch time and the store's own keys."""
    return {k: v for k, v in doc.items() if k not in ("fetched_at", KEYS_FIELD)}


# Per-item errors that the record itself causes: replaying it would fail the same way.
_RECORD_ERRORS = frozenset({
    "mapper_parsing_exception", "document_parsing_exception", "strict_dynamic_mapping_exception",
    "illegal_argument_exception", "x_content_parse_exception", "parse_exception",
})


def _is_about_the_record(error: Any) -> bool:
    """True for a per-item error the record causes; anything else (a shard closing while
    the node stops answers 404 or 503, overload answers 429) is the engine's state."""
    return isinstance(error, dict) and error.get("type") in _RECORD_ERRORS


def _batches(records: Iterable[Ad], size: int) -> Iterator[list[Ad]]:
    """Batches of at most ``size``; a batch ends early where an id repeats, so each bulk
    request writes a record at most once and later versions follow earlier ones."""
    batch: list[Ad] = []
    seen: set[str] = set()
    for ad in records:
        if len(batch) >= size or ad.id in seen:
            yield batch
            batch, seen = [], set()
        batch.append(ad)
        seen.add(ad.id)
    if batch:
        yield batch


@dataclass
class _BatchOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    unwritten: list[Ad] = field(default_factory=list)  # transient failures, in input order

    def add(self, other: _BatchOutcome) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.failed += other.failed
        self.errors += other.errors
        self.unwritten += other.unwritten


class EngineStore(Store, abc.ABC):
    """:class:`Store` over an Elasticsearch or OpenSearch index alias."""

    engine: ClassVar[str]

    def __init__(self, client: Any, *, index_prefix: str = "lurewatch",
                 spool_path: str | Path | None = None, batch_size: int = 500,
                 max_retries: int = 3, refresh: bool = True) -> None:
        """``refresh``: make writes searchable when ``upsert`` returns (one refresh per
        call); turn it off for bulk loads that nobody searches meanwhile."""
        self.client = client
        self.names = IndexNames(index_prefix)
        self.spool = Spool(spool_path) if spool_path is not None else None
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.refresh = refresh
        self._ready = False
        self._ready_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: StoreSettings) -> EngineStore:
        return cls(cls.make_client(settings), index_prefix=settings.index_prefix,
                   spool_path=settings.spool_path, batch_size=settings.bulk_batch_size,
                   max_retries=settings.bulk_max_retries)

    # -- what each engine fills in -----------------------------------------------------

    @classmethod
    @abc.abstractmethod
    def make_client(cls, settings: StoreSettings) -> Any:
        """The engine's official client, configured from the store settings."""

    @abc.abstractmethod
    def _streaming_bulk(self, actions: Iterable[dict[str, Any]],
                        **kwargs: Any) -> Iterator[tuple[bool, dict[str, Any]]]:
        """The client library's ``helpers.streaming_bulk``."""

    @abc.abstractmethod
    def _error_status(self, exc: Exception) -> int | None:
        """The HTTP status of a client error; None when there was no answer at all;
        raise ``exc`` again if it is not a client error."""

    @staticmethod
    def _body(response: Any) -> Any:
        """The decoded body of a client response."""
        return response

    # -- calling the engine ------------------------------------------------------------

    def request(self, fn: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return self._body(fn(**kwargs))
        except Exception as exc:  # noqa: BLE001 - narrowed by _error_status
            status = self._error_status(exc)
            if status is None or status == 429 or status >= 500:
                raise EngineUnavailableError(
                    f"{self.engine} is unavailable ({type(exc).__name__}: {exc})") from exc
            raise EngineRequestError(status, f"{self.engine} refused the request: {exc}") from exc

    def ensure_index(self) -> None:
        """Create the template, the first versioned index behind the alias, the audit
        index, the alerts index and the runs index, where missing. Safe to call from
        several processes at once."""
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            names = self.names
            self.request(self.client.indices.put_index_template, name=names.template,
                       body=index_template(names))
            if not self.request(self.client.indices.exists_alias, name=names.alias):
                self._create_ignoring_exists(
                    names.versioned(1), {"aliases": {names.alias: {"is_write_index": True}}})
            for index, mappings in ((names.audit, AUDIT_MAPPINGS),
                                    (names.alerts, ALERT_MAPPINGS),
                                    (names.runs, RUN_MAPPINGS)):
                if not self.request(self.client.indices.exists, index=index):
                    self._create_ignoring_exists(index, {
                        "settings": {"number_of_shards": 1, "auto_expand_replicas": "0-1"},
                        "mappings": mappings})
            self._ready = True

    def _create_ignoring_exists(self, index: str, body: dict[str, Any]) -> None:
        try:
            self.request(self.client.indices.create, index=index, body=body)
        except EngineRequestError as exc:
            if exc.status != 400 or "already_exists" not in str(exc):
                raise

    def current_index(self) -> str:
        """The versioned index the alias points at now."""
        self.ensure_index()
        found = self.request(self.client.indices.get_alias, name=self.names.alias)
        return sorted(found, key=self.names.version_of)[-1]

    def refresh_index(self) -> None:
        self.request(self.client.indices.refresh, index=self.names.alias)

    # -- writing -----------------------------------------------------------------------

    def upsert(self, records: Iterable[Ad]) -> EngineUpsertResult:
        total = _BatchOutcome()
        spooled = 0
        engine_up = self._drain_quietly()
        wrote = False
        for batch in _batches(records, self.batch_size):
            if engine_up:
                try:
                    outcome = self._write_batch(batch)
                except EngineUnavailableError:
                    outcome = _BatchOutcome(unwritten=batch)
                total.add(outcome)
                wrote = True
                if outcome.unwritten:
                    engine_up = False
                    spooled += self._to_spool(outcome.unwritten)
            else:
                spooled += self._to_spool(batch)
        if wrote and engine_up and self.refresh:
            with contextlib.suppress(EngineUnavailableError):
                # Everything is written or spooled; only its visibility waits (at most
                # the engine's refresh interval) if the engine went away just now.
                self.refresh_index()
        return EngineUpsertResult(created=total.created, updated=total.updated,
                                  unchanged=total.unchanged, failed=total.failed,
                                  errors=tuple(total.errors), spooled=spooled)

    def _to_spool(self, records: list[Ad]) -> int:
        if self.spool is None:
            raise EngineUnavailableError(
                f"{self.engine} is unavailable and no spool is configured; "
                f"{len(records)} records were not stored")
        return self.spool.append(records)

    def _drain_quietly(self) -> bool:
        """Replay the spool first, so older versions never overwrite newer ones; False
        when the engine is still unavailable (new records then queue behind the old)."""
        if self.spool is None or len(self.spool) == 0:
            return True
        try:
            self.drain_spool()
        except EngineUnavailableError:
            return False
        return True

    def drain_spool(self) -> int:
        """Write spooled records in order; returns how many left the spool. Raises
        :class:`EngineUnavailableError` (keeping the rest) when the engine is still down."""
        if self.spool is None:
            return 0
        drained = 0
        while entries := self.spool.peek(self.batch_size):
            outcome = self._write_batch([ad for _, ad in entries])
            unwritten = {id(ad) for ad in outcome.unwritten}
            # Only the prefix before the first unwritten record leaves the spool: the
            # order is kept, and a replay of anything else is harmless (ids, compare).
            done = 0
            for _seq, ad in entries:
                if id(ad) in unwritten:
                    break
                done += 1
            if done:
                self.spool.remove_through(entries[done - 1][0])
                drained += done
            if done < len(entries):
                raise EngineUnavailableError(
                    f"{self.engine} is still unavailable; {len(self.spool)} records spooled")
        if drained and self.refresh:
            self.refresh_index()
        return drained

    def _write_batch(self, batch: list[Ad]) -> _BatchOutcome:
        """Write one batch (ids unique within it); retry records whose stored version
        moved under us (a review decision, a concurrent writer)."""
        self.ensure_index()
        total = _BatchOutcome()
        pending = batch
        for _attempt in range(_CONFLICT_ATTEMPTS):
            outcome, conflicted = self._write_once(pending)
            total.add(outcome)
            pending = conflicted
            if not pending:
                break
        else:
            total.failed += len(pending)
            total.errors += [f"{ad.id}: still changing after {_CONFLICT_ATTEMPTS} tries"
                             for ad in pending]
        if total.unwritten:  # keep input order for the spool
            order = {id(ad): n for n, ad in enumerate(batch)}
            total.unwritten.sort(key=lambda ad: order[id(ad)])
        return total

    def _write_once(self, batch: list[Ad]) -> tuple[_BatchOutcome, list[Ad]]:
        found = self.request(self.client.mget, index=self.names.alias,
                           body={"ids": [ad.id for ad in batch]})
        stored = {d["_id"]: d for d in found["docs"] if d.get("found")}
        outcome = _BatchOutcome()
        actions: list[dict[str, Any]] = []
        by_id: dict[str, tuple[Ad, str]] = {}
        for ad in batch:
            incoming = to_document(ad)
            existing = stored.get(ad.id)
            if existing is None:
                actions.append({"_op_type": "create", "_index": self.names.alias,
                                "_id": ad.id, "_source": incoming})
                by_id[ad.id] = (ad, "created")
                continue
            source = existing["_source"]
            for name in _REVIEW_FIELDS:  # crawl data never overwrites review work
                incoming[name] = source.get(name)
            if _comparable(incoming) == _comparable(source):
                outcome.unchanged += 1
                continue
            actions.append({"_op_type": "index", "_index": self.names.alias, "_id": ad.id,
                            "_source": incoming, "if_seq_no": existing["_seq_no"],
                            "if_primary_term": existing["_primary_term"]})
            by_id[ad.id] = (ad, "updated")
        conflicted: list[Ad] = []
        acknowledged: set[str] = set()
        try:
            for ok, item in self._streaming_bulk(
                    actions, chunk_size=self.batch_size, max_retries=self.max_retries,
                    initial_backoff=1, max_backoff=30, raise_on_error=False,
                    raise_on_exception=False):
                result = next(iter(item.values()))
                ad, kind = by_id[result["_id"]]
                acknowledged.add(ad.id)
                status = result.get("status")
                if ok:
                    setattr(outcome, kind, getattr(outcome, kind) + 1)
                elif status == 409:
                    conflicted.append(ad)
                elif _is_about_the_record(result.get("error")):
                    outcome.failed += 1
                    outcome.errors.append(f"{ad.id}: {result.get('error')}")
                else:  # the engine's state (closing shards, 429, 5xx, no answer): retry later
                    outcome.unwritten.append(ad)
        except Exception as exc:  # noqa: BLE001 - the connection dropped mid-stream
            self._error_status(exc)  # re-raises anything that is not a client error
            outcome.unwritten += [ad for ad, _ in by_id.values() if ad.id not in acknowledged]
        return outcome, conflicted

    # -- review ------------------------------------------------------------------------

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

    # -- alerts ------------------------------------------------------------------------

    def add_alert(self, alert: NewAlert, channels: Sequence[str]) -> Alert | None:
        self.ensure_index()
        now = datetime.now(UTC)
        body = {"key": alert.key, "rule": alert.rule, "kind": alert.kind,
                "subject_type": alert.subject_type, "subject_id": alert.subject_id,
                "summary": alert.summary, "link": alert.link, "details": alert.details,
                "created_at": now.isoformat(), "created_ns": time.time_ns(),
                "deliveries": [{"channel": c, "status": "pending", "attempts": 0}
                               for c in channels]}
        try:
            # create-only on the key as id: of two processes racing on one key, one wins.
            self.request(self.client.index, index=self.names.alerts, id=alert.key,
                         op_type="create", refresh="true", body=body)
        except EngineRequestError as exc:
            if exc.status == 409:
                return None
            raise
        return _alert(body)

    def alert_keys(self, prefix: str) -> set[str]:
        self.ensure_index()
        body: dict[str, Any] = {"query": {"prefix": {"key": prefix}}, "_source": False,
                                "size": 1000, "sort": [{"key": "asc"}],
                                "track_total_hits": False}
        keys: set[str] = set()
        while True:
            found = self.request(self.client.search, index=self.names.alerts, body=body)
            hits = found["hits"]["hits"]
            keys.update(hit["_id"] for hit in hits)
            if len(hits) < body["size"]:
                return keys
            body["search_after"] = hits[-1]["sort"]

    def alerts(self, limit: int = 100, offset: int = 0) -> list[Alert]:
        check_result_window(offset, limit)
        self.ensure_index()
        found = self.request(self.client.search, index=self.names.alerts, body={
            "query": {"match_all": {}}, "from": offset, "size": limit,
            "sort": [{"created_ns": "desc"}, {"key": "asc"}]})
        return [_alert(hit["_source"]) for hit in found["hits"]["hits"]]

    @staticmethod
    def _delivery_query(channel: str, status: str, *, sent_since: datetime | None = None,
                        claimed_at: datetime | None = None,
                        unclaimed_at: datetime | None = None) -> dict[str, Any]:
        filters: list[dict[str, Any]] = [{"term": {"deliveries.channel": channel}},
                                         {"term": {"deliveries.status": status}}]
        if sent_since is not None:
            filters.append({"range": {"deliveries.sent_at": {"gte": sent_since.isoformat()}}})
        if claimed_at is not None:
            filters.append({"range": {"deliveries.claimed_until": {
                "gte": claimed_at.isoformat()}}})
        claimed: list[dict[str, Any]] = []
        if unclaimed_at is not None:
            claimed.append({"range": {"deliveries.claimed_until": {
                "gte": unclaimed_at.isoformat()}}})
        return {"nested": {"path": "deliveries", "query": {"bool": {
            "filter": filters, "must_not": claimed}}}}

    def pending_deliveries(self, channel: str, limit: int) -> list[PendingDelivery]:
        self.ensure_index()
        found = self.request(self.client.search, index=self.names.alerts, body={
            "query": self._delivery_query(channel, "pending", unclaimed_at=datetime.now(UTC)),
            "size": limit,
            "sort": [{"created_ns": "asc"}, {"key": "asc"}]})
        pending = []
        for hit in found["hits"]["hits"]:
            attempts = next(d["attempts"] for d in hit["_source"]["deliveries"]
                            if d["channel"] == channel)
            pending.append(PendingDelivery(_alert(hit["_source"]), channel, attempts))
        return pending

    def deliveries_spent_since(self, channel: str, since: datetime) -> int:
        self.ensure_index()
        found = self.request(self.client.count, index=self.names.alerts, body={
            "query": {"bool": {"should": [
                self._delivery_query(channel, "sent", sent_since=since),
                self._delivery_query(channel, "pending", claimed_at=datetime.now(UTC))],
                "minimum_should_match": 1}}})
        return int(found["count"])

    def claim_delivery(self, alert_id: str, channel: str, lease: timedelta) -> bool:
        self.ensure_index()
        found, delivery = self._delivery(alert_id, channel)
        now = datetime.now(UTC)
        claimed_until = delivery.get("claimed_until")
        if delivery["status"] != "pending" or (
                claimed_until and datetime.fromisoformat(claimed_until) >= now):
            return False
        delivery["claimed_until"] = (now + lease).isoformat()
        try:
            self._write_delivery(alert_id, found)
        except EngineRequestError as exc:
            if exc.status == 409:
                return False  # someone changed it since we read it: theirs, then
            raise
        return True

    def record_delivery(self, alert_id: str, channel: str, status: DeliveryStatus,
                        error: str | None = None) -> None:
        def attempted(delivery: dict[str, Any]) -> None:
            delivery.update(status=status, attempts=delivery["attempts"] + 1,
                            last_error=error, claimed_until=None,
                            sent_at=datetime.now(UTC).isoformat() if status == "sent" else None)

        self._change_delivery(alert_id, channel, attempted)

    def release_delivery(self, alert_id: str, channel: str) -> None:
        def released(delivery: dict[str, Any]) -> None:
            if delivery["status"] == "pending":
                delivery["claimed_until"] = None

        self._change_delivery(alert_id, channel, released)

    def _change_delivery(self, alert_id: str, channel: str,
                         change: Callable[[dict[str, Any]], None]) -> None:
        """Apply ``change`` to the delivery over the version read, again on a conflict."""
        self.ensure_index()
        for _attempt in range(_CONFLICT_ATTEMPTS):
            found, delivery = self._delivery(alert_id, channel)
            change(delivery)
            try:
                self._write_delivery(alert_id, found)
                return
            except EngineRequestError as exc:
                if exc.status != 409:
                    raise
        raise StoreError(f"alert {alert_id} kept changing; delivery on {channel} not recorded")

    def _delivery(self, alert_id: str, channel: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The alert document as read (with its version) and its delivery on ``channel``."""
        try:
            found = self.request(self.client.get, index=self.names.alerts, id=alert_id)
        except EngineRequestError as exc:
            if exc.status == 404:
                raise NotFoundError(f"no alert {alert_id}") from None
            raise
        delivery = next((d for d in found["_source"]["deliveries"]
                         if d["channel"] == channel), None)
        if delivery is None:
            raise NotFoundError(f"no delivery of alert {alert_id} on {channel}")
        return found, delivery

    def _write_delivery(self, alert_id: str, found: dict[str, Any]) -> None:
        # Only over the version read (409 otherwise): no other write is ever lost.
        self.request(self.client.index, index=self.names.alerts, id=alert_id,
                     body=found["_source"], if_seq_no=found["_seq_no"],
                     if_primary_term=found["_primary_term"], refresh="true")

    # -- runs --------------------------------------------------------------------------

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
        actions = ({"_op_type": "create", "_index": self.names.runs, "_id": run.id,
                    "_source": _run_document(run)} for run in runs)
        added = 0
        refused: list[str] = []
        try:
            for ok, item in self._streaming_bulk(
                    actions, chunk_size=self.batch_size, max_retries=self.max_retries,
                    raise_on_error=False):
                result = item["create"]
                added += ok
                if not ok and result.get("status") != 409:  # 409: imported before
                    refused.append(f"{result['_id']}: {result.get('error')}")
        except Exception as exc:  # noqa: BLE001 - narrowed by _error_status
            self._error_status(exc)  # re-raises anything that is not a client error
            raise EngineUnavailableError(f"{self.engine} is unavailable: {exc}") from exc
        self.request(self.client.indices.refresh, index=self.names.runs)
        if refused:
            raise StoreError(f"{len(refused)} runs not imported; the first: {refused[0]}")
        return added

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
        # One request however many runs were left; a run finished meanwhile is a version
        # conflict, skipped ("proceed"), so its finish stands.
        found = self.request(
            self.client.update_by_query, index=self.names.runs, refresh=True,
            conflicts="proceed", body={
                "query": {"bool": {"filter": [{"term": {"monitor": monitor}},
                                              {"term": {"outcome": "running"}}]}},
                "script": {"lang": "painless", "params": {
                    "finished_at": datetime.now(UTC).isoformat(), "error": ABANDONED_RUN_ERROR},
                    "source": "ctx._source.outcome = 'interrupted';"
                              " ctx._source.finished_at = params.finished_at;"
                              " ctx._source.error = params.error"}})
        return int(found["updated"])

    # -- reading -----------------------------------------------------------------------

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

    def delete_all(self) -> None:
        """Drop every index of this prefix (tests and teardown only)."""
        # By name, not by wildcard: Elasticsearch 8 refuses wildcard deletes by default.
        found = self.request(self.client.indices.get, index=f"{self.names.prefix}-*")
        if found:
            self.request(self.client.indices.delete, index=",".join(sorted(found)))
        try:
            self.request(self.client.indices.delete_index_template, name=self.names.template)
        except EngineRequestError as exc:
            if exc.status != 404:
                raise
        self._ready = False

    def close(self) -> None:
        if self.spool is not None:
            self.spool.close()
        self.client.close()
