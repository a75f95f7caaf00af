"""Checking and pruning the snapshots the store's records point at (:mod:`crawlers.warc`).

``verify`` re-reads every referenced snapshot and compares the payload's sha256 with the
one the record carries. ``prune`` deletes the WARC files of sources with a retention
(``snapshot_retention_days`` in ``sources.yaml``) whose last write is older than that, and
clears the references to them; each record keeps its hash, which still says what the
fetched page was, and the store keeps every record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from crawlers.warc import WARC_SUFFIX, SnapshotRef, SnapshotUnreadable, read_payload
from index.base import Store
from index.errors import StoreError
from index.query import SearchFilters
from lurewatch.config import Source
from lurewatch.record import Ad

_CLEAR_BATCH = 200


@dataclass
class VerifyReport:
    """``snapshots`` distinct references checked, each ``intact``, ``mismatched`` (another
    hash, or a damaged or unreadable record) or ``missing`` (its file is gone);
    ``records`` and ``without_snapshot`` count the store's records."""

    snapshots: int = 0
    intact: int = 0
    mismatched: int = 0
    missing: int = 0
    records: int = 0
    without_snapshot: int = 0
    problems: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return asdict(self)


Outcome = Literal["intact", "mismatched", "missing"]


def check_snapshot(root: Path, raw_ref: str, expected_sha256: str) -> Outcome:
    """Whether the snapshot at ``raw_ref`` is there and its payload hashes as expected."""
    try:
        payload = read_payload(root, SnapshotRef.parse(raw_ref))
    except FileNotFoundError:
        return "missing"
    # A reference no writer makes (the record was altered), or a file that is there but
    # does not hold the record it did.
    except (ValueError, SnapshotUnreadable, OSError):
        return "mismatched"
    return "intact" if hashlib.sha256(payload).hexdigest() == expected_sha256 else "mismatched"


def verify(records: Iterable[Ad], root: Path) -> VerifyReport:
    """Re-hash the snapshot of every record in ``records`` (each reference read once; a
    problem names the first record pointing at it)."""
    report = VerifyReport()
    checked: set[tuple[str, str]] = set()
    for ad in records:
        report.records += 1
        if ad.raw_ref is None:
            report.without_snapshot += 1
            continue
        key = (ad.raw_ref, ad.snapshot_sha256 or "")
        if key in checked:
            continue
        checked.add(key)
        report.snapshots += 1
        outcome = check_snapshot(root, *key)
        if outcome == "intact":
            report.intact += 1
            continue
        if outcome == "missing":
            report.missing += 1
        else:
            report.mismatched += 1
        report.problems.append({"record": ad.id, "ref": ad.raw_ref, "problem": outcome})
    return report


@dataclass
class PruneReport:
    files_deleted: int = 0
    bytes_freed: int = 0
    references_cleared: int = 0
    by_source: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def expired_files(root: Path, source: Source, now: datetime) -> list[Path]:
    """The source's WARC files last written before its retention began."""
    if source.snapshot_retention_days is None:
        return []
    cutoff = (now - timedelta(days=source.snapshot_retention_days)).timestamp()
    return sorted(path for path in (root / source.name).glob(f"*{WARC_SUFFIX}")
                  if path.stat().st_mtime < cutoff)


def prune(store: Store, sources: list[Source], root: Path,
          now: datetime | None = None) -> PruneReport:
    """Delete expired snapshot files and clear the records' references to them. The
    references go first: a prune stopped half-way leaves files nothing points at, never
    records pointing at nothing."""
    report = PruneReport()
    now = now or datetime.now(UTC)
    for source in sources:
        expired = expired_files(root, source, now)
        if not expired:
            continue
        gone = {path.relative_to(root).as_posix() for path in expired}
        cleared = [ad.model_copy(update={"raw_ref": None})
                   for ad in store.scan(SearchFilters(sources=(source.name,)))
                   if ad.raw_ref is not None and ad.raw_ref.rpartition("#")[0] in gone]
        for start in range(0, len(cleared), _CLEAR_BATCH):
            result = store.upsert(cleared[start:start + _CLEAR_BATCH])
            if result.failed:
                raise StoreError(f"the store refused to clear {result.failed} snapshot "
                                 f"references of {source.name}; no file deleted: "
                                 + "; ".join(result.errors[:3]))
        for path in expired:
            report.bytes_freed += path.stat().st_size
            path.unlink()
        report.files_deleted += len(expired)
        report.references_cleared += len(cleared)
        report.by_source[source.name] = len(expired)
    return report
