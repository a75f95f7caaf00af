"""Run a crawl: ``crawl(sources, settings, store=...)`` -> :class:`CrawlStats`.

Scrapy runs in a child process (``crawlers.worker``), so ``crawl`` can be called any
number of times in one process (a monitor calls it on a schedule). The child fetches,
extracts, normalises and scores; this process receives the scored records in batches,
``Store.upsert``-s them, and only then marks them seen, so a crawl killed at any point
loses nothing and stores nothing twice.

Stopping: SIGTERM to this process is passed on to the child, which closes its spiders
gracefully and keeps pending requests in the sources' JOBDIRs; ``crawl`` then returns
the stats so far with ``interrupted=True``. (Ctrl-C reaches the child directly.)"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from crawlers.state import CrawlState
from crawlers.stats import CrawlStats, SourceStats
from index.base import Store
from index.errors import StoreError
from lurewatch.config import PACKAGE_ROOT, Settings, Source
from lurewatch.record import Ad
from lurewatch.urls import check_fetchable

__all__ = ["CrawlError", "CrawlStats", "SourceStats", "crawl"]

logger = logging.getLogger(__name__)
Progress = Callable[[str, int], None]


class CrawlError(Exception):
    """The crawl process could not run (the message names why and where the log is)."""


@contextlib.contextmanager
def _forward_sigterm(child: subprocess.Popen[bytes], stats: CrawlStats) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def forward(signum: int, frame: FrameType | None) -> None:
        stats.interrupted = True
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)

    def note_interrupt(signum: int, frame: FrameType | None) -> None:
        stats.interrupted = True  # the terminal sent SIGINT to the child as well

    previous_term = signal.signal(signal.SIGTERM, forward)
    previous_int = signal.signal(signal.SIGINT, note_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGINT, previous_int)


def check_sources(sources: list[Source]) -> None:
    """Refuse unsafe start URLs before anything is fetched (raises ``UnsafeURLError``)."""
    for source in sources:
        for url in source.start_urls:
            check_fetchable(url, allow_local=source.local_test)


def log_path(settings: Settings) -> Path:
    return settings.data_dir / "logs" / "crawl.log"


class _Receiver:
    """Stores the child's record batches and collects its stats."""

    def __init__(self, store: Store, state: CrawlState, stats: CrawlStats,
                 progress: Progress | None) -> None:
        self.store = store
        self.state = state
        self.stats = stats
        self.progress = progress

    def handle(self, message: dict[str, Any]) -> None:
        source = str(message.get("source"))
        if message.get("type") == "records":
            self.store_batch(source, [Ad.model_validate(r) for r in message["records"]])
        elif message.get("type") == "taken_down":
            self.mark_taken_down(source, [str(rid) for rid in message["ids"]])
        elif message.get("type") == "stats":
            stored = self.stats.source(source)
            fresh = SourceStats.from_scrapy(source, message["stats"])
            fresh.stored, fresh.store_failed = stored.stored, stored.store_failed
            self.stats.sources[source] = fresh

    def store_batch(self, source: str, records: list[Ad]) -> None:
        stats = self.stats.source(source)
        try:
            result = self.store.upsert(records)
        except StoreError as exc:
            stats.store_failed += len(records)
            logger.error("store refused %d records of %s: %s", len(records), source, exc)
            return
        stats.stored += result.created + result.updated
        stats.store_failed += result.failed
        if result.failed:
            # Which ones failed is not known: mark none seen, the next run resends them
            # and the idempotent upsert keeps the others unchanged.
            logger.error("store failed %d of %d records of %s: %s", result.failed,
                         len(records), source, "; ".join(result.errors[:3]))
            return
        self.state.mark_seen(source, [(ad.id, ad.content_hash, ad.url) for ad in records])
        if self.progress is not None:
            self.progress(source, stats.stored)

    def mark_taken_down(self, source: str, record_ids: list[str]) -> None:
        """Mark stored records taken down, keeping everything else they hold (the store's
        merge keeps review work that changed since they were read)."""
        now = datetime.now(UTC)
        try:
            stored = [self.store.get(rid) for rid in record_ids]
        except StoreError as exc:
            # Left unmarked in the crawl state too: the next run re-checks and retries.
            logger.error("store could not read %d taken-down records of %s: %s",
                         len(record_ids), source, exc)
            return
        marked = [ad.model_copy(update={"taken_down_at": now}) for ad in stored
                  if ad is not None and ad.taken_down_at is None]
        if marked:
            self.store_batch(source, marked)
        self.state.mark_taken_down(source, record_ids)


def crawl(sources: list[Source], settings: Settings, *, store: Store,
          progress: Progress | None = None,
          overrides: dict[str, Any] | None = None) -> CrawlStats:
    """Crawl ``sources`` into ``store`` and return per-source stats.

    ``progress(source, stored_so_far)`` is called after each stored batch.
    ``overrides`` are extra Scrapy settings (tests and benchmarks use them).
    Raises ``UnsafeURLError`` for a start URL that must not be fetched and
    :class:`CrawlError` when the crawl process fails before reporting."""
    check_sources(sources)
    stats = CrawlStats()
    if not sources:
        return stats
    started = time.monotonic()
    state = CrawlState(settings.crawl.jobdir / "seen.sqlite")
    receiver = _Receiver(store, state, stats, progress)
    log_file = log_path(settings)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryDirectory(prefix="lurewatch-crawl-") as tmp:
        job_file = Path(tmp) / "job.json"
        job_file.write_text(json.dumps({
            "settings": settings.model_dump(mode="json"),
            "sources": [s.model_dump(mode="json") for s in sources],
            "sink_fd": write_fd,
            "overrides": overrides or {},
        }), encoding="utf-8")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_ROOT),
                                                          env.get("PYTHONPATH")]))
        with open(log_file, "ab") as log:
            child = subprocess.Popen(
                [sys.executable, "-m", "crawlers.worker", str(job_file)],
                pass_fds=[write_fd], stdout=log, stderr=log, env=env)
        os.close(write_fd)
        with _forward_sigterm(child, stats), os.fdopen(read_fd, encoding="utf-8") as lines:
            for line in lines:
                try:
                    message = json.loads(line)
                except ValueError:
                    logger.error("unreadable message from the crawl process: %.200s", line)
                    continue
                receiver.handle(message)
        stats.exit_code = child.wait()
    state.close()
    stats.duration = time.monotonic() - started
    missing = [s.name for s in sources if s.name not in stats.sources
               or stats.sources[s.name].finish_reason is None]
    if stats.exit_code != 0 and missing and not stats.interrupted:
        raise CrawlError(f"the crawl process exited with status {stats.exit_code} before "
                         f"finishing {', '.join(missing)}; see {log_file}")
    return stats
