"""Last stage: hand scored records, in batches, to the parent process that calls
``Store.upsert`` (see :mod:`crawlers.sink`). A batch leaves when ``STORE_BATCH_SIZE``
records wait, after ``STORE_BATCH_MAX_WAIT`` seconds, and when the spider closes, so a
crawl killed half-way loses at most the last unsent batch, which is refetched next time
(the parent marks records seen only once stored)."""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawlers.batching import Batcher
from crawlers.settings import crawl_config
from crawlers.sink import SINK_FD_SETTING, RecordSink, sink_for_fd
from lurewatch.record import Ad


class StorePipeline:
    def __init__(self, sink: RecordSink, source: str, batch_size: int, max_wait: float) -> None:
        self.sink = sink
        self.source = source
        self._batches: Batcher[Ad] = Batcher(batch_size, max_wait, self._send)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        fd = crawler.settings.getint(SINK_FD_SETTING, -1)
        if fd < 0:
            raise NotConfigured("no record sink: run crawls through crawlers.run.crawl")
        return cls(sink_for_fd(fd), crawl_config(crawler).source.name,
                   crawler.settings.getint("STORE_BATCH_SIZE", 50),
                   crawler.settings.getfloat("STORE_BATCH_MAX_WAIT", 1.0))

    def process_item(self, item: Ad) -> Ad:
        self._batches.add(item)
        return item

    def _send(self, batch: list[Ad]) -> None:
        self.sink.records(self.source, batch)

    def close_spider(self) -> None:
        self._batches.flush()
