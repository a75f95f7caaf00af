"""Which labelled data the default model trains on, and which it is measured on.

* Written data (``written/<lang>/<writer>.jsonl``, see ``written/WRITING_BRIEF.md``):
  writers ``w1`` and ``w2`` train; ``w3`` is the development split, so a development
  figure measures a writer the model never saw. A language with no ``w3`` file yet lends
  :data:`WRITTEN_DEV_SHARE` of its ``w1``/``w2`` groups to development instead, so early
  stopping, thresholds and the rule/model combiner see every label in every language; a
  figure on those says how well the model learned its own writers, not how it transfers.
* Real third-party corpora (``real/*.jsonl``, permissive licences only, see
  ``real/PROVENANCE.md``): each item goes to training or development by a stable hash of
  its id, :data:`REAL_DEV_SHARE` of them to development.

``lurewatch dataset build`` writes both sets; :func:`build_sets` is what the default build
calls, so the model version (a hash of the files) changes when any source does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from classifiers.corpora import may_train
from classifiers.labelled import LabelledItem, read_labelled
from classifiers.transformer.dataset import write_examples
from lurewatch.record import Label

DATA_DIR = Path(__file__).resolve().parent
WRITTEN_DIR = DATA_DIR / "written"
REAL_DIR = DATA_DIR / "real"
TRAIN_WRITERS = ("w1", "w2")
DEV_WRITERS = ("w3",)
REAL_DEV_SHARE = 0.2
WRITTEN_DEV_SHARE = 0.25
# Of each corpus and label at most this many items train (and a quarter of it is the most
# that goes to development): thousands of everyday sentences would otherwise outweigh
# the few hundred risky ads many times over and cost training time for little. Everyday
# text comes from a dozen corpora, so it is capped lower per corpus than job ads.
REAL_TRAIN_CAP = 600
REAL_EVERYDAY_CAP = 120


def _share(key: str) -> float:
    """A stable number in [0, 1) for ``key``."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64


def written_items(writers: Iterable[str], root: Path = WRITTEN_DIR) -> list[LabelledItem]:
    wanted = set(writers)
    return [item for path in sorted(root.glob("*/*.jsonl")) if path.stem in wanted
            for item in read_labelled(path)]


def real_items(root: Path = REAL_DIR) -> list[LabelledItem]:
    """Every item of the committed real corpora (whose licence allows training)."""
    items = [item for path in sorted(root.glob("*.jsonl")) for item in read_labelled(path)]
    refused = sorted({item.licence for item in items if not may_train(item.licence)})
    if refused:
        raise ValueError(f"{root} holds data under {', '.join(refused)}: not for training")
    return items


def is_real_dev(item: LabelledItem) -> bool:
    return _share(f"dev:{item.id}") < REAL_DEV_SHARE


def training_sets(written: Path = WRITTEN_DIR, real: Path = REAL_DIR
                  ) -> tuple[list[LabelledItem], list[LabelledItem]]:
    """(training items, development items)."""
    corpus = real_items(real)
    real_train = _capped([i for i in corpus if not is_real_dev(i)], REAL_TRAIN_CAP)
    real_dev = _capped([i for i in corpus if is_real_dev(i)], REAL_TRAIN_CAP // 4)
    written_dev = written_items(DEV_WRITERS, written)
    held_out_languages = {item.lang for item in written_dev}
    written_train, lent = [], []
    for item in written_items(TRAIN_WRITERS, written):
        lends = (item.lang not in held_out_languages
                 and _share(f"dev:{item.group}") < WRITTEN_DEV_SHARE)
        (lent if lends else written_train).append(item)
    return written_train + real_train, written_dev + lent + real_dev


def development_items() -> list[LabelledItem]:
    """The development split: what ``lurewatch evaluate`` measures by default."""
    return training_sets()[1]


def _capped(items: list[LabelledItem], cap: int) -> list[LabelledItem]:
    """At most ``cap`` items of each corpus and label (everyday text: a share of it,
    :data:`REAL_EVERYDAY_CAP` to :data:`REAL_TRAIN_CAP`), chosen by a stable hash."""
    groups: dict[tuple[str, Label], list[LabelledItem]] = {}
    for item in items:
        groups.setdefault((item.id.split("-")[0], item.label), []).append(item)
    everyday_cap = cap * REAL_EVERYDAY_CAP // REAL_TRAIN_CAP
    kept = {item.id for (_, label), group in groups.items()
            for item in sorted(group, key=lambda i: _share(f"cap:{i.id}"))[
                :everyday_cap if label is Label.not_job_related else cap]}
    return [item for item in items if item.id in kept]


def build_sets(out_dir: Path) -> tuple[Path, Path]:
    """Write ``train.jsonl`` and ``dev.jsonl`` into ``out_dir``; their paths."""
    train, dev = training_sets()
    write_examples(train, out_dir / "train.jsonl")
    write_examples(dev, out_dir / "dev.jsonl")
    return out_dir / "train.jsonl", out_dir / "dev.jsonl"
