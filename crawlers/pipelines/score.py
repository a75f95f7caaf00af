"""Scoring stage: records are scored in batches by the configured scorer
(``classifiers.scoring.load_scorer``), off the reactor thread so fetching goes on.

A batch is scored when ``SCORE_BATCH_SIZE`` records wait, or ``SCORE_BATCH_MAX_WAIT``
seconds after the first one arrived, whichever comes first (:mod:`crawlers.batching`);
``SCORE_ENABLED = False`` turns the stage off. The seconds each batch took
to score go into the crawl stats (``lurewatch/scoring_seconds``, one entry per batch),
which the monitor turns into its scoring-latency histogram."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from classifiers.base import Scorer, score_each
from crawlers.batching import Batcher
from crawlers.settings import crawl_config
from crawlers.stats import SCORING_FAILED, SCORING_SECONDS
from lurewatch.record import Ad


class ScorePipeline:
    def __init__(self, scorer: Scorer, batch_size: int, max_wait: float,
                 stats: StatsCollector | None = None) -> None:
        self.scorer = scorer
        self.stats = stats
        self._batches: Batcher[tuple[Ad, asyncio.Future[Ad]]] = Batcher(
            batch_size, max_wait, self._score_batch)
        # One worker: scorers need not be thread-safe, and batches keep their order.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scorer")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("SCORE_ENABLED", True):
            raise NotConfigured("scoring is off (lurewatch crawl --no-score)")
        # Imported only when scoring is on: the scorers bring spaCy, and with it torch.
        from classifiers.scoring import load_scorer

        settings = crawl_config(crawler).settings
        return cls(load_scorer(settings),
                   crawler.settings.getint("SCORE_BATCH_SIZE", settings.model.batch_size),
                   crawler.settings.getfloat("SCORE_BATCH_MAX_WAIT", 0.5), crawler.stats)

    async def process_item(self, item: Ad) -> Ad:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Ad] = loop.create_future()
        self._batches.add((item, future))
        return await future

    def _score_batch(self, batch: list[tuple[Ad, asyncio.Future[Ad]]]) -> None:
        loop = asyncio.get_running_loop()
        scoring = loop.run_in_executor(self._executor, self._timed_score,
                                       [ad for ad, _ in batch])

        def deliver(done: asyncio.Future[tuple[list[Ad], float, int]]) -> None:
            error = done.exception()
            if error is None and self.stats is not None:
                # On the loop thread, like every other stats write: no lock needed.
                seconds = self.stats.get_value(SCORING_SECONDS)
                if seconds is None:
                    seconds = []
                    self.stats.set_value(SCORING_SECONDS, seconds)
                seconds.append(round(done.result()[1], 6))
                if done.result()[2]:
                    self.stats.inc_value(SCORING_FAILED, done.result()[2])
            for index, (_, future) in enumerate(batch):
                if future.done():
                    continue
                if error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(done.result()[0][index])

        scoring.add_done_callback(deliver)

    def _timed_score(self, ads: list[Ad]) -> tuple[list[Ad], float, int]:
        """The batch scored; a record the scorer fails on goes on unscored (stored, to be
        scored again later) and is counted, instead of failing its batch."""
        started = time.perf_counter()
        scored, failures = score_each(self.scorer, ads)
        return ([ad if ad is not None else original for ad, original in zip(scored, ads,
                                                                            strict=True)],
                time.perf_counter() - started, len(failures))

    async def close_spider(self) -> None:
        self._batches.flush()
        self._executor.shutdown(wait=True)
