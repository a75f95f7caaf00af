"""A command-line crawl keeps its runs in the store, judged as the monitor's are."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.runs import COMMAND_LINE_MONITOR, recorded_crawl
from crawlers.sample_sites.server import SampleSites
from crawlers.settings import UNSCORED
from index.runs import ABANDONED_RUN_ERROR
from index.sqlite import SQLiteStore
from lurewatch.config import Source
from lurewatch.urls import UnsafeURLError
from tests.crawlers.conftest import make_settings, sources_for


def test_a_crawl_ends_each_source_run_with_its_health(site: SampleSites,
                                                       tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "store.db") as store:
        killed = store.start_run("kerjahub", COMMAND_LINE_MONITOR)  # a crawl killed with -9
        stats = recorded_crawl(sources_for(site, "kerjahub"), make_settings(tmp_path), store,
                               overrides=UNSCORED)
        runs = store.recent_runs("kerjahub", 5)
    latest, earlier = runs
    assert (latest.monitor, latest.outcome, latest.health) == (
        COMMAND_LINE_MONITOR, "ok", "healthy")
    assert latest.counts["stored"] == stats.sources["kerjahub"].stored > 0
    assert (earlier.id, earlier.outcome, earlier.error) == (
        killed, "interrupted", ABANDONED_RUN_ERROR)


def test_a_crawl_that_cannot_start_ends_its_runs_failed(tmp_path: Path) -> None:
    refused = Source(name="metadata", kind="jsonld",
                     start_urls=["http://169.254.169.254/"])
    with SQLiteStore(tmp_path / "store.db") as store:
        with pytest.raises(UnsafeURLError):
            recorded_crawl([refused], make_settings(tmp_path), store)
        (run,) = store.recent_runs("metadata", 5)
    assert (run.outcome, run.health) == ("failed", "unhealthy")
    assert "169.254.169.254" in run.error and run.problems
