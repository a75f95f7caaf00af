"""Labelled sets: the JSONL format shared by the development and training sets.

One object per line::

    {"id": "ms-tip-03-2", "group": "ms-tip-03", "lang": "ms", "title": "...",
     "text": "...", "label": "deceptive_recruitment", "indicators": ["worker_pays_fees"]}

``group`` names the template or near-duplicate family an item belongs to: split by it,
so that paraphrases of one ad never sit on both sides of a split. Optional fields say
where an item comes from: ``writer`` and ``register`` for the project's written data
(``classifiers/data/written/WRITING_BRIEF.md``), ``source`` and ``licence`` for
imported third-party corpora (``lurewatch dataset import``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from lurewatch.record import INDICATORS, Ad, Label


class LabelledItem(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: str
    group: str
    lang: str
    title: str = ""
    text: str
    label: Label
    indicators: list[str] = Field(default_factory=list)
    writer: str = ""
    # "register" in the files; the name is taken by pydantic's BaseModel
    text_register: str = Field("", alias="register")
    source: str = ""
    licence: str = ""

    @field_validator("indicators")
    @classmethod
    def _known_indicators(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(INDICATORS))
        if unknown:
            raise ValueError(f"unknown indicator id(s): {', '.join(unknown)}")
        return value

    def to_ad(self) -> Ad:
        """A record for scoring; the language is left for the scorer to find."""
        return Ad(source="labelled", url=f"labelled:{self.id}", post_id=self.id,
                  platform="other", title=self.title, text=self.text)


def has_indicator_labels(item: LabelledItem) -> bool:
    """Whether the item's indicators were annotated: written and reviewed items are;
    imported corpora (which carry a ``source``) have record labels only."""
    return not item.source


class LabelledSetError(ValueError):
    """A labelled set that cannot be read; the message names the file and line."""


def read_labelled(path: Path) -> list[LabelledItem]:
    """Every item of a labelled JSONL file.

    Raises :class:`LabelledSetError` naming the file and line of the first bad line.
    """
    return list(iter_labelled(path))


def iter_labelled(path: Path) -> Iterator[LabelledItem]:
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise LabelledSetError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield LabelledItem.model_validate(json.loads(line))
            except (json.JSONDecodeError, ValidationError) as exc:
                first = str(exc).splitlines()[0] if isinstance(exc, json.JSONDecodeError) else \
                    "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                raise LabelledSetError(f"{path}:{number}: {first}") from exc
