"""How many job ads of labelled sets get a named sector (not ``other``), per language:
``python -m classifiers.data.sector_coverage FILE.jsonl...``.

The sets carry no sector labels, so this measures coverage, not accuracy; it prints a
sample of the sectors given, for a person to check by eye.
"""

from __future__ import annotations

import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

from classifiers.labelled import read_labelled
from classifiers.normalise import normalise
from classifiers.sector import sector_of

JOB_LABELS = ("legitimate", "deceptive_recruitment")
SAMPLE = 40


def main(paths: list[str]) -> None:
    by_language: dict[str, Counter[str]] = defaultdict(Counter)
    named: list[tuple[str, str, str]] = []
    for path in paths:
        for item in read_labelled(Path(path)):
            if item.label not in JOB_LABELS:
                continue
            sector = sector_of(item.title, normalise(item.text).text) or "other"
            by_language[item.lang][sector] += 1
            if sector != "other":
                named.append((item.lang, sector, (item.title or item.text)[:90]))
    total: Counter[str] = Counter()
    for language, counts in sorted(by_language.items()):
        total.update(counts)
        ads = sum(counts.values())
        print(f"{language}: {ads} job ads, {1 - counts['other'] / ads:.0%} named; "
              f"{counts.most_common(4)}")
    ads = sum(total.values())
    print(f"all: {ads} job ads, {1 - total['other'] / max(ads, 1):.1%} named; "
          f"{total.most_common()}")
    random.Random(0).shuffle(named)
    for language, sector, head in named[:SAMPLE]:
        print(f"  {language} {sector:26} {' '.join(head.split())}")


if __name__ == "__main__":
    main(sys.argv[1:])
