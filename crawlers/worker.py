"""The crawl child process: ``python -m crawlers.worker JOB.json``.

Runs one Scrapy process (Twisted's reactor cannot be restarted, so every crawl gets a
fresh process) with one crawler per source, and sends records and stats to the parent
through the pipe named in the job. SIGTERM or SIGINT stop it gracefully: spiders close,
pending requests are kept in each source's JOBDIR for the next run. So does the death
of the parent."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings as ScrapySettings

from crawlers.extensions import prepare_jobdir
from crawlers.resolver import resolver_settings
from crawlers.settings import default_settings, scrapy_settings
from crawlers.spiders import SPIDERS
from lurewatch.config import Settings, Source

ORPHAN_CHECK_SECONDS = 1.0


def run_job(job: dict[str, Any]) -> None:
    settings = Settings.model_validate(job["settings"])
    sources = [Source.model_validate(s) for s in job["sources"]]
    overrides: dict[str, Any] = job.get("overrides") or {}
    process = CrawlerProcess(default_settings() | resolver_settings(sources) | overrides)
    for position, source in enumerate(sources):
        values = scrapy_settings(settings, source, sink_fd=job["sink_fd"], overrides=overrides)
        if values.get("JOBDIR") and prepare_jobdir(Path(values["JOBDIR"])):
            print(f"lurewatch: {source.name}: the last run was killed; its JOBDIR was reset",
                  file=sys.stderr)
        # The first crawler installs the reactor (asyncio), as CrawlerProcess does.
        process.crawl(Crawler(SPIDERS[source.kind], ScrapySettings(values),
                              init_reactor=position == 0))
    _stop_when_orphaned(process)
    process.start()


def _stop_when_orphaned(process: CrawlerProcess) -> None:
    """Stop gracefully if the parent (which stores the records) dies. Polled, not
    ``PR_SET_PDEATHSIG``: that fires when the parent *thread* ends, and monitors crawl
    from pool threads."""
    from twisted.internet import reactor, task  # installed by the first crawler above

    parent = os.getppid()

    def check() -> None:
        if os.getppid() != parent:
            print("lurewatch: the crawl parent is gone; stopping", file=sys.stderr)
            watcher.stop()
            process.stop()

    watcher = task.LoopingCall(check)
    reactor.callWhenRunning(watcher.start, ORPHAN_CHECK_SECONDS, False)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m crawlers.worker JOB.json", file=sys.stderr)
        return 2
    run_job(json.loads(Path(argv[1]).read_text(encoding="utf-8")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
