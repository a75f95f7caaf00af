"""Thresholds, confusion matrix, calibration and charts for a model on a labelled set.

Extends :mod:`classifiers.evaluation` (per-label, per-language, per-indicator P/R/F1 for
any scorer) with what needs probabilities: thresholds at the best F1 on dev,
the reliability diagram and expected calibration error (ECE) of ``risk_score`` as the
probability that an ad is flagged (TIP or SOM), and PNG charts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lurewatch.record import FLAGGED_LABELS, Label

LABELS: tuple[str, ...] = tuple(label.value for label in Label)
CALIBRATION_BINS = 10


# An indicator the model is less sure of than this is never shown, whatever its best F1:
# a reviewer should not read low-confidence guesses as findings.
LOWEST_INDICATOR_THRESHOLD = 0.3


def best_f1_threshold(scores: np.ndarray, positive: np.ndarray, lowest: float = 0.05) -> float:
    """The threshold (on a 0.05 grid from ``lowest`` to 0.95) with the best F1."""
    if not positive.any():
        return 0.5
    best, best_f1 = 0.5, -1.0
    for threshold in np.arange(lowest, 0.951, 0.05):
        predicted = scores >= threshold
        tp = float((predicted & positive).sum())
        f1 = 2 * tp / (predicted.sum() + positive.sum())
        if f1 > best_f1:
            best, best_f1 = float(threshold), f1
    return round(best, 2)


def choose_thresholds(label_probs: np.ndarray, gold_labels: Sequence[str],
                      indicator_probs: np.ndarray, gold_indicators: Sequence[Sequence[str]],
                      annotated: np.ndarray, indicators: Sequence[str]) -> dict[str, Any]:
    """Each flagged label's threshold and each indicator's at the best F1 on the
    development split (indicators only over the items whose indicators were annotated)."""
    gold = np.array(gold_labels)
    flag = {label.value: best_f1_threshold(label_probs[:, LABELS.index(label.value)],
                                           gold == label.value)
            for label in sorted(FLAGGED_LABELS)}
    per_indicator = {}
    for k, indicator in enumerate(indicators):
        positive = np.array([indicator in found for found in gold_indicators])
        per_indicator[indicator] = best_f1_threshold(indicator_probs[annotated, k],
                                                     positive[annotated],
                                                     lowest=LOWEST_INDICATOR_THRESHOLD)
    return {"target": "the best F1 of each flagged label and indicator (dev split)",
            "labels": flag, "indicators": per_indicator}


def calibration(confidence: np.ndarray, outcome: np.ndarray,
                bins: int = CALIBRATION_BINS) -> dict[str, Any]:
    """Reliability bins and expected calibration error of ``confidence`` for ``outcome``."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        members = which == b
        if not members.any():
            continue
        mean_confidence = float(confidence[members].mean())
        accuracy = float(outcome[members].mean())
        ece += members.mean() * abs(mean_confidence - accuracy)
        rows.append({"low": round(float(edges[b]), 2), "high": round(float(edges[b + 1]), 2),
                     "count": int(members.sum()), "confidence": round(mean_confidence, 4),
                     "observed": round(accuracy, 4)})
    return {"ece": round(float(ece), 4), "bins": rows}


def confusion(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    matrix = np.zeros((len(LABELS), len(LABELS)), dtype=int)
    for g, p in zip(gold, predicted, strict=True):
        matrix[LABELS.index(g), LABELS.index(p)] += 1
    return {"labels": list(LABELS), "rows_true_columns_predicted": matrix.tolist()}


def extend_report(report: dict[str, Any], gold: Sequence[str], predicted: Sequence[str],
                  risk_scores: Sequence[float]) -> dict[str, Any]:
    """Add the confusion matrix and flagged-probability calibration to a metrics report."""
    flagged = {label.value for label in FLAGGED_LABELS}
    outcome = np.array([g in flagged for g in gold], dtype=float)
    return {**report, "confusion": confusion(gold, predicted),
            "calibration": calibration(np.array(risk_scores, dtype=float), outcome)}


def write_charts(report: dict[str, Any], out_dir: Path) -> list[Path]:
    """Confusion matrix, reliability diagram, per-language and per-indicator F1 as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []

    figure, axes = plt.subplots(figsize=(6, 5))
    matrix = np.array(report["confusion"]["rows_true_columns_predicted"])
    axes.imshow(matrix, cmap="Blues")
    short = ["legit", "TIP", "SOM", "not job"]
    axes.set_xticks(range(len(short)), short)
    axes.set_yticks(range(len(short)), short)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    for (i, j), value in np.ndenumerate(matrix):
        axes.text(j, i, str(value), ha="center", va="center",
                  color="white" if value > matrix.max() / 2 else "black")
    axes.set_title("Confusion matrix (dev)")
    written.append(_save(figure, out_dir / "confusion_matrix.png"))

    figure, axes = plt.subplots(figsize=(5, 5))
    bins = report["calibration"]["bins"]
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    axes.plot([b["confidence"] for b in bins], [b["observed"] for b in bins], marker="o",
              label=f"model (ECE {report['calibration']['ece']:.3f})")
    axes.set_xlabel("risk_score (predicted P(flagged))")
    axes.set_ylabel("observed share flagged")
    axes.legend()
    axes.set_title("Reliability diagram (dev)")
    written.append(_save(figure, out_dir / "reliability.png"))

    for key, name, title in [("per_language", "f1_by_language.png", "Macro F1 by language"),
                             ("per_indicator", "f1_by_indicator.png", "F1 by indicator")]:
        rows = report[key]
        values = [rows[k].get("macro_f1", rows[k].get("f1", 0.0)) for k in rows]
        figure, axes = plt.subplots(figsize=(8, max(3, 0.3 * len(rows))))
        axes.barh(list(rows), values, color="#4a78a8")
        axes.set_xlim(0, 1)
        axes.invert_yaxis()
        axes.set_title(f"{title} (dev)")
        written.append(_save(figure, out_dir / name))
    return written


def _save(figure: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path
