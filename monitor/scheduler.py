"""The long-lived monitor: APScheduler starts each source's crawl when it is due.

- One job per source (interval or cron from ``sources.yaml``), ``max_instances=1`` so a
  source is never crawled twice at once, ``coalesce=True`` and no misfire limit so runs
  missed while busy collapse into one crawl.
- After downtime the monitor looks at each source's last finished crawl in the store (by
  any monitor): a source that is overdue is crawled once, right away, not once per missed
  slot.
- At most ``monitor.max_concurrent_crawls`` crawls run together; when more are due the
  higher ``priority`` goes first.
- With ``crawl.redis_url`` set, a Redis lock per source lets several monitor processes
  share the sources: a source is crawled by whoever takes its lock, and not again by
  another monitor until half its interval has passed.
- On SIGTERM or SIGINT no new crawl starts, crawls waiting for a slot give up, and the
  running crawls finish and are recorded before the process exits.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

import psutil
import redis
from apscheduler.events import (
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from redis.lock import Lock

from crawlers.stats import CrawlStats, SourceStats
from index.base import Store
from index.errors import NotFoundError, StoreError
from index.query import SearchQuery
from lurewatch.config import ConfigError, Settings, Source
from monitor import metrics
from monitor.alerts import Alerter
from monitor.health import assess
from monitor.state import MonitorState, utcnow

log = logging.getLogger(__name__)

CrawlFunction = Callable[[Source, Settings, Store], SourceStats]


def crawl_source(source: Source, settings: Settings, store: Store) -> SourceStats:
    """Crawl one source with the project's crawler and return its stats."""
    from crawlers.run import crawl

    return source_stats(crawl([source], settings, store=store), source.name)


def source_stats(stats: CrawlStats, source: str) -> SourceStats:
    """One source's stats out of a crawl's; a crawl the parent saw interrupted counts as
    stopped early even if the child had no time to report its finish reason."""
    per_source = stats.sources.get(source) or SourceStats(source=source)
    if stats.interrupted and not per_source.interrupted:
        per_source = replace(per_source, finish_reason="shutdown")
    return per_source


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


def trigger_for(source: Source, settings: Settings) -> BaseTrigger:
    """The source's schedule: ``interval_override_seconds`` if set (tests, demos), else its
    cron expression, else its interval, else ``monitor.default_interval_minutes``."""
    override = settings.monitor.interval_override_seconds
    if override is not None:
        return IntervalTrigger(seconds=override)
    if source.cron:
        try:
            return CronTrigger.from_crontab(source.cron, timezone="UTC")
        except ValueError as exc:
            raise ConfigError(f"sources.{source.name}.cron: {source.cron!r}: {exc}") from exc
    minutes = source.interval_minutes or settings.monitor.default_interval_minutes
    return IntervalTrigger(minutes=minutes)


def period_of(trigger: BaseTrigger, now: datetime) -> timedelta:
    """Time between two consecutive runs of ``trigger`` from ``now``."""
    if isinstance(trigger, IntervalTrigger):
        return trigger.interval
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1)) if first else None
    return (second - first) if first and second else timedelta(hours=1)


def first_run_time(trigger: BaseTrigger, last_finished: datetime | None,
                   now: datetime) -> datetime:
    """Now if the source is overdue (never crawled, or a run fell due since its last
    crawl): one catch-up crawl, however many were missed. Else its next regular time."""
    if last_finished is None:
        return now
    if isinstance(trigger, IntervalTrigger):
        return max(now, last_finished + trigger.interval)
    due = trigger.get_next_fire_time(None, last_finished)
    if due is None or due <= now:
        return now
    return due


class CrawlSlots:
    """At most ``size`` crawls at once; waiting crawls start highest priority first."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiting: list[tuple[int, int]] = []
        self._order = itertools.count()
        self._condition = threading.Condition()
        self._closed = False

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def acquire(self, priority: int) -> bool:
        """Wait for a slot; False if the slots were closed (shutting down) meanwhile."""
        ticket = (-priority, next(self._order))
        with self._condition:
            heapq.heappush(self._waiting, ticket)
            while not self._closed and not (self._free > 0 and self._waiting[0] == ticket):
                self._condition.wait()
            self._waiting.remove(ticket)
            heapq.heapify(self._waiting)
            if self._closed:
                self._condition.notify_all()
                return False
            self._free -= 1
            self._condition.notify_all()
            return True

    def release(self) -> None:
        with self._condition:
            self._free += 1
            self._condition.notify_all()

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()


@dataclass
class RedisLease:
    lock: Lock
    finished_key: str
    client: redis.Redis

    def release(self) -> None:
        self.client.set(self.finished_key, str(time.time()))
        try:
            self.lock.release()
        except redis.exceptions.LockError:
            log.warning("the Redis lock %s expired before the crawl finished", self.lock.name)


class RedisCrawlLocks:
    """Per-source locks in Redis, so several monitors never crawl one source at once, and
    a source crawled by one monitor is not crawled again by another straight after."""

    def __init__(self, url: str, ttl_seconds: int) -> None:
        self.client = redis.Redis.from_url(url)
        self.ttl_seconds = ttl_seconds

    def try_acquire(self, source: str, min_gap: timedelta) -> RedisLease | None:
        lock = self.client.lock(f"lurewatch:monitor:crawl:{source}", timeout=self.ttl_seconds,
                                blocking=False)
        if not lock.acquire():
            return None
        finished_key = f"lurewatch:monitor:finished:{source}"
        last = self.client.get(finished_key)
        if last is not None and time.time() - float(last) < min_gap.total_seconds():
            lock.release()
            return None
        return RedisLease(lock, finished_key, self.client)

    def queued_requests(self) -> int:
        """Requests waiting in scrapy-redis queues (keys ``<spider>:requests``)."""
        total = 0
        for key in self.client.scan_iter(match="*:requests", count=100):
            kind = self.client.type(key)
            if kind == b"zset":
                total += int(self.client.zcard(key))
            elif kind == b"list":
                total += int(self.client.llen(key))
        return total


class Monitor:
    """Schedules crawls of ``sources``, judges their health, raises and sends alerts."""

    def __init__(self, settings: Settings, sources: list[Source], store: Store, *,
                 crawl: CrawlFunction = crawl_source, state: MonitorState | None = None,
                 alerter: Alerter | None = None) -> None:
        if not sources:
            raise ConfigError("no enabled sources to monitor")
        self.settings = settings
        self.sources = {source.name: source for source in sources}
        self.store = store
        self.crawl = crawl
        self.state = state or MonitorState.for_settings(settings)
        self.name = settings.monitor.name or self.state.monitor_name()
        self.alerter = alerter or Alerter(settings, store)
        self.slots = CrawlSlots(settings.monitor.max_concurrent_crawls)
        self.locks = (RedisCrawlLocks(settings.crawl.redis_url, settings.monitor.lock_ttl_seconds)
                      if settings.crawl.redis_url else None)
        self.triggers = {name: trigger_for(s, settings) for name, s in self.sources.items()}
        self.stopping = threading.Event()
        self._alert_lock = threading.Lock()  # one thread at a time raises and sends alerts
        self._runs_lock = threading.Lock()  # one thread at a time writes kept run ends
        self.scheduler = BackgroundScheduler(
            timezone="UTC",
            # Every due source gets a thread, so waiting for a slot is ordered by priority.
            executors={"default": ThreadPoolExecutor(len(sources) + 1)},
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )
        self.scheduler.add_listener(self._note_next_run, EVENT_JOB_SUBMITTED
                                    | EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)

    # --- lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        name = self.name
        # Run ends the store missed before the last stop are written (and judged) first,
        # or they would be taken for abandoned crawls below.
        self.check_alerts()
        moved = self.state.move_runs_to(self.store, name)
        if moved:
            log.info("copied %d crawl runs from %s into the store", moved, self.state.path)
        abandoned = self.store.mark_abandoned_runs(name)
        if abandoned:
            log.warning("%d crawl(s) of an earlier monitor never finished; marked interrupted",
                        abandoned)
        now = utcnow()
        # Sources due together start in priority order (the slots keep that order later).
        by_priority = sorted(self.sources.values(), key=lambda s: -s.priority)
        for rank, source in enumerate(by_priority):
            trigger = self.triggers[source.name]
            start = first_run_time(trigger, self.store.last_finished_at(source.name), now)
            if start <= now:
                start = now + timedelta(milliseconds=50 * rank)
            self.scheduler.add_job(self.run_source, trigger=trigger, args=[source.name],
                                   id=source.name, name=f"crawl {source.name}",
                                   next_run_time=start)
            self.state.set_next_run(source.name, start)
        self.scheduler.add_job(self.check_alerts, IntervalTrigger(
            seconds=self.settings.monitor.alert_check_seconds), id="alerts",
            name="alert rules and deliveries")  # the first check ran above
        self.scheduler.start()
        log.info("monitoring %d sources", len(self.sources))

    def stop(self) -> None:
        """Start no new crawl, let waiting ones give up, wait for running ones to finish."""
        self.stopping.set()
        self.slots.close()
        if stop_running_crawls():
            log.info("asked the running crawls to stop; waiting for them to checkpoint")
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.record_finished_runs()
        waiting = self.state.unrecorded_runs()
        if waiting:
            log.warning("the store is unavailable: %d finished crawl run(s) (%s) wait in %s "
                        "and are recorded at the next start", len(waiting),
                        ", ".join(source for _, source, _ in waiting), self.state.path)
        self.state.clear_schedule()
        log.info("monitor stopped")

    def run_until_signalled(self) -> None:
        """Block until SIGTERM or SIGINT, then :meth:`stop`."""

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            if self.stopping.is_set():
                # A second signal: the crawl processes stop at once (Scrapy's own rule);
                # the crawler resets a JOBDIR left half-written at its next run.
                log.warning("second %s: stopping crawls now", signal.Signals(signum).name)
                stop_running_crawls()
                return
            log.info("%s received: finishing running crawls", signal.Signals(signum).name)
            self.stopping.set()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            while not self.stopping.wait(1.0):
                pass
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _note_next_run(self, event: JobEvent) -> None:
        if event.job_id in self.sources:
            job = self.scheduler.get_job(event.job_id)
            self.state.set_next_run(event.job_id, job.next_run_time if job else None)

    # --- one crawl ----------------------------------------------------------------------

    def run_source(self, name: str) -> None:
        """The scheduled job: one crawl of one source, judged, recorded and alerted on."""
        source = self.sources[name]
        if self.stopping.is_set() or not self.slots.acquire(source.priority):
            return
        try:
            lease = None
            if self.locks is not None:
                gap = period_of(self.triggers[name], utcnow()) / 2
                try:
                    lease = self.locks.try_acquire(name, gap)
                except redis.exceptions.RedisError as exc:
                    # Without the lock another monitor might crawl it too: wait for Redis.
                    log.warning("%s: Redis unavailable, crawl skipped: %s", name, exc)
                    metrics.CRAWLS.labels(source=name, outcome="skipped_no_redis").inc()
                    return
                if lease is None:
                    log.info("%s: crawled by another monitor; skipped", name)
                    metrics.CRAWLS.labels(source=name, outcome="skipped_other_monitor").inc()
                    return
            try:
                self._crawl_and_judge(source)
            finally:
                if lease is not None:
                    lease.release()
        finally:
            self.slots.release()
        self.check_alerts()

    def _crawl_and_judge(self, source: Source) -> None:
        try:
            run_id = self.store.start_run(source.name, self.name)
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
                self._finish_run(run_id, source.name, outcome="interrupted", counts={},
                                 health="unknown", problems=[], error=str(exc)[:1000])
                return
            log.exception("%s: crawl failed", source.name)
            metrics.CRAWLS.labels(source=source.name, outcome="failed").inc()
            metrics.SOURCE_HEALTH.labels(source=source.name).set(0)
            self._finish_run(run_id, source.name, outcome="failed", counts={},
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
            self._finish_run(run_id, source.name, outcome="interrupted",
                             counts=counts.to_dict(), health="unknown", problems=[])
            log.info("%s: crawl stopped early, %d records stored", source.name, counts.stored)
            return
        limits = self.settings.monitor.health
        problems: list[str] = []
        try:
            history = [SourceStats.from_dict(run.counts)
                       for run in self.store.recent_runs(source.name, limits.history_runs + 1)
                       if run.id != run_id and run.outcome == "ok"][: limits.history_runs]
        except StoreError as exc:
            log.warning("%s: store unavailable, crawl judged without its history: %s",
                        source.name, exc)
            history, problems = [], ["not compared with earlier runs (store unavailable)"]
        report = assess(counts, history, limits)
        self._finish_run(run_id, source.name, outcome="ok", counts=counts.to_dict(),
                         health=report.health, problems=report.problems + problems)
        self._count(source.name, counts, report.health)
        level = logging.INFO if report.health == "healthy" else logging.WARNING
        log.log(level, "%s: %d pages, %d records (%d new), %s%s", source.name,
                counts.pages_fetched, counts.records_extracted, counts.new, report.health,
                f": {'; '.join(report.problems)}" if report.problems else "")

    def _count(self, name: str, counts: SourceStats, health: str) -> None:
        metrics.CRAWLS.labels(source=name, outcome="ok").inc()
        metrics.CRAWL_PAGES.labels(source=name).inc(counts.pages_fetched)
        for kind in ("new", "already_seen", "stored"):
            metrics.CRAWL_RECORDS.labels(source=name, kind=kind).inc(getattr(counts, kind))
        metrics.CRAWL_RECORDS.labels(source=name, kind="rejected").inc(
            sum(counts.rejected.values()))
        metrics.CRAWL_DURATION.labels(source=name).observe(counts.duration)
        metrics.STORE_WRITE_ERRORS.labels(source=name).inc(counts.store_failed)
        metrics.SOURCE_HEALTH.labels(source=name).set(metrics.HEALTH_VALUE.get(health, 0))

    def _finish_run(self, run_id: str, source: str, **fields: Any) -> None:
        """Keep a crawl's end in the monitor database, to be written by the next
        :meth:`record_finished_runs`."""
        self.state.keep_unrecorded_run(run_id, source, fields)

    def record_finished_runs(self) -> list[str]:
        """Write the kept ends of finished crawls into the store; returns the sources whose
        runs were written. While the store is down they wait in the monitor database, so a
        crawl that outlived the store, even past a restart of the monitor, is still recorded
        (and judged by the source rules) once the store is back."""
        recorded = []
        with self._runs_lock:
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

    def check_alerts(self) -> None:
        """Record finished runs and run the source rules on them, run the record rules,
        deliver what is pending, refresh the store gauges."""
        try:
            recorded = self.record_finished_runs()
            with self._alert_lock:
                for source in dict.fromkeys(recorded):
                    self.alerter.check_source(source)
                self.alerter.check_records()
                self.alerter.deliver()
            self._refresh_gauges()
        except Exception:  # the next round retries; the monitor must keep running
            log.exception("alert check failed")

    def _refresh_gauges(self) -> None:
        labels = self.store.search(SearchQuery(size=0, facets=("label",))).facets.get("label", {})
        for label, count in labels.items():
            metrics.RECORDS_BY_LABEL.labels(label=label).set(count)
        queued = self.slots.waiting
        if self.locks is not None:
            queued += self.locks.queued_requests()
        metrics.QUEUE_LENGTH.set(queued)
        # Only the search-engine stores spool (index.engine); the embedded one writes directly.
        spool = getattr(self.store, "spool", None)
        metrics.SPOOL_SIZE.set(len(spool) if spool is not None else 0)
