"""How the model's label probabilities and the rule evidence become one label: learned.

The combination is a multinomial logistic regression over a few features per record
(:func:`features`): the log of the model's four label probabilities, and what the rules
found (their risk score, how many strong, medium and weak indicators, how much of the
weight points to smuggling and how much to trafficking, and the rule label). It is
fitted on held-apart data (the development split, never the training split the model
learned from) by :func:`fit`, kept as ``combiner.json`` in the model version, and
applied at serving time with numpy alone (:meth:`Combiner.probabilities`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from classifiers import rules
from lurewatch.record import Ad, Label

COMBINER_FILE = "combiner.json"
LABELS: tuple[str, ...] = tuple(label.value for label in Label)
FEATURES: tuple[str, ...] = (
    *(f"model_log_p_{label}" for label in LABELS),
    "rule_score", "rule_strong", "rule_medium", "rule_weak", "rule_som_weight",
    "rule_tip_weight", *(f"rule_label_{label}" for label in LABELS),
)
_FLOOR = 1e-6  # log-probabilities are bounded, so no feature is ever infinite


def features(model_probs: np.ndarray, ruled: Sequence[Ad]) -> np.ndarray:
    """One row of :data:`FEATURES` per record (``ruled``: scored by the rule scorer)."""
    weights = rules.indicator_weights()
    rows = np.zeros((len(ruled), len(FEATURES)), dtype=np.float64)
    rows[:, :len(LABELS)] = np.log(np.clip(model_probs, _FLOOR, 1.0))
    base = len(LABELS)
    for row, ad in enumerate(ruled):
        rule_found = [i for i in ad.indicators if i.source == "rule" and i.id in weights]
        rows[row, base] = ad.risk_score or 0.0
        for offset, strength in enumerate(("strong", "medium", "weak"), start=1):
            rows[row, base + offset] = sum(weights[i.id].strength == strength
                                           for i in rule_found)
        rows[row, base + 4] = sum(i.score for i in rule_found if weights[i.id].crime == "som")
        rows[row, base + 5] = sum(i.score for i in rule_found if weights[i.id].crime == "tip")
        label = (ad.risk_label or Label.not_job_related).value
        rows[row, base + 6 + LABELS.index(label)] = 1.0
    return rows


@dataclass(frozen=True)
class Combiner:
    """Standardisation and the fitted coefficients (4 classes x features)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        logits = ((rows - self.mean) / self.scale) @ self.coef.T + self.intercept
        shifted = np.exp(logits - logits.max(1, keepdims=True))
        return shifted / shifted.sum(1, keepdims=True)

    def to_json(self) -> dict[str, Any]:
        return {"labels": list(LABELS), "features": list(FEATURES),
                "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "coef": self.coef.tolist(), "intercept": self.intercept.tolist()}

    def save(self, folder: Path) -> None:
        (folder / COMBINER_FILE).write_text(json.dumps(self.to_json(), indent=1) + "\n")

    @classmethod
    def load(cls, folder: Path) -> Combiner:
        data = json.loads((folder / COMBINER_FILE).read_text())
        if tuple(data["features"]) != FEATURES or tuple(data["labels"]) != LABELS:
            raise ValueError(f"{folder / COMBINER_FILE} was made for other features")
        return cls(*(np.array(data[k], dtype=np.float64)
                     for k in ("mean", "scale", "coef", "intercept")))


def fit(rows: np.ndarray, gold: Sequence[str], regularisation: float = 1.0) -> Combiner:
    """A combiner fitted on ``rows`` (held-apart data) and their true labels; classes are
    weighted by their inverse frequency, so a development split full of everyday text
    does not teach it that nothing is ever risky."""
    from sklearn.linear_model import LogisticRegression  # the training extra

    mean = rows.mean(0)
    scale = rows.std(0)
    scale[scale == 0] = 1.0
    y = np.array([LABELS.index(g) for g in gold])
    present = np.unique(y)
    model = LogisticRegression(C=regularisation, max_iter=5000, class_weight="balanced")
    model.fit((rows - mean) / scale, y)
    # classes missing from the data keep a very low intercept (never predicted)
    coef = np.zeros((len(LABELS), rows.shape[1]))
    intercept = np.full(len(LABELS), -20.0)
    if len(present) == 2:  # sklearn answers a binary problem with one row
        coef[present[1]] = model.coef_[0]
        intercept[present[0]], intercept[present[1]] = 0.0, model.intercept_[0]
    else:
        coef[present] = model.coef_
        intercept[present] = model.intercept_
    return Combiner(mean, scale, coef, intercept)


def cross_fitted(rows: np.ndarray, gold: Sequence[str], folds: int = 5,
                 seed: int = 13) -> np.ndarray:
    """Each row's probabilities from a combiner fitted on the other folds: honest figures
    on the same held-apart data the shipped combiner is fitted on."""
    order = np.random.default_rng(seed).permutation(len(rows))
    probs = np.zeros((len(rows), len(LABELS)))
    gold = list(gold)
    for fold in range(folds):
        held = order[fold::folds]
        rest = np.setdiff1d(order, held)
        combiner = fit(rows[rest], [gold[i] for i in rest])
        probs[held] = combiner.probabilities(rows[held])
    return probs
