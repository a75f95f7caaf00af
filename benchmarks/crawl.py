"""Crawl throughput: pages per second of a full Lurewatch crawl of the sample job board
(fetch, decode, parse, extract, build, normalise and store records) next to a do-nothing
Scrapy spider that fetches the same pages on the same loopback server in the same run.

    python benchmarks/crawl.py [--rounds 3] [--json PATH]

Both run with the same Scrapy download settings (no politeness delay, 8 requests per
domain, robots.txt obeyed); each figure is the median over rounds of pages fetched
divided by the spider's open-to-close time (process start-up is not counted).
Scoring is left out: it is the classifiers' cost, measured by their own benchmark."""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawlers.run import crawl  # noqa: E402
from crawlers.sample_sites.server import THROTTLED_ONCE, serve_sample_sites  # noqa: E402
from crawlers.settings import UNSCORED  # noqa: E402
from index.sqlite import SQLiteStore  # noqa: E402
from lurewatch.config import Settings, load_sources  # noqa: E402

SOURCES_FILE = ROOT / "crawlers" / "sample_sites" / "sources.yaml"
DOWNLOAD = {"download_delay": 0.0, "concurrent_requests_per_domain": 8, "autothrottle": False}


def lurewatch_round(base_url: str, work: Path) -> tuple[int, float]:
    settings = Settings(data_dir=work, crawl={"jobdir": work / "jobs", **DOWNLOAD})
    sources = [s for s in load_sources(SOURCES_FILE, base_url=base_url) if s.name == "kerjahub"]
    stats = crawl(sources, settings, store=SQLiteStore(work / "store.db"),
                  overrides=UNSCORED)
    board = stats.sources["kerjahub"]
    return board.pages_fetched, board.duration


DO_NOTHING = """
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.utils.sitemap import Sitemap

class DoNothing(scrapy.Spider):
    name = "do_nothing"
    pages = 0

    async def start(self):
        for url in json.loads(sys.argv[1]):
            yield scrapy.Request(url)

    def parse(self, response):
        self.pages += 1
        if not isinstance(response, scrapy.http.TextResponse):
            return
        if response.url.endswith(".xml"):
            for entry in Sitemap(response.body):
                yield scrapy.Request(entry["loc"])
        else:
            for href in response.xpath("//a/@href").getall():
                if href.startswith("/board/") or "/board/" in href:  # the board only
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


def run(count: int) -> dict[str, Any]:
    with serve_sample_sites() as site:
        # The board answers one 429 (Retry-After: 1) per server; take it before timing.
        with contextlib.suppress(urllib.error.HTTPError):
            urllib.request.urlopen(f"{site}{THROTTLED_ONCE}")
        start_urls = [f"{site}/board/jobs", f"{site}/board/sitemap.xml"]
        ours, theirs = [], []
        for work in rounds(count):
            ours.append(lurewatch_round(site, work))
            theirs.append(do_nothing_round(start_urls, work))
    return {
        "pages_per_second": {
            "lurewatch": round(statistics.median(p / s for p, s in ours), 1),
            "do_nothing": round(statistics.median(p / s for p, s in theirs), 1),
        },
        "pages": ours[0][0],
        "pages_do_nothing": theirs[0][0],
        "rounds": count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    figures = run(args.rounds)
    speed = figures["pages_per_second"]
    print(f"{'spider':<12} {'pages':>6} {'pages/s':>9}")
    print(f"{'lurewatch':<12} {figures['pages']:>6} {speed['lurewatch']:>9.1f}")
    print(f"{'do-nothing':<12} {figures['pages_do_nothing']:>6} {speed['do_nothing']:>9.1f}")
    print(f"ratio lurewatch/do-nothing: {speed['lurewatch'] / speed['do_nothing']:.2f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
