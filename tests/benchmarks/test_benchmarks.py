"""Every benchmark runs as ``make bench`` runs it (``python -m benchmarks.NAME``, which a
``benchmarks/index.py`` script would break by shadowing the ``index`` package), in a tiny
configuration, and writes its figures with the machine they were measured on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.machine import cpu_line, describe
from tests.support.opensearch.node import RunnerNode

REPO_ROOT = Path(__file__).resolve().parents[2]

CPUINFO = """processor\t: 0
model name\t: AMD EPYC 9R14 96-Core Processor
flags\t\t: fpu sse2 avx2 avx512f avx512_vnni

processor\t: 1
model name\t: AMD EPYC 9R14 96-Core Processor
flags\t\t: fpu sse2 avx2 avx512f avx512_vnni
"""


def test_machine_reads_the_cpu_model_and_its_int8_flags(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(CPUINFO, encoding="utf-8")
    machine = describe(cpuinfo)
    assert machine["cpu"] == "AMD EPYC 9R14 96-Core Processor"
    assert machine["int8_flags"] == ["avx512_vnni"]
    assert machine["cores"] >= 1
    assert "int8 flags: avx512_vnni" in cpu_line(machine)


def run_benchmark(name: str, tmp_path: Path, *args: str) -> dict:
    out = tmp_path / f"{name}.json"
    result = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", *args,
                             "--json", str(out)], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=540)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("CPU: ")
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["machine"]["cores"] >= 1
    return figures


@pytest.mark.slow
def test_crawl_benchmark_times_both_spiders_on_the_generated_board(tmp_path: Path) -> None:
    figures = run_benchmark("crawl", tmp_path, "--pages", "30", "--scorer", "rules")
    # 30 postings, 2 listing pages; robots.txt is not counted as a page
    assert figures["pages"] == figures["pages_do_nothing"] == 32
    assert figures["records_stored"] == 30
    assert figures["ratio_lurewatch_to_do_nothing"] > 0


@pytest.mark.slow
def test_end_to_end_benchmark_reports_every_stage(tmp_path: Path) -> None:
    figures = run_benchmark("end_to_end", tmp_path, "--ads", "30", "--scorer", "rules")
    assert figures["ads"] == figures["stored"] == 30
    assert set(figures["ads_per_second"]) == {"crawl", "score", "cluster", "store", "overall"}
    assert figures["flagged"] > 0  # the board's trafficking ads are found by the rules


@pytest.mark.slow
@pytest.mark.parametrize(("name", "args"), [
    ("cluster", ("--records", "200")),
    ("langid", ()),
    ("serve_profile", ("--ads", "5")),
    ("review_ui", ("--records", "200", "--requests", "2")),
])
def test_store_scoring_and_language_benchmarks_run(name: str, args: tuple[str, ...],
                                           tmp_path: Path) -> None:
    run_benchmark(name, tmp_path, *args)


@pytest.mark.slow
def test_classify_benchmark_runs_on_the_promoted_model(tmp_path: Path) -> None:
    from classifiers.transformer.registry import Registry, RegistryError
    from lurewatch.config import load_settings

    model = Registry(load_settings().model.registry).promoted()
    try:
        if model is None:
            raise RegistryError("no promoted model")
        model.verify_weights()  # the benchmark loads PyTorch, ONNX fp32 and int8 weights
    except RegistryError as exc:
        pytest.skip(f"default model not built (classifiers/transformer/build_default.sh): {exc}")
    figures = run_benchmark("classify", tmp_path, "--batch", "2", "--batches", "1", "--no-f1")
    assert figures["ads_per_second"]["onnx_int8"] > 0


@pytest.mark.slow
@pytest.mark.opensearch
def test_index_benchmark_runs_on_the_test_node(opensearch_node: RunnerNode,
                                               tmp_path: Path) -> None:
    figures = run_benchmark("index", tmp_path, "--records", "200", "--url", opensearch_node.url)
    assert figures["records"] == 200
