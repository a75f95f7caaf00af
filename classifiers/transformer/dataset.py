"""Labelled sets for training: group splits, near-duplicate checks and merging.

The format is :mod:`classifiers.labelled`'s (shared with the development set).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from datasketch import MinHash, MinHashLSH

from classifiers.labelled import LabelledItem, LabelledSetError, read_labelled
from lurewatch.record import INDICATORS, Ad, Label, ReviewState

LABELS: tuple[str, ...] = tuple(label.value for label in Label)


def load_examples(path: Path) -> list[LabelledItem]:
    """Read a labelled file; raises :class:`LabelledSetError` naming the first bad line."""
    items = read_labelled(path)
    if not items:
        raise LabelledSetError(f"{path} holds no records")
    return items


def write_examples(items: Iterable[LabelledItem], path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(item.model_dump_json(exclude_defaults=True) + "\n")
            count += 1
    return count


def split_by_group(examples: list[LabelledItem], held_out: float,
                   seed: str = "lurewatch") -> tuple[list[LabelledItem], list[LabelledItem]]:
    """Split so that every group lies on one side (stable: decided by a hash of the group)."""
    def bucket(group: str) -> float:
        digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    train = [e for e in examples if bucket(e.group) >= held_out]
    test = [e for e in examples if bucket(e.group) < held_out]
    return train, test


def _minhash(text: str, shingle: int = 5, num_perm: int = 64) -> MinHash:
    normalised = " ".join(text.lower().split())
    minhash = MinHash(num_perm=num_perm, seed=1)
    grams = {normalised[i:i + shingle] for i in range(max(1, len(normalised) - shingle + 1))}
    minhash.update_batch(g.encode("utf-8") for g in grams)
    return minhash


def near_duplicates(train: list[LabelledItem], dev: list[LabelledItem],
                    threshold: float = 0.7) -> dict[str, list[str]]:
    """Dev id -> ids of training records whose text is a near-duplicate (MinHash on char
    5-shingles, estimated Jaccard >= ``threshold``)."""
    index = MinHashLSH(threshold=threshold, num_perm=64)
    for example in train:
        index.insert(example.id, _minhash(example.text))
    found: dict[str, list[str]] = {}
    for example in dev:
        hits = index.query(_minhash(example.text))
        if hits:
            found[example.id] = sorted(hits)
    return found


def merge_datasets(paths: list[Path]) -> list[LabelledItem]:
    """Records from all files; on equal ``id`` the later file wins (reviews refine data)."""
    merged: dict[str, LabelledItem] = {}
    for path in paths:
        for example in load_examples(path):
            merged[example.id] = example
    return list(merged.values())


REVIEWED_LABELS = {
    ReviewState.confirmed_tip: Label.deceptive_recruitment,
    ReviewState.confirmed_som: Label.smuggling_offer,
    ReviewState.dismissed_legitimate: Label.legitimate,
    ReviewState.dismissed_not_job: Label.not_job_related,
}


def reviewed_item(ad: Ad) -> LabelledItem | None:
    """A reviewed record as a training item (None if no reviewer settled its label).

    Indicators are the record's, with each decision's additions and removals applied in
    order; the group is the near-duplicate cluster, so a campaign stays on one side."""
    label = REVIEWED_LABELS.get(ad.review_state)
    if label is None:
        return None
    indicators = set(ad.indicator_ids())
    for decision in ad.decisions:
        indicators |= set(decision.indicators_added)
        indicators -= set(decision.indicators_removed)
    return LabelledItem(id=f"review-{ad.id}", group=f"cluster-{ad.cluster_id or ad.id}",
                        lang=ad.language or "und", title=ad.title, text=ad.text, label=label,
                        indicators=sorted(i for i in indicators if i in INDICATORS))
