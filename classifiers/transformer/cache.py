"""Where built artefacts (converted checkpoints, compiled reference engine, weights) live."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def cache_root() -> Path:
    """``$LUREWATCH_CACHE`` or ``~/.cache/lurewatch``: shared by clones on one machine."""
    configured = os.environ.get("LUREWATCH_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "lurewatch"


def file_digest(*paths: Path, length: int = 16) -> str:
    """A short sha256 over the contents of ``paths`` (in order): the cache key of a build."""
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()[:length]
