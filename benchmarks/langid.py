"""Language identification: packaged candidates against Lurewatch's choice, per language.

Usage: ``python -m benchmarks.langid [--json PATH]``

The labelled set is ``classifiers/data/langid_test.jsonl``: short ad-like lines (one
sentence of a job ad, a smuggling offer or an everyday post), 30 per language, built by
``python -m classifiers.data.build_langid_test`` from the written ``w1`` ads, plus
colloquial Malay/Indonesian and hand-written code-switched lines. Candidates, each
limited to the fourteen languages where its API allows:

* ``lingua``: lingua-language-detector (knows 10 of the 14: no Burmese, Khmer, Nepali,
  Sinhala);
* ``langid``: langid.py with ``set_languages`` (knows 13: no Burmese);
* ``langdetect``: langdetect, unrestricted (knows 10: no Malay, Burmese, Khmer,
  Sinhala); answers outside the 14 count as wrong;
* ``lurewatch``: ``classifiers.langid`` (script rules, then Lingua on Latin script,
  then Malay/Indonesian vocabulary).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.machine import announce, write_figures
from classifiers.langid import LANGUAGES, identify

TEST_SET = Path(__file__).resolve().parent.parent / "classifiers" / "data" / "langid_test.jsonl"


def _lingua() -> Callable[[str], str | None]:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    known = []
    for code in LANGUAGES:
        try:
            known.append(Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())))
        except (AttributeError, ValueError):
            continue
    detector = LanguageDetectorBuilder.from_languages(*known).build()

    def detect(text: str) -> str | None:
        language = detector.detect_language_of(text)
        return language.iso_code_639_1.name.lower() if language else None

    return detect


def _langid() -> Callable[[str], str | None]:
    from langid.langid import LanguageIdentifier, model

    identifier = LanguageIdentifier.from_modelstring(model, norm_probs=False)
    identifier.set_languages([c for c in LANGUAGES if c in identifier.nb_classes])
    return lambda text: identifier.classify(text)[0]


def _langdetect() -> Callable[[str], str | None]:
    from langdetect import DetectorFactory, LangDetectException, detect

    DetectorFactory.seed = 0

    def run(text: str) -> str | None:
        try:
            code = detect(text)
        except LangDetectException:
            return None
        return "zh" if code.startswith("zh") else code

    return run


CANDIDATES: dict[str, Callable[[], Callable[[str], str | None]]] = {
    "lingua": _lingua,
    "langid": _langid,
    "langdetect": _langdetect,
    "lurewatch": lambda: lambda text: identify(text).main,
}


def run(test_set: Path = TEST_SET) -> dict:
    items = [json.loads(line) for line in test_set.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    single = [i for i in items if len(i["langs"]) == 1]
    mixed = [i for i in items if len(i["langs"]) > 1]
    report: dict = {"items": len(items), "per_language": {}, "overall": {},
                    "ms_id_confusion": {}, "ms_per_text": {}, "code_switching": {}}
    for name, build in CANDIDATES.items():
        detect = build()
        correct: Counter[str] = Counter()
        total: Counter[str] = Counter()
        confusion: dict[str, Counter[str]] = defaultdict(Counter)
        started = time.perf_counter()
        for item in single:
            truth = item["langs"][0]
            guess = detect(item["text"])
            total[truth] += 1
            correct[truth] += guess == truth
            if truth in ("ms", "id"):
                confusion[truth][guess or "none"] += 1
        report["ms_per_text"][name] = round(
            (time.perf_counter() - started) * 1000 / max(len(single), 1), 3)
        for language in LANGUAGES:
            report["per_language"].setdefault(language, {})[name] = round(
                correct[language] / total[language], 3) if total[language] else None
        report["overall"][name] = round(sum(correct.values()) / max(sum(total.values()), 1), 3)
        report["ms_id_confusion"][name] = {k: dict(v) for k, v in confusion.items()}
    # Code-switching: only Lurewatch reports several languages; count exact main + present.
    main_ok = present_ok = 0
    for item in mixed:
        result = identify(item["text"])
        main_ok += result.main == item["langs"][0]
        present_ok += set(result.present) == set(item["langs"])
    report["code_switching"] = {
        "items": len(mixed),
        "main_correct": round(main_ok / max(len(mixed), 1), 3),
        "all_present_correct": round(present_ok / max(len(mixed), 1), 3),
    }
    return report


def print_report(report: dict) -> None:
    table = Table(title=f"Language id accuracy ({report['items']} texts)")
    names = list(CANDIDATES)
    table.add_column("language")
    for name in names:
        table.add_column(name, justify="right")
    for language, row in report["per_language"].items():
        table.add_row(language, *["-" if row[n] is None else f"{row[n]:.3f}" for n in names])
    table.add_row("all", *[f"{report['overall'][n]:.3f}" for n in names])
    table.add_row("ms/text", *[f"{report['ms_per_text'][n]:.2f}" for n in names])
    console = Console()
    console.print(table)
    console.print("Malay/Indonesian confusion:", report["ms_id_confusion"])
    console.print("Code-switching (lurewatch):", report["code_switching"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--data", type=Path, default=TEST_SET)
    args = parser.parse_args()
    machine = announce()
    report = run(args.data)
    report["machine"] = machine
    print_report(report)
    write_figures(args.json, report)


if __name__ == "__main__":
    main()
