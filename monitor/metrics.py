"""Prometheus metrics of the monitor process, with the official ``prometheus-client``.

All metrics live in one registry, :data:`REGISTRY`. The monitor serves it on
``monitor.metrics_host:metrics_port`` (:func:`serve_metrics`); the review application
can mount :func:`metrics_app` under ``/metrics`` of its own server instead.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    make_asgi_app,
    start_http_server,
)

from crawlers.stats import SourceStats

REGISTRY = CollectorRegistry(auto_describe=True)

STORE = Info("lurewatch_store", "What holds the records: engine and version",
             registry=REGISTRY)

CRAWLS = Counter("lurewatch_crawls", "Crawls by source and outcome (ok, failed, interrupted,"
                 " skipped_other_monitor, skipped_no_redis, skipped_no_store)",
                 ["source", "outcome"], registry=REGISTRY)
CRAWL_PAGES = Counter("lurewatch_crawl_pages", "Pages fetched by crawls", ["source"],
                      registry=REGISTRY)
CRAWL_RECORDS = Counter("lurewatch_crawl_records",
                        "Records from crawls, by source and what became of them (new,"
                        " already_seen, stored, rejected)", ["source", "kind"],
                        registry=REGISTRY)
CRAWL_DURATION = Histogram("lurewatch_crawl_duration_seconds", "Duration of one crawl",
                           ["source"], buckets=(1, 5, 15, 60, 300, 900, 3600),
                           registry=REGISTRY)
SOURCE_HEALTH = Gauge("lurewatch_source_health",
                      "Health after the latest crawl: 1 healthy, 0.5 degraded, 0 unhealthy",
                      ["source"], registry=REGISTRY)
RECORDS_BY_LABEL = Gauge("lurewatch_records", "Records in the store, by risk label",
                         ["label"], registry=REGISTRY)
SCORING_LATENCY = Histogram("lurewatch_scoring_latency_seconds",
                            "Seconds spent scoring one batch of records (measured in the"
                            " crawl process, observed after each crawl)",
                            buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 30), registry=REGISTRY)
QUEUE_LENGTH = Gauge("lurewatch_queue_length",
                     "Crawls due and waiting for a free slot, plus requests waiting in the"
                     " scrapy-redis queues when Redis is configured", registry=REGISTRY)
STORE_WRITE_ERRORS = Counter("lurewatch_store_write_errors",
                             "Records the store failed to write", ["source"], registry=REGISTRY)
SPOOL_SIZE = Gauge("lurewatch_spool_size",
                   "Records waiting in the store's write spool for the search engine",
                   registry=REGISTRY)
ALERTS = Counter("lurewatch_alerts", "Alerts raised, by rule", ["rule"], registry=REGISTRY)
ALERT_DELIVERIES = Counter("lurewatch_alert_deliveries", "Alert deliveries by channel and outcome",
                           ["channel", "outcome"], registry=REGISTRY)

HEALTH_VALUE = {"healthy": 1.0, "degraded": 0.5, "unhealthy": 0.0}


def count_crawl(name: str, counts: SourceStats, health: str) -> None:
    """The metrics of one finished crawl."""
    CRAWLS.labels(source=name, outcome="ok").inc()
    CRAWL_PAGES.labels(source=name).inc(counts.pages_fetched)
    for kind in ("new", "already_seen", "stored"):
        CRAWL_RECORDS.labels(source=name, kind=kind).inc(getattr(counts, kind))
    CRAWL_RECORDS.labels(source=name, kind="rejected").inc(
        sum(counts.rejected.values()))
    CRAWL_DURATION.labels(source=name).observe(counts.duration)
    STORE_WRITE_ERRORS.labels(source=name).inc(counts.store_failed)
    SOURCE_HEALTH.labels(source=name).set(HEALTH_VALUE.get(health, 0))


def serve_metrics(host: str, port: int) -> int:
    """Serve ``/metrics`` from a background thread; returns the port (useful with port 0)."""
    server, _thread = start_http_server(port, addr=host, registry=REGISTRY)
    return int(server.server_address[1])


def metrics_app() -> Any:
    """An ASGI app serving :data:`REGISTRY`, for ``app.mount("/metrics", metrics_app())``."""
    return make_asgi_app(registry=REGISTRY)
