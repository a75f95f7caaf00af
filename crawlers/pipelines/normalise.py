"""First pipeline stage: make records comparable before they are scored and stored.

The source's country fills in where the page gave none, and impossible dates (posted in
the future) are dropped. Structured pay gets its monthly USD figure where it is read
(``crawlers.extract.jsonld``); contacts and pay written in the text are found by the
scorer, which reads the text anyway (``classifiers.scoring``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Self

from scrapy.crawler import Crawler

from crawlers.settings import crawl_config
from lurewatch.record import Ad

FUTURE_SLACK = timedelta(days=1)  # clocks and time zones differ; more than this is wrong


def normalise_record(ad: Ad, *, default_country: str | None) -> Ad:
    update: dict[str, object] = {}
    if ad.country is None and default_country:
        update["country"] = default_country
    if ad.posted_at is not None and ad.posted_at > datetime.now(UTC) + FUTURE_SLACK:
        update["posted_at"] = None
    return ad.model_copy(update=update) if update else ad


class NormalisePipeline:
    def __init__(self, default_country: str | None) -> None:
        self.default_country = default_country

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawl_config(crawler).source.country)

    def process_item(self, item: Ad) -> Ad:
        return normalise_record(item, default_country=self.default_country)
