"""End to end: crawl -> score -> cluster -> store for a generated job board, ads per second
per stage and overall.

    python -m benchmarks.end_to_end [--ads 1000] [--scorer model] [--json PATH]

The stages run one after the other on the same records, so each one's rate is its own
(in ``lurewatch crawl`` they overlap in one pipeline; ``benchmarks.crawl`` times that):

* ``crawl``: fetch, decode, parse, extract and normalise :mod:`benchmarks.sample_site`'s
  board of ``--ads`` postings (``crawlers.run.crawl`` with scoring and clustering off;
  spider open-to-close time, so the child's start-up is not counted). The crawl itself
  stores the records too, into a staging store the later stages read from;
* ``score``: ``load_scorer``'s scorer over them in batches of ``model.batch_size``
  (loading it and its first call, which loads lexicons, are not counted); ``--scorer``
  as in ``benchmarks.crawl``;
* ``cluster``: the crawl's cluster stage (near-duplicate cluster and campaign per record);
* ``store``: ``SQLiteStore.upsert`` into a fresh store in the crawl's batch size.

``overall`` is ads over the sum of the four stages' seconds.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from benchmarks.crawl import SCORERS, lurewatch_settings
from benchmarks.machine import announce, write_figures
from benchmarks.sample_site import SOURCE_NAME, board_source, serve_generated_board
from classifiers.campaigns import CampaignIndex
from classifiers.cluster import CLUSTER_INDEX_FILE, NearDuplicateIndex
from classifiers.scoring import load_scorer
from crawlers.pipelines.cluster import ClusterPipeline
from crawlers.run import crawl
from crawlers.settings import ITEM_PIPELINES, STORE_BATCH_SIZE
from index.sqlite import SQLiteStore
from lurewatch.record import Ad, Label

# The crawl stage without the cluster stage, which is timed on its own.
WITHOUT_CLUSTERING = {"SCORE_ENABLED": False, "ITEM_PIPELINES": {
    path: order for path, order in ITEM_PIPELINES.items() if not path.endswith("ClusterPipeline")}}
FLAGGED = (Label.deceptive_recruitment, Label.smuggling_offer)


def batches(ads: Sequence[Ad], size: int) -> Iterator[Sequence[Ad]]:
    for start in range(0, len(ads), size):
        yield ads[start:start + size]


def timed_batches(ads: Sequence[Ad], size: int, work: Callable[[Sequence[Ad]], list[Ad]],
                  advance: Callable[[int], None]) -> tuple[list[Ad], float]:
    """``work`` over ``ads`` in batches of ``size``, and the seconds it took."""
    done: list[Ad] = []
    started = time.perf_counter()
    for batch in batches(ads, size):
        done += work(batch)
        advance(len(batch))
    return done, time.perf_counter() - started


def run(ads: int, scorer_name: str, work: Path, progress: Progress) -> dict[str, Any]:
    settings, _ = lurewatch_settings(work, scorer_name)
    seconds: dict[str, float] = {}

    crawling = progress.add_task("crawl", total=ads)
    with serve_generated_board(ads) as site, SQLiteStore(work / "staging.db") as staging:
        stats = crawl([board_source(site, ads)], settings, store=staging,
                      overrides=WITHOUT_CLUSTERING,
                      progress=lambda _, stored: progress.update(crawling, completed=stored))
        crawled = list(staging.scan())
    seconds["crawl"] = stats.sources[SOURCE_NAME].duration

    scorer = load_scorer(settings) if scorer_name != "none" else None
    if scorer is not None and crawled:
        scorer.score(crawled[:1])  # lexicons and sessions load on first use: not timed
    scoring = progress.add_task(f"score ({scorer.version if scorer else 'off'})",
                                total=len(crawled))
    scored, seconds["score"] = timed_batches(
        crawled, settings.model.batch_size, scorer.score if scorer else list,
        lambda n: progress.advance(scoring, n))

    clustering = progress.add_task("cluster", total=len(scored))
    path = work / CLUSTER_INDEX_FILE
    clusterer = ClusterPipeline(NearDuplicateIndex(path), CampaignIndex(path))
    clustered, seconds["cluster"] = timed_batches(
        scored, 1, lambda batch: [clusterer.process_item(ad) for ad in batch],
        lambda n: progress.advance(clustering, n))
    clusterer.close_spider()

    storing = progress.add_task("store", total=len(clustered))
    with SQLiteStore(work / "store.db") as store:

        def upsert(batch: Sequence[Ad]) -> list[Ad]:
            store.upsert(batch)
            return list(batch)

        _, seconds["store"] = timed_batches(clustered, STORE_BATCH_SIZE, upsert,
                                            lambda n: progress.advance(storing, n))
        stored = store.count()

    seconds["overall"] = sum(seconds.values())
    return {
        "ads": len(crawled),
        "pages_fetched": stats.sources[SOURCE_NAME].pages_fetched,
        "stored": stored,
        "flagged": sum(ad.risk_label in FLAGGED for ad in clustered),
        "scorer": scorer.version if scorer else "none",
        "seconds": {stage: round(s, 2) for stage, s in seconds.items()},
        "ads_per_second": {stage: round(len(crawled) / s, 1) if s else None
                           for stage, s in seconds.items()},
    }


def print_table(figures: dict[str, Any], console: Console) -> None:
    table = Table(title=f"End to end, {figures['ads']:,} ads, scorer {figures['scorer']}")
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    table.add_column("ads/s", justify="right")
    for stage, rate in figures["ads_per_second"].items():
        table.add_row(stage, f"{figures['seconds'][stage]:.1f}",
                      "-" if rate is None else f"{rate:,.1f}")
    console.print(table)
    console.print(f"{figures['pages_fetched']} pages fetched, {figures['stored']} records "
                  f"stored, {figures['flagged']} flagged")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ads", type=int, default=1000, help="postings on the board")
    parser.add_argument("--scorer", choices=SCORERS, default="model")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    machine = announce()
    console = Console()
    with (tempfile.TemporaryDirectory(prefix="lurewatch-bench-") as work,
          Progress(console=console) as progress):
        figures = run(args.ads, args.scorer, Path(work), progress)
    print_table(figures, console)
    figures["machine"] = machine
    write_figures(args.json, figures)


if __name__ == "__main__":
    main()
