"""When crawls run: each source's trigger, catching up after downtime, a limit on crawls
at once (highest priority first), and Redis locks so several monitors share sources."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from redis.lock import Lock

from lurewatch.config import ConfigError, Settings, Source

log = logging.getLogger(__name__)


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
