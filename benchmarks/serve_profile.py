"""Where the served scoring path spends its time: ``lurewatch classify``'s code (load the
scorer the settings ask for, then ``classify_lines`` over JSONL ads) under cProfile,
summed per stage.

    python -m benchmarks.serve_profile [--ads 200] [--input JSONL] [--json PATH]

The ads are the development split's first ``--ads`` (or ``--input``'s lines, each with a
``text``). A stage's seconds are the cumulative time of the functions that do it, so
stages can nest: the model's forward passes include those the explanations make. cProfile
slows Python-heavy stages more than native ones (ONNX Runtime, spaCy's matcher), so read
the shares, not the ads/s, and take ads/s from ``benchmarks.classify``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import time
from pathlib import Path

from benchmarks.machine import announce, write_figures

# (stage, file under the repository, function): what each stage of scoring calls.
STAGES = (
    ("score, all stages", "classifiers/commands.py", "classify_lines"),
    ("normalise text", "classifiers/normalise.py", "normalise"),
    ("language id", "classifiers/langid.py", "identify"),
    ("  of which letters per script", "classifiers/langid.py", "script_counts"),
    ("rule matchers: build (once)", "classifiers/rules.py", "matchers"),
    ("rules: tokenise and match", "classifiers/rules.py", "__call__"),
    ("contacts", "classifiers/contacts.py", "find_contacts"),
    ("employer", "classifiers/contacts.py", "find_employer"),
    ("salary", "classifiers/salary.py", "find_salary"),
    ("sector", "classifiers/sector.py", "sector_of"),
    ("model forward passes", "classifiers/transformer/onnx_scorer.py", "run"),
    ("  explanations (occlusion)", "classifiers/transformer/explain.py", "occlusion_spans"),
)


def input_lines(ads: int, path: Path | None) -> list[str]:
    if path is not None:
        return path.read_text(encoding="utf-8").splitlines()[:ads]
    from classifiers.data.recipe import development_items

    return [json.dumps({"id": n, "title": item.title, "text": item.text}, ensure_ascii=False)
            for n, item in enumerate(development_items()[:ads])]


def stage_seconds(stats: pstats.Stats) -> dict[str, float]:
    """Cumulative seconds per stage of :data:`STAGES` (0 for a stage that never ran)."""
    found = dict.fromkeys((stage for stage, _, _ in STAGES), 0.0)
    entries = stats.stats.items()  # type: ignore[attr-defined] - pstats keeps it untyped
    for (filename, _, function), (_, _, _, cumulative, _) in entries:
        for stage, path, name in STAGES:
            if function == name and filename.endswith(path):
                found[stage] += cumulative
    return found


def profile(lines: list[str]) -> tuple[dict[str, float], str, int, float]:
    """Stage seconds, scorer version, ads scored and wall seconds under the profiler."""
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    # Imported under the profiler: the command pays for spaCy (and what it imports) too.
    from classifiers.commands import classify_lines
    from classifiers.scoring import load_scorer
    from lurewatch.config import load_settings

    scorer = load_scorer(load_settings())
    loaded = time.perf_counter() - started
    done, _ = classify_lines(lines, scorer, lambda _: None, lambda _: None)
    profiler.disable()
    wall = time.perf_counter() - started
    seconds = {"import and load the scorer": loaded,
               **stage_seconds(pstats.Stats(profiler, stream=io.StringIO()))}
    return seconds, scorer.version, done, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ads", type=int, default=200)
    parser.add_argument("--input", type=Path, help="JSONL ads (default: the dev split)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    machine = announce()
    lines = input_lines(args.ads, args.input)
    seconds, version, done, wall = profile(lines)
    print(f"{done} ads scored by {version}, {wall:.1f} s under cProfile")
    print(f"{'stage':<42} {'seconds':>8} {'of all':>8} {'ms/ad':>8}")
    for stage, spent in seconds.items():
        print(f"{stage:<42} {spent:>8.2f} {spent / wall:>8.0%} "
              f"{1000 * spent / max(done, 1):>8.1f}")
    write_figures(args.json, {
            "scorer": version, "ads": done, "wall_seconds": round(wall, 2),
            "stage_seconds": {stage: round(spent, 3) for stage, spent in seconds.items()},
            "machine": machine})


if __name__ == "__main__":
    main()
