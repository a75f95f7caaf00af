"""The model registry: ``models/<version>/`` folders in git, weights in the cache.

A version folder holds ``manifest.json`` (files, sha256 checksums, what it was built
from), ``labels.json`` (label schema), ``thresholds.json``, ``metrics.json``,
``MODEL_CARD.md`` and ``charts/``. Its weights (ONNX fp32/int8, tokenizer, trained torch
checkpoint) live in ``$LUREWATCH_CACHE/models/<version>/``, or in the git-ignored
``models/<version>/weights/``. ``models/registry.json`` records the promoted version
and the promotion history that ``rollback`` walks back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifiers.transformer.cache import cache_root

MANIFEST = "manifest.json"
REGISTRY_FILE = "registry.json"


class RegistryError(Exception):
    """A registry request that cannot be met; the message says what is missing."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class ModelVersion:
    version: str
    folder: Path
    manifest: dict[str, Any]

    def weights_dir(self) -> Path:
        """Where the weights are: ``models/<v>/weights/`` if present, else the cache."""
        local = self.folder / "weights"
        return local if local.is_dir() else cache_root() / "models" / self.version

    def weights_present(self) -> bool:
        return all((self.weights_dir() / name).is_file() for name in self.manifest["weights"])

    def verify_weights(self, names: tuple[str, ...] | None = None) -> None:
        """Raise :class:`RegistryError` if a weight file (all, or ``names``) is missing or
        its checksum differs from the manifest's."""
        for name, expected in self.manifest["weights"].items():
            if names is not None and name not in names:
                continue
            path = self.weights_dir() / name
            if not path.is_file():
                raise RegistryError(f"model {self.version}: weight file {path} is missing; "
                                    "run classifiers/transformer/build_default.sh")
            if sha256_file(path) != expected:
                raise RegistryError(f"model {self.version}: {path} does not match its checksum")

    def read_json(self, name: str) -> Any:
        return json.loads((self.folder / name).read_text(encoding="utf-8"))


class Registry:
    def __init__(self, root: Path) -> None:
        self.root = root

    def versions(self) -> list[ModelVersion]:
        found = []
        for manifest in sorted(self.root.glob(f"*/{MANIFEST}")):
            data = json.loads(manifest.read_text(encoding="utf-8"))
            found.append(ModelVersion(manifest.parent.name, manifest.parent, data))
        return found

    def get(self, version: str) -> ModelVersion:
        folder = self.root / version
        if not (folder / MANIFEST).is_file():
            known = ", ".join(v.version for v in self.versions()) or "none"
            raise RegistryError(f"no model version {version!r} in {self.root} (known: {known})")
        return ModelVersion(version, folder,
                            json.loads((folder / MANIFEST).read_text(encoding="utf-8")))

    def _state(self) -> dict[str, Any]:
        path = self.root / REGISTRY_FILE
        if not path.is_file():
            return {"promoted": None, "history": []}
        return json.loads(path.read_text(encoding="utf-8"))

    def _write_state(self, state: dict[str, Any]) -> None:
        path = self.root / REGISTRY_FILE
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        partial.replace(path)

    def promoted(self) -> ModelVersion | None:
        version = self._state()["promoted"]
        return self.get(version) if version else None

    def promote(self, version: str) -> ModelVersion:
        model = self.get(version)
        model.verify_weights()
        state = self._state()
        if state["promoted"] != version:
            state["history"] = [*state["history"], version]
            state["promoted"] = version
            self._write_state(state)
        return model

    def rollback(self) -> ModelVersion | None:
        """Promote the version promoted before the current one (None: back to rules only)."""
        state = self._state()
        if not state["history"]:
            raise RegistryError("nothing to roll back: no version was ever promoted")
        history = state["history"][:-1]
        state.update(history=history, promoted=history[-1] if history else None)
        self._write_state(state)
        return self.get(history[-1]) if history else None
