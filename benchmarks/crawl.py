"""Crawl throughput: pages per second of a full Lurewatch crawl (fetch, decode, parse,
extract, normalise, score, cluster, store) of a generated job board next to a do-nothing
Scrapy spider that fetches the same pages from the same loopback server in the same run.

    python -m benchmarks.crawl [--pages 1000] [--rounds 1] [--scorer model] [--json PATH]

The board is :mod:`benchmarks.sample_site`'s, ``--pages`` postings plus one listing page
per 20. Both spiders run with the same Scrapy download settings (no politeness delay, 8
requests per domain, robots.txt obeyed); each figure is the median over rounds of pages
fetched divided by the spider's open-to-close time (process start-up and loading the
scorer are not counted). ``--scorer``: ``model`` is what ``lurewatch crawl`` scores with
(the promoted model and the rules; the rules alone when no model is built), ``rules``
the rules alone, ``none`` no scoring stage, to show what scoring costs."""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.machine import announce, write_figures
from benchmarks.sample_site import SOURCE_NAME, board_source, serve_generated_board
from crawlers.run import crawl
from crawlers.settings import UNSCORED
from crawlers.stats import SourceStats
from index.sqlite import SQLiteStore
from lurewatch.config import Settings

DOWNLOAD = {"download_delay": 0.0, "concurrent_requests_per_domain": 8, "autothrottle": False}
SCORERS = ("model", "rules", "none")


def lurewatch_settings(work: Path, scorer: str) -> tuple[Settings, dict[str, Any]]:
    """Settings and Scrapy overrides for a crawl into ``work`` scored by ``scorer``."""
    # An empty registry has no promoted model, so load_scorer falls back to the rules.
    model = {"registry": work / "no-models"} if scorer == "rules" else {}
    settings = Settings(data_dir=work, crawl={"jobdir": work / "jobs", **DOWNLOAD},
                        model=model)
    return settings, UNSCORED if scorer == "none" else {}


def lurewatch_round(base_url: str, pages: int, scorer: str, work: Path) -> SourceStats:
    settings, overrides = lurewatch_settings(work, scorer)
    with SQLiteStore(work / "store.db") as store:
        stats = crawl([board_source(base_url, pages)], settings, store=store,
                      overrides=overrides)
    return stats.sources[SOURCE_NAME]


DO_NOTHING = """
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess

class DoNothing(scrapy.Spider):
    name = "do_nothing"
    pages = 0

    async def start(self):
        for url in json.loads(sys.argv[1]):
            yield scrapy.Request(url)

    def parse(self, response):
        self.pages += 1
        for href in response.xpath("//a/@href").getall():
            if "/board/" in href:
                yield response.follow(href)

process = CrawlerProcess({"ROBOTSTXT_OBEY": True, "DOWNLOAD_DELAY": 0.001,
                          "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "LOG_ENABLED": False,
                          "DOWNLOAD_MAXSIZE": int(sys.argv[3]), "TELNETCONSOLE_ENABLED": False})
crawler = process.create_crawler(DoNothing)
process.crawl(crawler)
process.start()
stats = crawler.stats.get_stats()
with open(sys.argv[2], "w") as out:
    json.dump({"pages": crawler.spider.pages, "seconds": stats["elapsed_time_seconds"]}, out)
"""


def do_nothing_round(start_urls: list[str], work: Path) -> tuple[int, float]:
    result = work / "do_nothing.json"
    subprocess.run([sys.executable, "-c", DO_NOTHING, json.dumps(start_urls), str(result),
                    str(Settings().crawl.max_page_bytes)], check=True)
    figures = json.loads(result.read_text())
    return figures["pages"], figures["seconds"]


def rounds(count: int) -> Iterator[Path]:
    for _ in range(count):
        with tempfile.TemporaryDirectory(prefix="lurewatch-bench-") as work:
            yield Path(work)


def run(pages: int, count: int, scorer: str) -> dict[str, Any]:
    ours: list[SourceStats] = []
    theirs: list[tuple[int, float]] = []
    with serve_generated_board(pages) as site:
        for work in rounds(count):
            # Alternate within a round, so both meet the same load from other work.
            theirs.append(do_nothing_round([f"{site}/board/jobs"], work))
            ours.append(lurewatch_round(site, pages, scorer, work))
    lurewatch = statistics.median(s.pages_fetched / s.duration for s in ours)
    do_nothing = statistics.median(p / s for p, s in theirs)
    return {
        "pages_per_second": {"lurewatch": round(lurewatch, 1), "do_nothing": round(do_nothing, 1)},
        "ratio_lurewatch_to_do_nothing": round(lurewatch / do_nothing, 3),
        "pages": ours[0].pages_fetched,
        "pages_do_nothing": theirs[0][0],
        "records_stored": ours[0].stored,
        "seconds": round(statistics.median(s.duration for s in ours), 1),
        "scoring_seconds": round(statistics.median(sum(s.scoring_seconds) for s in ours), 1),
        "scorer": scorer,
        "rounds": count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000, help="postings on the board")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--scorer", choices=SCORERS, default="model")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    machine = announce()
    figures = run(args.pages, args.rounds, args.scorer)
    speed = figures["pages_per_second"]
    print(f"scorer {args.scorer}, {figures['records_stored']} records stored, "
          f"{figures['scoring_seconds']} s of it scoring")
    print(f"{'spider':<12} {'pages':>6} {'pages/s':>9}")
    print(f"{'lurewatch':<12} {figures['pages']:>6} {speed['lurewatch']:>9.1f}")
    print(f"{'do-nothing':<12} {figures['pages_do_nothing']:>6} {speed['do_nothing']:>9.1f}")
    print(f"ratio lurewatch/do-nothing: {figures['ratio_lurewatch_to_do_nothing']:.2f}")
    figures["machine"] = machine
    write_figures(args.json, figures)


if __name__ == "__main__":
    main()
