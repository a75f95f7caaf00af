"""Third-party labelled corpora in, as the project's labelled format out.

``lurewatch dataset import`` reads a JSONL or CSV corpus, maps its label values onto the
four record labels, and writes :class:`~classifiers.labelled.LabelledItem` lines that
carry where each item came from (``source``) and under which licence (``licence``).

Licences decide where data may go: a corpus under a licence that is not permissive
(GPL, no licence stated, non-commercial) may be read for measurement, but is never
written inside the repository and never trained on by the shipped model
(:func:`may_train`). Known corpora have presets in ``data/real/corpora.yaml``.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from classifiers.labelled import LabelledItem
from lurewatch.config import PACKAGE_ROOT
from lurewatch.errors import LurewatchError
from lurewatch.record import Label

PRESETS_FILE = Path(__file__).resolve().parent / "data" / "real" / "corpora.yaml"
# Licences (SPDX ids) under which data may be committed and trained on here.
PERMISSIVE_LICENCES = frozenset({
    "MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "CC0-1.0", "CC-BY-2.0-FR",
    "CC-BY-3.0", "CC-BY-4.0", "CC-BY-SA-4.0", "ODC-BY-1.0", "PDDL-1.0",
})
MAX_TEXT_CHARS = 100_000  # a corpus row longer than this is cut (and counted)


class CorpusError(LurewatchError):
    """A corpus that cannot be imported as asked; the message says why."""


def may_train(licence: str) -> bool:
    """Whether data under ``licence`` may be committed here and trained on."""
    return licence in PERMISSIVE_LICENCES


@dataclass
class Corpus:
    """How to read one corpus: its fields, the label mapping and where it comes from."""

    name: str
    licence: str
    provenance: str
    text_field: str = "text"
    title_field: str | None = "title"
    id_field: str | None = "id"
    lang_field: str | None = "lang"
    lang: str | None = None  # when the corpus has one language and no field for it
    label_field: str | None = "label"
    label: Label | None = None  # when every item has the same label
    label_map: dict[str, Label] = field(default_factory=dict)

    def label_of(self, row: Mapping[str, Any]) -> Label | None:
        """The record label of ``row``, None when its value is not mapped."""
        if self.label is not None:
            return self.label
        if self.label_field is None or self.label_field not in row:
            return None
        value = str(row[self.label_field]).strip().lower()
        if value in self.label_map:
            return self.label_map[value]
        try:
            return Label(value)
        except ValueError:
            return None


@dataclass
class ImportReport:
    read: int = 0
    written: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    by_label: dict[str, int] = field(default_factory=dict)
    by_language: dict[str, int] = field(default_factory=dict)
    cut: int = 0

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def as_json(self) -> dict[str, Any]:
        return {"read": self.read, "written": self.written, "skipped": self.skipped,
                "by_label": self.by_label, "by_language": self.by_language,
                "cut_to_max_chars": self.cut}


def presets(path: Path = PRESETS_FILE) -> dict[str, dict[str, Any]]:
    """The known corpora: name -> their import settings and the file they are read from."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return dict(data.get("corpora") or {})


def preset_corpus(name: str) -> tuple[Corpus, Path]:
    """The :class:`Corpus` and source file of a preset (paths relative to the repository)."""
    known = presets()
    if name not in known:
        raise CorpusError(f"unknown corpus preset {name!r}; known: {', '.join(sorted(known))}")
    spec = dict(known[name])
    source = (PACKAGE_ROOT / spec.pop("path")).resolve()
    spec["label_map"] = {str(k).lower(): Label(v) for k, v in (spec.get("label_map") or {}).items()}
    if spec.get("label"):
        spec["label"] = Label(spec["label"])
    return Corpus(name=name, **spec), source


def read_rows(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of a JSONL or CSV file, as mappings."""
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise CorpusError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with handle:
        if path.suffix.lower() == ".csv":
            csv.field_size_limit(MAX_TEXT_CHARS * 10)
            yield from csv.DictReader(handle)
            return
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{path}:{number}: not JSON: {exc.msg}") from exc
            if not isinstance(row, dict):
                raise CorpusError(f"{path}:{number}: expected a JSON object")
            yield row


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def to_items(corpus: Corpus, rows: Iterator[Mapping[str, Any]],
             report: ImportReport) -> Iterator[LabelledItem]:
    """Each usable row as a labelled item; rows without text or a mapped label are
    counted in ``report.skipped`` and left out."""
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        report.read += 1
        text = _text(row.get(corpus.text_field)).strip()
        if not text:
            report.skip("no_text")
            continue
        label = corpus.label_of(row)
        if label is None:
            report.skip("label_not_mapped")
            continue
        if len(text) > MAX_TEXT_CHARS:
            text = text[:MAX_TEXT_CHARS]
            report.cut += 1
        lang = (_text(row.get(corpus.lang_field)) if corpus.lang_field else "") or corpus.lang
        if not lang:
            report.skip("no_language")
            continue
        original = _text(row.get(corpus.id_field)) if corpus.id_field else ""
        key = original or hashlib.sha256(text.encode()).hexdigest()[:16] or str(number)
        item_id = key if key.startswith(f"{corpus.name}-") else f"{corpus.name}-{key}"
        if item_id in seen:
            report.skip("duplicate_id")
            continue
        seen.add(item_id)
        title = _text(row.get(corpus.title_field)).strip() if corpus.title_field else ""
        report.written += 1
        report.by_label[label.value] = report.by_label.get(label.value, 0) + 1
        report.by_language[lang] = report.by_language.get(lang, 0) + 1
        yield LabelledItem(id=item_id, group=item_id, lang=lang, title=title[:500], text=text,
                           label=label, source=corpus.provenance, licence=corpus.licence)


def check_destination(corpus: Corpus, out: Path) -> None:
    """Refuse to write a corpus whose licence is not permissive inside the repository."""
    inside = out.resolve().is_relative_to(PACKAGE_ROOT.resolve())
    if inside and not may_train(corpus.licence):
        raise CorpusError(
            f"{corpus.name} is under {corpus.licence}, which is not a permissive licence: "
            f"it may be read for measurement but not written into the repository ({out}); "
            "write it outside, e.g. under ../data/")


def import_corpus(corpus: Corpus, source: Path, out: Path) -> ImportReport:
    """Read ``source`` as ``corpus`` says and write its labelled items to ``out``."""
    check_destination(corpus, out)
    report = ImportReport()
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".part")
    with temporary.open("w", encoding="utf-8") as handle:
        for item in to_items(corpus, read_rows(source), report):
            handle.write(item.model_dump_json(exclude_defaults=True) + "\n")
    temporary.replace(out)  # a run cut short leaves the old file, not half a new one
    return report
