"""Build the development set ``classifiers/data/dev.jsonl`` from per-language phrase banks.

Run: ``python -m classifiers.data.build_dev`` (deterministic: a fixed seed).

Each bank (``classifiers/data/phrasebanks/<lang>.yaml``) holds ad lines written for that
language: legitimate job lines, companies, details, salaries, ways to apply, licensed
agency lines; deceptive-recruitment jobs and indicator lines; smuggling lines; posts
that are not about jobs. A line may end with ``| id, id`` naming the indicators it
shows; an item's indicator annotation is the union over its lines (plus
``employer_unnamed`` when a job ad names no company). Items built from the same job
line (or post) share a ``group``, so a split by group keeps paraphrases on one side.

Placeholders: ``{phone}`` (one of the language's local phone formats, ``#`` a random
digit, sometimes written in ``native_digits``), ``{email}``, ``{url}``, ``{company}``.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import yaml

from classifiers.data import write_jsonl

HERE = Path(__file__).resolve().parent
BANKS = HERE / "phrasebanks"
OUTPUT = HERE / "dev.jsonl"
SEED = 20240611
PER_LABEL = 16
GROUPS = 4  # templates per label and language; PER_LABEL / GROUPS variants each


def _line(raw: str) -> tuple[str, list[str]]:
    text, _, tags = raw.partition(" | ")
    return text.strip(), [t.strip() for t in tags.split(",") if t.strip()]


def _fill(text: str, rng: random.Random, bank: dict[str, Any], company: str = "") -> str:
    def phone() -> str:
        number = "".join(
            str(rng.randint(0, 9)) if c == "#" else c for c in rng.choice(bank["phone"])
        )
        # Some posters write numbers in their own script's digits.
        if bank.get("native_digits") and rng.random() < 0.3:
            number = "".join(bank["native_digits"][int(c)] if c.isdigit() else c for c in number)
        return number

    slug = "".join(c for c in company.lower() if c.isascii() and c.isalnum())[:12] or "jobs"
    return (
        text.replace("{phone}", phone())
        .replace("{email}", f"hr@{slug}.com")
        .replace("{url}", f"https://www.{slug}.com/careers")
        .replace("{company}", company)
    )


def _compose(lines: list[str], rng: random.Random, bank: dict[str, Any], company: str,
             joiner: str) -> tuple[str, list[str]]:
    texts: list[str] = []
    tags: list[str] = []
    for raw in lines:
        text, line_tags = _line(raw)
        texts.append(_fill(text, rng, bank, company))
        tags.extend(line_tags)
    return joiner.join(texts), tags


def _joiner(rng: random.Random) -> str:
    return rng.choice(["\n", "\n", " ", "\n\n"])


def legitimate(bank: dict[str, Any], rng: random.Random, group: int) -> tuple[str, str, list[str]]:
    legit = bank["legit"]
    job = legit["jobs"][group % len(legit["jobs"])]
    company = _line(legit["companies"][group % len(legit["companies"])])[0]
    lines = [job]
    named = rng.random() < 0.8
    if named:
        lines.append(company)
    lines += rng.sample(legit["details"], k=min(2, len(legit["details"])))
    lines.append(rng.choice(legit["salaries"]))
    agency = rng.random() < 0.5
    if agency:
        lines.append(rng.choice(legit["agency"]))
    apply = rng.choice(legit["apply"])
    lines.append(apply)
    title = _line(job)[0].split(".")[0][:80]
    text, tags = _compose(lines, rng, bank, company, _joiner(rng))
    # A legitimate ad can still name no company: only a phone to call, no licence.
    if not named and not agency and "{email}" not in apply and "{url}" not in apply:
        tags.append("employer_unnamed")
    return title, text, tags


def deceptive(bank: dict[str, Any], rng: random.Random, group: int) -> tuple[str, str, list[str]]:
    tip = bank["tip"]
    job = tip["jobs"][group % len(tip["jobs"])]
    # The template's fixed indicator lines, then per-variant extras (two to four in all).
    fixed = [tip["lines"][(group * 3 + k) % len(tip["lines"])] for k in range(2)]
    extra = rng.sample(tip["lines"], k=rng.randint(0, 2))
    lines = [rng.choice(tip["openers"])] if rng.random() < 0.6 else []
    lines += [job, *dict.fromkeys(fixed + extra)]
    if rng.random() < 0.6:
        lines.append(rng.choice(tip["salaries_high"]))
    lines.append(rng.choice(tip["contact"]))
    text, tags = _compose(lines, rng, bank, "", _joiner(rng))
    tags.append("employer_unnamed")
    return _line(job)[0][:80], text, tags


def smuggling(bank: dict[str, Any], rng: random.Random, group: int) -> tuple[str, str, list[str]]:
    som = bank["som"]
    lines = [som["lines"][(group * 2 + k) % len(som["lines"])] for k in range(2)]
    lines += rng.sample(som["lines"], k=rng.randint(0, 1))
    lines.append(rng.choice(som["contact"]))
    text, tags = _compose(list(dict.fromkeys(lines)), rng, bank, "", _joiner(rng))
    return "", text, tags


def not_job(bank: dict[str, Any], rng: random.Random, group: int) -> tuple[str, str, list[str]]:
    posts = bank["not_job"]
    first = posts[group % len(posts)]
    second = posts[(group + GROUPS + rng.randint(0, len(posts))) % len(posts)]
    lines = [first] if rng.random() < 0.5 else [first, second]
    text, tags = _compose(lines, rng, bank, "", "\n\n")
    return "", text, tags


BUILDERS = {
    "legitimate": legitimate,
    "deceptive_recruitment": deceptive,
    "smuggling_offer": smuggling,
    "not_job_related": not_job,
}


def build(banks_dir: Path = BANKS) -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    items: list[dict[str, Any]] = []
    for path in sorted(banks_dir.glob("*.yaml")):
        bank = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
        lang = bank["lang"]
        for label, builder in BUILDERS.items():
            for n in range(PER_LABEL):
                group = n % GROUPS
                title, text, tags = builder(bank, rng, group)
                items.append({
                    "id": f"{lang}-{label[:4]}-{group}-{n // GROUPS}",
                    "group": f"{lang}-{label[:4]}-{group}",
                    "lang": lang,
                    "title": title,
                    "text": text,
                    "label": label,
                    "indicators": sorted(set(tags)),
                })
    return items


def main() -> None:
    print(f"wrote {write_jsonl(OUTPUT, build())} items to {OUTPUT}")


if __name__ == "__main__":
    main()
