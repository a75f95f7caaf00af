"""Benchmark near-duplicate clustering and campaign linking.

Measures, on a synthetic crawl of N records (default 100,000; 60% re-posts of templated
ads with slots changed, 40% one-off ads, a third with a phone from a shared pool):

* ``add_per_second``: records added one at a time with ``NearDuplicateIndex.assign``
  (each its own transaction, as the crawl pipeline calls it), and the rate over the
  first and the last tenth, to show it does not fall as the index grows;
* ``rebuild_seconds``: ``relink_store`` on a SQLite store holding the same records (what
  ``lurewatch cluster rebuild`` runs: scan, re-cluster, campaigns, write-back);
* ``campaign_list_ms``: ``stored_campaigns()`` (the 50 riskiest campaigns, what
  ``lurewatch campaigns list`` shows) on that store after the rebuild, median of 3, beside
  ``campaign_list_reading_every_record_ms``, the same listing made from every record (how
  it was made before ``Store.campaign_sizes``), and their ratio;
* ``peak_rss_mb``: the process's peak resident memory at the end;
* ``pairwise``: precision and recall on the labelled set ``classifiers/data/cluster_eval.jsonl``.

    python -m benchmarks.cluster [--records N] [--json PATH]
"""

from __future__ import annotations

import argparse
import itertools
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from benchmarks.machine import announce, write_figures
from classifiers.campaigns import (
    CampaignIndex,
    campaigns_by_stored_id,
    relink_store,
    stored_campaigns,
)
from classifiers.cluster import NearDuplicateIndex, evaluate, load_eval_set
from index.sqlite import SQLiteStore
from lurewatch.record import Ad, Contacts, Label

START = datetime(2026, 1, 1, tzinfo=UTC)
T = TypeVar("T")
CITIES = ("Kuala Lumpur", "Johor Bahru", "Penang", "Ipoh", "Klang", "Kuching", "Bangkok",
          "Mae Sot", "Sihanoukville", "Phnom Penh", "Yangon", "Jakarta", "Manila")


def _vocabulary() -> list[str]:
    """Words (and single CJK characters) of the labelled set: the region's languages."""
    words: set[str] = set()
    for ad, _ in load_eval_set():
        for word in ad.text.split():
            words.update(word if word.isascii() or len(word) < 6 else list(word))
    return sorted(words)


def synthetic_ads(count: int, seed: int = 7) -> Iterator[Ad]:
    """A reproducible synthetic crawl (generated lazily: the ads are never all in memory)."""
    rng = random.Random(seed)
    vocabulary = _vocabulary()
    templates = [" ".join(rng.choices(vocabulary, k=rng.randint(40, 70))) + " {slot}"
                 for _ in range(max(count // 40, 1))]
    phones = [f"+601{rng.randint(10_000_000, 99_999_999)}" for _ in range(max(count // 20, 1))]
    for number in range(count):
        if rng.random() < 0.6:
            slot = (f"{rng.choice(CITIES)} RM{rng.randint(20, 60) * 100} "
                    f"+60 1{rng.randint(0, 9)}-{rng.randint(1_000_000, 9_999_999)}")
            text = rng.choice(templates).replace("{slot}", slot)
        else:
            text = " ".join(rng.choices(vocabulary, k=rng.randint(40, 70)))
        flagged = rng.random() < 0.2
        yield Ad(source=f"source_{rng.randint(0, 9)}", url=f"https://bench.invalid/ad/{number}",
                 text=text, posted_at=START + timedelta(minutes=number),
                 country=rng.choice(("MY", "TH", "SG", "KH")),
                 contacts=Contacts(phones=[rng.choice(phones)] if rng.random() < 0.33 else []),
                 risk_label=Label.deceptive_recruitment if flagged else Label.legitimate,
                 risk_score=rng.uniform(0.5, 1.0) if flagged else rng.uniform(0.0, 0.4))


def measure(records: int, workdir: Path) -> dict[str, object]:
    """The figures for ``records`` (rounded down to a multiple of ten)."""
    tenth = max(records // 10, 1)
    ads = synthetic_ads(records)
    # Per tenth: wall seconds and this process's CPU seconds (other work on a shared
    # machine slows the wall clock, not the CPU time).
    wall: list[float] = []
    cpu: list[float] = []
    with NearDuplicateIndex(workdir / "clusters.sqlite") as index:
        for _ in range(10):
            wall_start, cpu_start = time.perf_counter(), time.process_time()
            for ad in itertools.islice(ads, tenth):
                index.assign(ad)
            wall.append(time.perf_counter() - wall_start)
            cpu.append(time.process_time() - cpu_start)

    with SQLiteStore(workdir / "store.db") as store:
        batch: list[Ad] = []
        for ad in synthetic_ads(10 * tenth):
            batch.append(ad)
            if len(batch) == 500:
                store.upsert(batch)
                batch.clear()
        store.upsert(batch)
        links = workdir / "rebuild.sqlite"
        with NearDuplicateIndex(links) as clusters, CampaignIndex(links) as campaigns:
            started, cpu_start = time.perf_counter(), time.process_time()
            report = relink_store(store, clusters, campaigns)
            rebuild_seconds = time.perf_counter() - started
            rebuild_cpu_seconds = time.process_time() - cpu_start
        listed, list_seconds = _median_of_3(lambda: stored_campaigns(store))
        from_every_record, every_record_seconds = _median_of_3(
            lambda: campaigns_by_stored_id(store.scan(), min_size=2)[:50])
        if [c.id for c in listed] != [c.id for c in from_every_record]:
            raise SystemExit("the two campaign listings differ: the comparison is void")

    scores = evaluate()
    return {
        "pairwise": {"precision": round(scores.precision, 4), "recall": round(scores.recall, 4)},
        "add_per_second": round(10 * tenth / sum(wall), 1),
        "add_per_cpu_second": round(10 * tenth / sum(cpu), 1),
        "add_per_cpu_second_first_tenth": round(tenth / cpu[0], 1),
        "add_per_cpu_second_last_tenth": round(tenth / cpu[-1], 1),
        "rebuild_seconds": round(rebuild_seconds, 1),
        "rebuild_cpu_seconds": round(rebuild_cpu_seconds, 1),
        "campaign_list_ms": round(list_seconds * 1000, 1),
        "campaign_list_reading_every_record_ms": round(every_record_seconds * 1000, 1),
        "campaign_list_speedup": round(every_record_seconds / list_seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "records": 10 * tenth,
        "clusters": report.clusters,
        "campaigns": report.campaigns,
        "eval_records": scores.records,
    }


def _median_of_3(run: Callable[[], T]) -> tuple[T, float]:
    """What ``run`` returns and the median of three timed calls, in seconds."""
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        result = run()
        timings.append(time.perf_counter() - started)
    return result, statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--json", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()
    machine = announce()
    with tempfile.TemporaryDirectory(prefix="lurewatch-bench-") as workdir:
        figures = measure(args.records, Path(workdir))
    width = max(len(key) for key in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    figures["machine"] = machine
    write_figures(args.json, figures)


if __name__ == "__main__":
    main()
