"""The model registry as maintainers see it: versions with their metrics and card, which
one is promoted, promotion and rollback. A thin reader over the classifiers' own
:class:`~classifiers.transformer.registry.Registry`, so the review application and
``lurewatch model promote`` change the same state."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifiers.transformer.registry import ModelVersion, Registry, RegistryError

__all__ = ["ModelEntry", "Registry", "RegistryError", "list_models"]
MAX_CARD_BYTES = 64 * 1024
CARD_FILE = "MODEL_CARD.md"


@dataclass
class ModelEntry:
    version: str
    promoted: bool
    weights_present: bool
    files: list[str]
    metrics: dict[str, Any] = field(default_factory=dict)
    card: str = ""


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested metrics as ``macro.f1``-style keys, so two versions line up row by row."""
    if isinstance(data, dict):
        flat: dict[str, Any] = {}
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
        return flat
    return {prefix.rstrip("."): data}


def _entry(model: ModelVersion, promoted: str | None) -> ModelEntry:
    folder: Path = model.folder
    metrics: dict[str, Any] = {}
    if (folder / "metrics.json").is_file():
        try:
            metrics = _flatten(model.read_json("metrics.json"))
        except (OSError, ValueError) as exc:
            metrics = {"error": f"metrics.json unreadable: {exc}"}
    card_path = folder / CARD_FILE
    card = (card_path.read_bytes()[:MAX_CARD_BYTES].decode("utf-8", "replace")
            if card_path.is_file() else "")
    return ModelEntry(model.version, model.version == promoted, model.weights_present(),
                      sorted(p.name for p in folder.iterdir() if p.is_file()), metrics, card)


def list_models(registry: Registry) -> list[ModelEntry]:
    """Every registered version, newest folder name last; unreadable registry state is a
    :class:`RegistryError` naming the file."""
    try:
        current = registry.promoted()
        versions = registry.versions()
    except (OSError, ValueError) as exc:
        raise RegistryError(f"cannot read the model registry at {registry.root}: {exc}") from exc
    promoted = current.version if current else None
    return [_entry(v, promoted) for v in versions]
