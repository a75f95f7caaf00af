"""Generate ``classifiers/data/train.jsonl`` from the phrase banks in ``train_source/``.

Each language's YAML holds job titles, employers, legitimate sentences, hard-case
legitimate sentences (licensed agencies, WhatsApp with a company name, legal fee caps),
one or two phrases per indicator and non-job posts (see ANNOTATION_GUIDE.md). Records are
composed from them with a fixed seed, so the file is reproducible:

    python -m classifiers.data.make_train            # writes classifiers/data/train.jsonl

``group`` names the record's anchor phrase: records sharing it are paraphrase
neighbours and must stay on one side of any split.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import yaml

from classifiers.data import write_jsonl
from lurewatch.record import INDICATORS

DATA_DIR = Path(__file__).resolve().parent
SOURCE_DIR = DATA_DIR / "train_source"
SEED = 20261127
PER_LANGUAGE = {"legitimate": 30, "deceptive_recruitment": 30, "smuggling_offer": 16,
                "not_job_related": 14}
SMUGGLING = ("no_passport_needed", "border_crossing_arranged", "forged_documents")
SMUGGLING_EXTRAS = ("private_messaging_only", "urgency_pressure", "worker_pays_fees",
                    "travel_arranged", "forged_documents")
TIP_POOL = tuple(i for i in INDICATORS if i not in SMUGGLING)
# Indicators a legitimate ad may honestly show (an agency books the flight; "urgent hiring").
LEGIT_ALLOWED = ("travel_arranged", "urgency_pressure")


def load_bank(path: Path) -> dict[str, Any]:
    bank = yaml.safe_load(path.read_text(encoding="utf-8"))
    missing = set(INDICATORS) - set(bank["indicators"])
    if missing:
        raise ValueError(f"{path.name}: no phrases for {sorted(missing)}")
    return bank


def _phrase(bank: dict[str, Any], indicator: str, rng: random.Random) -> str:
    return rng.choice(bank["indicators"][indicator])


def _legitimate(bank: dict[str, Any], n: int, rng: random.Random) -> dict[str, Any]:
    job = bank["jobs"][n % len(bank["jobs"])]
    employer = bank["employers"][n % len(bank["employers"])]
    sentences = rng.sample(bank["legit"], rng.randint(2, 4))
    indicators: list[str] = []
    if n % 2:  # every other legitimate ad is a hard case
        sentences.append(bank["legit_hard"][(n // 2) % len(bank["legit_hard"])])
    if n % 5 == 0:
        allowed = LEGIT_ALLOWED[(n // 5) % len(LEGIT_ALLOWED)]
        sentences.append(_phrase(bank, allowed, rng))
        indicators.append(allowed)
    rng.shuffle(sentences)
    return {"title": f"{job} - {employer.split(',')[0]}", "text": "\n".join([employer, *sentences]),
            "indicators": indicators, "anchor": f"job{n % len(bank['jobs'])}"}


def _deceptive(bank: dict[str, Any], n: int, rng: random.Random) -> dict[str, Any]:
    subtle = n % 3 == 0  # a third show only two indicators
    chosen = rng.sample(TIP_POOL, 2 if subtle else rng.randint(3, 6))
    sentences = [_phrase(bank, i, rng) for i in chosen]
    if rng.random() < 0.4:  # a legitimate-sounding sentence as a distractor
        sentences.append(rng.choice(bank["legit"][:3]))
    rng.shuffle(sentences)
    return {"title": bank["jobs"][n % len(bank["jobs"])], "text": "\n".join(sentences),
            "indicators": sorted(chosen), "anchor": chosen[0]}


def _smuggling(bank: dict[str, Any], n: int, rng: random.Random) -> dict[str, Any]:
    chosen = [SMUGGLING[n % len(SMUGGLING)]]
    extras = [e for e in SMUGGLING_EXTRAS if e not in chosen]
    chosen += rng.sample(extras, rng.randint(0, 2))
    sentences = [_phrase(bank, i, rng) for i in chosen]
    rng.shuffle(sentences)
    job_framed = n % 2 == 0  # half are job-framed, half are bare crossing offers
    title = bank["jobs"][n % len(bank["jobs"])] if job_framed else ""
    return {"title": title, "text": "\n".join(sentences), "indicators": sorted(set(chosen)),
            "anchor": chosen[0]}


def _not_job(bank: dict[str, Any], n: int, rng: random.Random) -> dict[str, Any]:
    posts = bank["notjob"]
    first = posts[n % len(posts)]
    sentences = [first] if n < len(posts) else [first, rng.choice([p for p in posts
                                                                    if p != first])]
    return {"title": "", "text": "\n".join(sentences), "indicators": [],
            "anchor": f"post{n % len(posts)}"}


BUILDERS = {"legitimate": _legitimate, "deceptive_recruitment": _deceptive,
            "smuggling_offer": _smuggling, "not_job_related": _not_job}


def generate(source_dir: Path = SOURCE_DIR) -> list[dict[str, Any]]:
    records = []
    for path in sorted(source_dir.glob("*.yaml")):
        lang = path.stem
        bank = load_bank(path)
        rng = random.Random(f"{SEED}-{lang}")
        for label, count in PER_LANGUAGE.items():
            for n in range(count):
                built = BUILDERS[label](bank, n, rng)
                records.append({
                    "id": f"train-{lang}-{label}-{n:03d}",
                    "group": f"train-{lang}-{label}-{built['anchor']}",
                    "lang": lang, "title": built["title"], "text": built["text"],
                    "label": label, "indicators": built["indicators"],
                })
    return records


def main() -> None:
    out = DATA_DIR / "train.jsonl"
    print(f"wrote {write_jsonl(out, generate())} records to {out}")


if __name__ == "__main__":
    main()
