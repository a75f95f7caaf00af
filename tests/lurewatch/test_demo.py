"""The main job end to end: ``lurewatch demo`` on the embedded default, run twice."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from index.sqlite import SQLiteStore
from lurewatch.record import SECTORS, Label

SUMMARY_KEYS = {"crawled", "stored", "rejected", "flagged", "by_label", "by_language",
                "by_source", "seconds"}


def run_demo(workdir: Path, summary: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "lurewatch", "demo", "--summary-json", str(summary)],
        cwd=workdir, capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(summary.read_text())


@pytest.mark.slow
def test_demo_crawls_scores_and_stores_once(tmp_path: Path) -> None:
    first = run_demo(tmp_path, tmp_path / "first.json")
    assert first.keys() >= SUMMARY_KEYS
    assert first["crawled"] > 20 and first["stored"] > 20
    assert first["flagged"] == (first["by_label"].get("deceptive_recruitment", 0)
                                + first["by_label"].get("smuggling_offer", 0)) > 0
    assert {"deceptive_recruitment", "smuggling_offer", "legitimate"} <= first["by_label"].keys()
    assert len(first["by_language"]) >= 5 and len(first["by_source"]) >= 4
    assert first["rejected"], "the sample board serves hostile pages that must be refused"

    second = run_demo(tmp_path, tmp_path / "second.json")
    assert second["stored"] == 0
    assert second["records_in_store"] == first["records_in_store"]

    # Both crawls are runs in the store, judged like the monitor's (crawlers.runs).
    status = subprocess.run([sys.executable, "-m", "lurewatch", "status", "--json"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            check=True)
    shown = json.loads(status.stdout)
    assert shown["store"].startswith("SQLite ")
    rows = shown["sources"]
    assert {row["source"] for row in rows} >= first["per_source"].keys()
    assert all(row["last_run"]["outcome"] == "ok" and row["health"] in ("healthy", "degraded")
               for row in rows), rows

    with SQLiteStore(tmp_path / "data" / "lurewatch.db") as store:
        records = list(store.scan())
    assert len(records) == first["records_in_store"]
    assert all(r.model_version and r.risk_label and r.cluster_id and r.campaign_id
               for r in records)
    assert all(r.indicators for r in records if r.flagged)
    # Every job ad is grouped by sector in the trend views (classifiers.sector).
    assert all(r.sector in SECTORS for r in records if r.risk_label != Label.not_job_related)

    # Every stored record points at the page it came from, kept intact (crawlers.warc),
    # and the promoted model can score them all again (classifiers.rescore).
    verified = _json_command(tmp_path, "archive", "verify", "--json")
    assert verified["records"] == len(records) and verified["without_snapshot"] == 0
    assert verified["intact"] == verified["snapshots"] > 0
    assert _json_command(tmp_path, "rescore", "--json")["rescored"] == len(records)


def _json_command(workdir: Path, *args: str) -> dict:
    result = subprocess.run([sys.executable, "-m", "lurewatch", *args], cwd=workdir,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)
