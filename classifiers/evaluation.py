"""Evaluate any :class:`~classifiers.base.Scorer` on a labelled set.

:func:`run_scorer` scores the items and keeps what a report needs
(:class:`Predictions`); :func:`metrics` turns that into per-label, per-language and
per-indicator precision, recall and F1, plus the flag rates an analyst cares about
(how many TIP/SOM ads are caught, how many legitimate ads are wrongly flagged).
Other reports (confusion matrix, calibration) can be built on the same predictions.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sklearn.metrics import precision_recall_fscore_support, roc_auc_score

from classifiers.base import Scorer, score_each
from classifiers.labelled import LabelledItem, has_indicator_labels
from lurewatch.record import FLAGGED_LABELS, INDICATORS, Label

LABELS: tuple[str, ...] = tuple(label.value for label in Label)
BATCH = 64


@dataclass(frozen=True)
class Predictions:
    """True and predicted labels and indicators for each item, in the set's order."""

    items: list[LabelledItem]
    labels: list[str]
    scores: list[float]
    indicators: list[set[str]]
    seconds: float
    failures: list[str] = field(default_factory=list)


def run_scorer(scorer: Scorer, items: Sequence[LabelledItem]) -> Predictions:
    """Score every item (in batches) and keep the predictions; an item the scorer cannot
    score is left out and listed in ``failures``."""
    started = time.perf_counter()
    kept: list[LabelledItem] = []
    labels: list[str] = []
    scores: list[float] = []
    indicators: list[set[str]] = []
    failures: list[str] = []
    for offset in range(0, len(items), BATCH):
        batch = items[offset:offset + BATCH]
        scored, failed = score_each(scorer, [item.to_ad() for item in batch])
        failures += [f"{f.record_id}: {f.error}" for f in failed]
        for item, ad in zip(batch, scored, strict=True):
            if ad is None:
                continue
            kept.append(item)
            labels.append(ad.risk_label.value if ad.risk_label else Label.not_job_related.value)
            scores.append(ad.risk_score or 0.0)
            indicators.append(set(ad.indicator_ids()))
    return Predictions(kept, labels, scores, indicators, time.perf_counter() - started,
                       failures)


def _prf(y_true: list[str], y_pred: list[str], labels: Sequence[str]) -> dict[str, dict]:
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=list(labels), zero_division=0
    )
    return {
        label: {"precision": round(float(p), 4), "recall": round(float(r), 4),
                "f1": round(float(f), 4), "support": int(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    }


def risk_auc(y_true: Sequence[str], scores: Sequence[float]) -> float | None:
    """Area under the ROC curve of ``scores`` for telling flagged items (TIP or SOM) from
    the rest; None when only one side is present."""
    flagged = {label.value for label in FLAGGED_LABELS}
    truth = [t in flagged for t in y_true]
    if all(truth) or not any(truth):
        return None
    return round(float(roc_auc_score(truth, scores)), 4)


def _summary(y_true: list[str], y_pred: list[str], scores: list[float]) -> dict[str, Any]:
    """Accuracy, macro P/R/F1 over labels present, flagged P/R/F1, the AUC of the risk
    score, the share of items that should not be flagged but are, and the legitimate
    false-positive rate."""
    present = [label for label in LABELS if label in y_true]
    per_label = _prf(y_true, y_pred, present)
    flagged = {label.value for label in FLAGGED_LABELS}
    true_flag = ["flagged" if y in flagged else "not" for y in y_true]
    pred_flag = ["flagged" if y in flagged else "not" for y in y_pred]
    flag = _prf(true_flag, pred_flag, ["flagged"])["flagged"]
    legitimate = [p for t, p in zip(y_true, y_pred, strict=True) if t == Label.legitimate.value]
    negatives = [p for t, p in zip(y_true, y_pred, strict=True) if t not in flagged]
    n = max(len(present), 1)
    return {
        "items": len(y_true),
        "accuracy": round(sum(t == p for t, p in zip(y_true, y_pred, strict=True))
                          / max(len(y_true), 1), 4),
        "macro_precision": round(sum(v["precision"] for v in per_label.values()) / n, 4),
        "macro_recall": round(sum(v["recall"] for v in per_label.values()) / n, 4),
        "macro_f1": round(sum(v["f1"] for v in per_label.values()) / n, 4),
        "flagged_precision": flag["precision"],
        "flagged_recall": flag["recall"],
        "flagged_f1": flag["f1"],
        "risk_auc": risk_auc(y_true, scores),
        "negatives": len(negatives),
        "negative_flag_rate": round(sum(p in flagged for p in negatives) / len(negatives), 4)
        if negatives else None,
        "legitimate_items": len(legitimate),
        "legitimate_false_positive_rate": round(
            sum(p in flagged for p in legitimate) / len(legitimate), 4) if legitimate else None,
    }


def metrics(predictions: Predictions, scorer_version: str) -> dict[str, Any]:
    """The report as a JSON-ready mapping (see ``docs/evidence.md`` for its keys)."""
    y_true = [item.label.value for item in predictions.items]
    y_pred = predictions.labels
    languages = sorted({item.lang for item in predictions.items})
    per_language = {}
    for language in languages:
        rows = [i for i, item in enumerate(predictions.items) if item.lang == language]
        per_language[language] = _summary([y_true[i] for i in rows], [y_pred[i] for i in rows],
                                          [predictions.scores[i] for i in rows])
    per_indicator = {}
    annotated = [n for n, item in enumerate(predictions.items) if has_indicator_labels(item)]
    for indicator in INDICATORS:
        true = [indicator in predictions.items[n].indicators for n in annotated]
        pred = [indicator in predictions.indicators[n] for n in annotated]
        tp = sum(t and p for t, p in zip(true, pred, strict=True))
        fp = sum(p and not t for t, p in zip(true, pred, strict=True))
        fn = sum(t and not p for t, p in zip(true, pred, strict=True))
        if tp + fp + fn == 0:
            continue
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_indicator[indicator] = {
            "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "support": tp + fn, "predicted": tp + fp,
        }
    return {
        "scorer": scorer_version,
        "items": len(y_true),
        "seconds": round(predictions.seconds, 2),
        "failures": predictions.failures,
        "overall": _summary(y_true, y_pred, predictions.scores),
        "per_label": _prf(y_true, y_pred, LABELS),
        "per_language": per_language,
        "per_indicator": per_indicator,
    }
