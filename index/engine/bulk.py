"""Bulk writing into an engine store: batches, version checks, retries and the spool.

A record whose stored version moved under the write (a review decision, a concurrent
writer) is retried over the new version; one the engine cannot take now (down, 429,
closing shards) waits in the spool, in order, and is replayed before anything newer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from index.documents import merge_crawled, same_content
from index.engine.base import CONFLICT_ATTEMPTS, EngineBase, EngineUnavailableError
from index.engine.documents import to_document
from index.engine.mapping import KEYS_FIELD
from index.records import UpsertResult
from lurewatch.record import Ad


@dataclass(frozen=True)
class EngineUpsertResult(UpsertResult):
    """An upsert result that also says how many records wait in the spool."""

    spooled: int = 0


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


class EngineBulkWriter(EngineBase):
    """``upsert`` and ``drain_spool``."""

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
        for _attempt in range(CONFLICT_ATTEMPTS):
            outcome, conflicted = self._write_once(pending)
            total.add(outcome)
            pending = conflicted
            if not pending:
                break
        else:
            total.failed += len(pending)
            total.errors += [f"{ad.id}: still changing after {CONFLICT_ATTEMPTS} tries"
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
            incoming = merge_crawled(incoming, source)
            if same_content(incoming, source, ignored=(KEYS_FIELD,)):
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
