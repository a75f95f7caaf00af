"""Scoring stage: records are scored in batches by the configured scorer
(``classifiers.scoring.load_scorer``), off the reactor thread so fetching goes on.

A batch is scored when ``SCORE_BATCH_SIZE`` records wait, or ``SCORE_BATCH_MAX_WAIT``
seconds after the first one arrived, whichever comes first. The seconds each batch took
to score go into the crawl stats (``lurewatch/scoring_seconds``, one entry per batch),
which the monitor turns into its scoring-latency histogram."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Self

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from classifiers.base import Scorer
from crawlers.settings import lurewatch_settings
from crawlers.stats import SCORING_SECONDS
from lurewatch.record import Ad


class ScorePipeline:
    def __init__(self, scorer: Scorer, batch_size: int, max_wait: float,
                 stats: StatsCollector | None = None) -> None:
        self.scorer = scorer
        self.stats = stats
        self.batch_size = batch_size
        self.max_wait = max_wait
        self._pending: list[tuple[Ad, asyncio.Future[Ad]]] = []
        self._timer: asyncio.TimerHandle | None = None
        # One worker: scorers need not be thread-safe, and batches keep their order.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scorer")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        from classifiers.scoring import load_scorer

        settings = lurewatch_settings(crawler.settings)
        return cls(load_scorer(settings),
                   crawler.settings.getint("SCORE_BATCH_SIZE", settings.model.batch_size),
                   crawler.settings.getfloat("SCORE_BATCH_MAX_WAIT", 0.5), crawler.stats)

    async def process_item(self, item: Ad) -> Ad:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Ad] = loop.create_future()
        self._pending.append((item, future))
        if len(self._pending) >= self.batch_size:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self.max_wait, self._flush)
        return await future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if not batch:
            return
        loop = asyncio.get_running_loop()
        scoring = loop.run_in_executor(self._executor, self._timed_score,
                                       [ad for ad, _ in batch])

        def deliver(done: asyncio.Future[tuple[list[Ad], float]]) -> None:
            error = done.exception()
            if error is None and self.stats is not None:
                # On the loop thread, like every other stats write: no lock needed.
                seconds = self.stats.get_value(SCORING_SECONDS)
                if seconds is None:
                    seconds = []
                    self.stats.set_value(SCORING_SECONDS, seconds)
                seconds.append(round(done.result()[1], 6))
            for index, (_, future) in enumerate(batch):
                if future.done():
                    continue
                if error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(done.result()[0][index])

        scoring.add_done_callback(deliver)

    def _timed_score(self, ads: list[Ad]) -> tuple[list[Ad], float]:
        started = time.perf_counter()
        scored = self.scorer.score(ads)
        return scored, time.perf_counter() - started

    async def close_spider(self) -> None:
        self._flush()
        self._executor.shutdown(wait=True)
