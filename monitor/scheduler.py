"""The long-lived monitor: APScheduler starts each source's crawl when it is due.

- One job per source (interval or cron from ``sources.yaml``), ``max_instances=1`` so a
  source is never crawled twice at once, ``coalesce=True`` and no misfire limit so runs
  missed while busy collapse into one crawl.
- After downtime the monitor looks at each source's last finished crawl in the store (by
  any monitor): a source that is overdue is crawled once, right away, not once per missed
  slot (:mod:`monitor.schedule`).
- At most ``monitor.max_concurrent_crawls`` crawls run together; when more are due the
  higher ``priority`` goes first.
- With ``crawl.redis_url`` set, a Redis lock per source lets several monitor processes
  share the sources: a source is crawled by whoever takes its lock, and not again by
  another monitor until half its interval has passed.
- On SIGTERM or SIGINT no new crawl starts, crawls waiting for a slot give up, and the
  running crawls finish and are recorded before the process exits.

One crawl is run, judged and recorded by :mod:`monitor.runs`; alerts are raised and
sent by :mod:`monitor.alerts`; this module only schedules and wires them.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta
from types import FrameType

import redis
from apscheduler.events import (
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from index.base import Store
from index.query import SearchQuery
from lurewatch.config import ConfigError, Settings, Source
from monitor import metrics
from monitor.alerts import Alerter
from monitor.runs import CrawlFunction, RunBook, SourceCrawler, crawl_source, stop_running_crawls
from monitor.schedule import CrawlSlots, RedisCrawlLocks, first_run_time, period_of, trigger_for
from monitor.state import MonitorState, utcnow

log = logging.getLogger(__name__)


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
        self.state = state or MonitorState.for_settings(settings)
        self.name = settings.monitor.name or self.state.monitor_name()
        self.alerter = alerter or Alerter(settings, store)
        self.slots = CrawlSlots(settings.monitor.max_concurrent_crawls)
        self.locks = (RedisCrawlLocks(settings.crawl.redis_url, settings.monitor.lock_ttl_seconds)
                      if settings.crawl.redis_url else None)
        self.triggers = {name: trigger_for(s, settings) for name, s in self.sources.items()}
        self.stopping = threading.Event()
        self._alert_lock = threading.Lock()  # one thread at a time raises and sends alerts
        self.runs = RunBook(self.state, store)
        self.crawler = SourceCrawler(settings, store, self.runs, self.name, self.stopping, crawl)
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
        # Once: what holds the records does not change while the monitor runs.
        metrics.STORE.info({"store": self.store.describe()})
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
        self.runs.record_finished()
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
                self.crawler.crawl_and_judge(source)
            finally:
                if lease is not None:
                    lease.release()
        finally:
            self.slots.release()
        self.check_alerts()

    def check_alerts(self) -> None:
        """Record finished runs and run the source rules on them, run the record rules
        and the watchlists, deliver what is pending, refresh the store gauges."""
        try:
            recorded = self.runs.record_finished()
            with self._alert_lock:
                for source in dict.fromkeys(recorded):
                    self.alerter.check_source(source)
                self.alerter.check_records()
                self.alerter.check_watchlists()
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
