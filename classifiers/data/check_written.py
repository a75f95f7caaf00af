"""Check a written data file against ``written/WRITING_BRIEF.md`` (standard library only,
so a writer can run it anywhere): ``python3 classifiers/data/check_written.py FILE...``.

Prints the label, register and length mix and every problem found; exits 1 on problems.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

LANGUAGES = {"ms", "id", "en", "zh", "ta", "bn", "ne", "my", "th", "vi", "km", "tl", "ur", "si"}
LABELS = {"legitimate": 45, "deceptive_recruitment": 40, "smuggling_offer": 20,
          "not_job_related": 45}
REGISTERS = {"job_board", "agency_site", "government_notice", "company_page",
             "facebook_group", "facebook_page", "telegram", "whatsapp", "sms", "chat",
             "tiktok", "forum", "classified", "news", "bank_or_telco", "delivery",
             "promotion", "email"}
INDICATORS = {
    "unrealistic_pay", "no_requirements", "employer_unnamed", "vague_duties",
    "worker_pays_fees", "debt_or_advance", "travel_arranged", "tourist_visa_work",
    "no_passport_needed", "border_crossing_arranged", "forged_documents",
    "passport_retained", "live_in_or_closed_site", "movement_restricted", "excessive_hours",
    "private_messaging_only", "urgency_pressure", "asks_for_documents_or_photos",
    "targets_women_girls", "age_or_appearance_requirements", "minors_targeted",
    "high_risk_sector", "scam_compound_pattern",
}
FIELDS = {"id", "group", "lang", "writer", "register", "title", "text", "label", "indicators"}
UNSPACED = {"zh", "th", "my", "km"}  # scripts written without spaces between words


def length_in_words(text: str, lang: str) -> float:
    """Words, or for unspaced scripts characters / 2.5 (zh) or / 5 (th, my, km)."""
    if lang in UNSPACED:
        return len(re.sub(r"\s", "", text)) / (2.5 if lang == "zh" else 5.0)
    return float(len(text.split()))


def check(path: Path) -> list[str]:
    problems: list[str] = []
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not JSON: {exc}")
            continue
        missing, extra = FIELDS - item.keys(), item.keys() - FIELDS
        if missing or extra:
            problems.append(f"line {number}: missing {sorted(missing)} extra {sorted(extra)}")
            continue
        if item["lang"] not in LANGUAGES:
            problems.append(f"line {number}: lang {item['lang']!r}")
        if item["label"] not in LABELS:
            problems.append(f"line {number}: label {item['label']!r}")
        if item["register"] not in REGISTERS:
            problems.append(f"line {number}: register {item['register']!r}")
        unknown = set(item["indicators"]) - INDICATORS
        if unknown:
            problems.append(f"line {number}: unknown indicators {sorted(unknown)}")
        if item["label"] in ("deceptive_recruitment", "smuggling_offer") and not item["indicators"]:
            problems.append(f"line {number}: a {item['label']} item lists no indicator")
        expected = f"{item['lang']}-{item['writer']}-"
        if not item["id"].startswith(expected):
            problems.append(f"line {number}: id {item['id']!r} should start {expected!r}")
        if not item["text"].strip():
            problems.append(f"line {number}: empty text")
        items.append(item)
    ids = Counter(i["id"] for i in items)
    problems += [f"id {k!r} used {v} times" for k, v in ids.items() if v > 1]
    texts = Counter(" ".join(i["text"].split()).lower() for i in items)
    problems += [f"text repeated {v} times: {k[:60]!r}" for k, v in texts.items() if v > 1]
    labels = Counter(i["label"] for i in items)
    for label, wanted in LABELS.items():
        if labels[label] < wanted:
            problems.append(f"{label}: {labels[label]} items, the brief asks for {wanted}")
    lengths = [length_in_words(i["text"], i["lang"]) for i in items]
    long_items = sum(n >= 250 for n in lengths)
    if long_items < 12:
        problems.append(f"{long_items} items of 250+ words, the brief asks for at least 12")
    print(f"{path}: {len(items)} items")
    print("  labels:", dict(labels))
    print("  registers:", dict(Counter(i["register"] for i in items).most_common()))
    buckets = Counter("<20" if n < 20 else "20-80" if n < 80 else "80-250" if n < 250
                      else "250+" for n in lengths)
    print("  lengths (words):", dict(buckets))
    return problems


def main(paths: list[str]) -> int:
    failed = False
    for name in paths:
        problems = check(Path(name))
        for problem in problems:
            print("  PROBLEM:", problem)
        failed |= bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
