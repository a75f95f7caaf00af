"""Choosing the model scorer for :func:`classifiers.scoring.load_scorer` (no torch here)."""

from __future__ import annotations

import logging

from classifiers.base import Scorer
from classifiers.transformer.registry import Registry, RegistryError
from lurewatch.config import ConfigError, Settings

log = logging.getLogger(__name__)
SERVING_FILES = ("model.int8.onnx", "tokenizer.json", "classifier.json")


def model_scorer(settings: Settings, rule_scorer: Scorer) -> Scorer | None:
    """The promoted (or configured) model combined with ``rule_scorer``; None when no
    model is promoted, or when the promoted one's weights are not built on this machine
    (rules alone then, with a warning). A configured ``model.version`` that cannot be
    loaded is a :class:`ConfigError`."""
    registry = Registry(settings.model.registry)
    try:
        model = (registry.get(settings.model.version) if settings.model.version
                 else registry.promoted())
        if model is None:
            return None
        model.verify_weights(SERVING_FILES)
    except RegistryError as exc:
        if settings.model.version:
            raise ConfigError(f"model.version: {exc}") from exc
        log.warning("scoring with rules only: %s", exc)
        return None
    from classifiers.transformer.onnx_scorer import ModelScorer  # onnxruntime: only when used

    # never more tokens than the model was trained on (settings may ask for fewer)
    trained_tokens = int(model.read_json("labels.json").get("max_tokens", 512))
    return ModelScorer(model, rule_scorer, batch_size=settings.model.batch_size,
                       max_tokens=min(settings.model.max_tokens, trained_tokens))
