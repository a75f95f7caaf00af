"""Batches by size or deadline, on the crawl's event loop: what the scoring and storing
stages share.

Items wait until ``size`` of them are pending or ``max_wait`` seconds have passed since
the first one came, whichever is first; then ``flush`` receives the batch. The timer
runs on the asyncio loop Scrapy runs on, so a quiet crawl still hands on what it has.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Batcher(Generic[T]):
    def __init__(self, size: int, max_wait: float, flush: Callable[[list[T]], None]) -> None:
        self.size = size
        self.max_wait = max_wait
        self._flush = flush
        self._pending: list[T] = []
        self._timer: asyncio.TimerHandle | None = None

    def add(self, item: T) -> None:
        """Queue ``item``; flush now if the batch is full, else make sure a timer runs."""
        self._pending.append(item)
        if len(self._pending) >= self.size:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.max_wait, self.flush)

    def flush(self) -> None:
        """Hand on what waits (nothing happens when nothing does)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if batch:
            self._flush(batch)
