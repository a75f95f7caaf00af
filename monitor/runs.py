"""One crawl of one source, judged and recorded.

:class:`SourceCrawler` runs a crawl, judges the source's health from it and its earlier
runs (:mod:`crawlers.health`) and keeps how it ended; :class:`RunBook` keeps those ends
in the monitor database until the store takes them, so a crawl that outlives the store,
even past a restart of the monitor, is still recorded and judged once it is back.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import psutil

from crawlers.health import judged_end
from crawlers.stats import SourceStats
from index.base import Store
from index.errors import NotFoundError, StoreError
from lurewatch.config import Settings, Source
from monitor import metrics
from monitor.state import MonitorState

log = logging.getLogger(__name__)

CrawlFunction = Callable[[Source, Settings, Store], SourceStats]


def crawl_source(source: Source, settings: Settings, store: Store) -> SourceStats:
    """Crawl one source with the project's crawler and return its stats."""
    from crawlers.run import crawl

    return crawl([source], settings, store=store).of_source(source.name)


def stop_running_crawls() -> int:
    """Ask this process's crawl children (``crawlers.worker``) to stop gracefully: they
    close their spiders and keep pending requests in their JOBDIRs. ``crawl`` forwards
    SIGTERM itself only when it runs on the main thread; the monitor's crawls do not."""
    stopped = 0
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.Error):
            if "crawlers.worker" in child.cmdline():
                child.terminate()
                stopped += 1
    return stopped


class RunBook:
    """Run ends waiting in the monitor database, and writing them into the store."""

    def __init__(self, state: MonitorState, store: Store) -> None:
        self.state = state
        self.store = store
        self._lock = threading.Lock()  # one thread at a time writes kept run ends

    def keep(self, run_id: str, source: str, **fields: Any) -> None:
        """Keep a crawl's end, to be written by the next :meth:`record_finished`."""
        self.state.keep_unrecorded_run(run_id, source, fields)

    def record_finished(self) -> list[str]:
        """Write the kept ends of finished crawls into the store; returns the sources whose
        runs were written. While the store is down they wait in the monitor database, so a
        crawl that outlived the store, even past a restart of the monitor, is still recorded
        (and judged by the source rules) once the store is back."""
        recorded = []
        with self._lock:
            waiting = self.state.unrecorded_runs()
            for done, (run_id, source, fields) in enumerate(waiting):
                try:
                    self.store.finish_run(run_id, **fields)
                except NotFoundError:
                    log.warning("%s: run %s is no longer in the store; its end is dropped",
                                source, run_id)
                except StoreError as exc:
                    log.warning("store unavailable, %d finished crawl run(s) wait to be "
                                "recorded: %s", len(waiting) - done, exc)
                    break
                else:
                    recorded.append(source)
                self.state.forget_unrecorded_run(run_id)
        return recorded


class SourceCrawler:
    """Crawls one source at a time for the monitor named ``monitor_name``."""

    def __init__(self, settings: Settings, store: Store, runs: RunBook, monitor_name: str,
                 stopping: threading.Event, crawl: CrawlFunction = crawl_source) -> None:
        self.settings = settings
        self.store = store
        self.runs = runs
        self.monitor_name = monitor_name
        self.stopping = stopping
        self.crawl = crawl

    def crawl_and_judge(self, source: Source) -> None:
        """Crawl ``source`` once, judge its health against its earlier runs and keep how
        the run ended (written to the store by :meth:`RunBook.record_finished`)."""
        try:
            run_id = self.store.start_run(source.name, self.monitor_name)
        except StoreError as exc:
            # A crawl now would only fill the spool, and its run could be neither kept nor
            # judged: wait for the store, as for Redis, and try at the next due time.
            log.warning("%s: store unavailable, crawl skipped: %s", source.name, exc)
            metrics.CRAWLS.labels(source=source.name, outcome="skipped_no_store").inc()
            return
        started = time.monotonic()
        try:
            counts = self.crawl(source, self.settings, self.store)
        except Exception as exc:  # a broken crawl is a finding about the source, not a crash
            if self.stopping.is_set():
                # Stopped before the crawl process could stop gracefully (e.g. still
                # starting): what it stored is kept; the source is overdue at next start.
                log.info("%s: crawl stopped by the shutdown (%s)", source.name, exc)
                metrics.CRAWLS.labels(source=source.name, outcome="interrupted").inc()
                self.runs.keep(run_id, source.name, outcome="interrupted", counts={},
                                 health="unknown", problems=[], error=str(exc)[:1000])
                return
            log.exception("%s: crawl failed", source.name)
            metrics.CRAWLS.labels(source=source.name, outcome="failed").inc()
            metrics.SOURCE_HEALTH.labels(source=source.name).set(0)
            self.runs.keep(run_id, source.name, outcome="failed", counts={},
                             health="unhealthy",
                             problems=[f"crawl failed: {type(exc).__name__}: {exc}"[:300]],
                             error=str(exc)[:1000])
            return
        if not counts.duration:
            counts = replace(counts, duration=time.monotonic() - started)
        # Scoring ran in the crawl process; its per-batch timings came back in the stats.
        for seconds in counts.scoring_seconds:
            metrics.SCORING_LATENCY.observe(seconds)
        if counts.interrupted:
            # Cut short on purpose: its pending requests wait in the JOBDIR, and the source
            # is overdue at the next start. A partial crawl says nothing about health.
            metrics.CRAWLS.labels(source=source.name, outcome="interrupted").inc()
            self.runs.keep(run_id, source.name, outcome="interrupted",
                             counts=counts.to_dict(), health="unknown", problems=[])
            log.info("%s: crawl stopped early, %d records stored", source.name, counts.stored)
            return
        end = judged_end(self.store, run_id, counts, self.settings.monitor.health)
        self.runs.keep(run_id, source.name, **end)
        metrics.count_crawl(source.name, counts, end["health"])
        level = logging.INFO if end["health"] == "healthy" else logging.WARNING
        log.log(level, "%s: %d pages, %d records (%d new), %s%s", source.name,
                counts.pages_fetched, counts.records_extracted, counts.new, end["health"],
                f": {'; '.join(end['problems'])}" if end["problems"] else "")

