"""The model registry as the review application sees it: one folder per model version
under ``settings.model.registry`` with its card and metrics files, read only."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_CARD_BYTES = 64 * 1024


@dataclass
class ModelEntry:
    version: str
    path: Path
    files: list[str]
    metrics: dict[str, Any] = field(default_factory=dict)
    card: str = ""


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        flat: dict[str, Any] = {}
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
        return flat
    return {prefix.rstrip("."): data}


def read_entry(folder: Path) -> ModelEntry:
    files = sorted(p.name for p in folder.iterdir() if p.is_file())
    metrics: dict[str, Any] = {}
    metrics_file = folder / "metrics.json"
    if metrics_file.is_file():
        try:
            metrics = _flatten(json.loads(metrics_file.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            metrics = {"error": f"metrics.json unreadable: {exc}"}
    card = ""
    for name in ("card.md", "README.md", "model_card.md"):
        if (folder / name).is_file():
            card = (folder / name).read_bytes()[:MAX_CARD_BYTES].decode("utf-8", "replace")
            break
    return ModelEntry(folder.name, folder, files, metrics, card)


def list_models(registry: Path) -> list[ModelEntry]:
    if not registry.is_dir():
        return []
    return [read_entry(p) for p in sorted(registry.iterdir())
            if p.is_dir() and not p.name.startswith((".", "_"))]
