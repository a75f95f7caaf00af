"""Keep what was fetched for every record a page yields (:mod:`crawlers.warc`).

A spider middleware, because it sees each item together with the response it came from
(item pipelines see the item only). Spiders pass on only records that are new or changed
since last stored (``LurewatchSpider.emit``), so a page is archived exactly when it yields
or changes a record, once however many records it yields; pages that only lead to others
(listings, sitemaps) and unchanged re-fetches are not kept. ``SNAPSHOT_ENABLED = False``
turns it off; ``SNAPSHOT_MAX_BYTES`` is the size at which a WARC file is rotated.
"""

from __future__ import annotations

from typing import Any, Self
from weakref import WeakKeyDictionary

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from crawlers.settings import SNAPSHOT_MAX_BYTES, crawl_config
from crawlers.warc import Snapshot, SnapshotWriter, snapshot_dir
from lurewatch.record import Ad


def response_headers(response: Response) -> list[tuple[str, str]]:
    # Header bytes are whatever the server sent; latin-1 maps every byte to one character.
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in response.headers.items() for value in values]


class SnapshotMiddleware(BaseSpiderMiddleware):
    # Plain values, unlike the base class (which keeps the crawler it never needs here).
    def __init__(self, writer: SnapshotWriter) -> None:
        self.writer = writer
        self._kept: WeakKeyDictionary[Response, Snapshot] = WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("SNAPSHOT_ENABLED", True):
            raise NotConfigured("snapshots are off (SNAPSHOT_ENABLED)")
        config = crawl_config(crawler)
        root = snapshot_dir(config.settings)
        middleware = cls(SnapshotWriter(
            root / config.source.name, root=root,
            max_bytes=crawler.settings.getint("SNAPSHOT_MAX_BYTES", SNAPSHOT_MAX_BYTES),
            software=crawler.settings.get("USER_AGENT", "Lurewatch")))
        crawler.signals.connect(middleware.writer.close, signal=signals.spider_closed)
        return middleware

    def get_processed_item(self, item: Any, response: Response | None) -> Any:
        if not isinstance(item, Ad) or response is None:
            return item
        snapshot = self._kept.get(response)
        if snapshot is None:
            snapshot = self.writer.write(url=response.url, status=response.status,
                                         headers=response_headers(response),
                                         body=response.body, protocol=response.protocol)
            self._kept[response] = snapshot
        return item.model_copy(update={"raw_ref": str(snapshot.ref),
                                       "snapshot_sha256": snapshot.sha256})
