"""Refuse to fetch anything but public http(s) addresses, for every request and
redirect, unless the spider's source is a local test source."""

from __future__ import annotations

from typing import Self

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from lurewatch.urls import UnsafeURLError, check_fetchable


class UnsafeURL(IgnoreRequest):
    """A request to a non-public address, refused before it left."""


class URLSafetyMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        source = getattr(spider, "source", None)
        allow_local = bool(source and source.local_test)
        try:
            check_fetchable(request.url, allow_local=allow_local)
        except UnsafeURLError as exc:
            raise UnsafeURL(str(exc)) from exc
