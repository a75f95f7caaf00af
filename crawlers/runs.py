"""A crawl kept as runs: one per source in the store, judged as the monitor judges its own
(:func:`crawlers.health.judged_end`), so ``lurewatch status`` and the sources page show
the crawls of ``lurewatch crawl`` and ``lurewatch demo`` beside the monitor's."""

from __future__ import annotations

import socket
from typing import Any

from crawlers.health import judged_end
from crawlers.run import crawl
from crawlers.stats import CrawlStats
from index.base import Store
from lurewatch.config import Settings, Source

# Who ran a command-line crawl, in the runs kept: one name per host, so a later crawl
# there can tell the runs of one that was killed before it could end them.
COMMAND_LINE_MONITOR = f"command-line@{socket.gethostname()}"


def recorded_crawl(sources: list[Source], settings: Settings, store: Store,
                   **crawl_options: Any) -> CrawlStats:
    """:func:`crawlers.run.crawl`, with a run per source started before and ended after it
    in ``store``. Runs an earlier command-line crawl on this host left 'running' (it was
    killed) are marked 'interrupted' first; a crawl that fails or is stopped by Ctrl-C
    ends its runs 'failed' or 'interrupted' and the error goes on up."""
    store.mark_abandoned_runs(COMMAND_LINE_MONITOR)
    run_ids = {s.name: store.start_run(s.name, COMMAND_LINE_MONITOR) for s in sources}
    try:
        stats = crawl(sources, settings, store=store, **crawl_options)
    except BaseException as exc:
        stopped = isinstance(exc, KeyboardInterrupt)
        for run_id in run_ids.values():
            store.finish_run(run_id, outcome="interrupted" if stopped else "failed",
                             counts={}, health="unknown" if stopped else "unhealthy",
                             problems=[] if stopped else [f"crawl failed: {exc}"[:300]],
                             error=str(exc)[:1000] or type(exc).__name__)
        raise
    for name, run_id in run_ids.items():
        counts = stats.of_source(name)
        if counts.interrupted:  # a partial crawl says nothing about the source's health
            store.finish_run(run_id, outcome="interrupted", counts=counts.to_dict(),
                             health="unknown", problems=[])
        else:
            store.finish_run(run_id, **judged_end(store, run_id, counts,
                                                  settings.monitor.health))
    return stats
