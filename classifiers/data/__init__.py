"""Data the classifiers ship: labelled test sets and the scripts that write them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


def write_jsonl(path: Path, items: Iterable[Mapping[str, Any]]) -> int:
    """Write one JSON object a line (UTF-8, not ASCII-escaped); returns how many."""
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
            count += 1
    return count
