"""Clustering stage: each scored record gets its near-duplicate cluster and its campaign
(``classifiers.cluster`` and ``classifiers.campaigns``) before it is stored. Both indexes
live in one SQLite file under ``data_dir`` that several crawl processes share."""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler

from classifiers.campaigns import CampaignIndex
from classifiers.cluster import CLUSTER_INDEX_FILE, NearDuplicateIndex
from crawlers.settings import crawl_config
from lurewatch.record import Ad


class ClusterPipeline:
    def __init__(self, clusters: NearDuplicateIndex, campaigns: CampaignIndex) -> None:
        self.clusters = clusters
        self.campaigns = campaigns

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        data_dir = crawl_config(crawler).settings.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / CLUSTER_INDEX_FILE
        return cls(NearDuplicateIndex(path), CampaignIndex(path))

    def process_item(self, item: Ad) -> Ad:
        item.cluster_id = self.clusters.assign(item)
        item.campaign_id = self.campaigns.assign(item)  # campaigns link clusters too
        return item

    def close_spider(self) -> None:
        self.clusters.close()
        self.campaigns.close()
