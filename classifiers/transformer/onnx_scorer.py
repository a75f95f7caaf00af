"""Serving: the promoted model in ONNX Runtime, combined with the rule evidence.

Only onnxruntime, tokenizers and numpy are needed here (no torch, no transformers).

How the final label is made (documented in docs/model.md):

1. The model gives label probabilities ``p`` (softmax) and indicator probabilities.
2. The rules give their evidence (see :mod:`classifiers.scoring`). A combiner learned on
   held-apart data (:mod:`classifiers.transformer.combiner`) turns both into the final
   label probabilities ``p_final``.
3. ``p_final`` is thresholded with the version's ``thresholds.json`` (chosen on the
   development split): the ad is flagged ``deceptive_recruitment`` / ``smuggling_offer``
   when that probability reaches its threshold (the larger one if both do), otherwise it
   takes the likelier of ``legitimate`` and ``not_job_related``. An ad is flagged only
   with at least one indicator to show (step 4): an analyst must see why, and a flag
   with no reason in the text is the model's guess, not a finding. ``risk_score`` is
   ``p_final[TIP] + p_final[SOM]``, the probability that the ad is one of the two, either
   way, so such an ad still ranks high in search. Between the two crimes, the rules
   decide where they found a strong indicator of one and nothing of the other
   (:func:`crime_by_rules`): TIP and SOM are different crimes, and the matched words
   are the evidence an analyst reads.
4. Indicators: every rule indicator with its matched spans; plus each indicator the
   model predicts above its own threshold that the rules did not find, explained by
   occlusion (the phrases whose removal lowers that probability most). An indicator
   below its threshold is never shown.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from classifiers import rules
from classifiers.base import Scorer
from classifiers.sector import sector_under
from classifiers.transformer.combiner import Combiner, features
from classifiers.transformer.encoding import TextEncoder
from classifiers.transformer.explain import occlusion_spans
from classifiers.transformer.registry import ModelVersion
from lurewatch.record import Ad, Indicator, Label

FLAGGED = (Label.deceptive_recruitment.value, Label.smuggling_offer.value)
CRIME_LABELS = {"tip": Label.deceptive_recruitment.value, "som": Label.smuggling_offer.value}


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(-1, keepdims=True))
    return shifted / shifted.sum(-1, keepdims=True)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-logits))


class OnnxClassifier:
    """The exported classifier: ``predict(titles, texts) -> (label probs, indicator probs)``."""

    def __init__(self, weights_dir: Path, onnx_file: str = "model.int8.onnx",
                 max_tokens: int | None = None, threads: int | None = None) -> None:
        spec = json.loads((weights_dir / "classifier.json").read_text())
        self.labels: tuple[str, ...] = tuple(spec["labels"])
        self.indicators: tuple[str, ...] = tuple(spec["indicators"])
        self.encoder = TextEncoder(weights_dir / "tokenizer.json",
                                   max_tokens or int(spec["max_tokens"]))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        self.session = ort.InferenceSession(str(weights_dir / onnx_file), options,
                                            providers=["CPUExecutionProvider"])

    def run(self, input_ids: np.ndarray, attention_mask: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
        label_logits, indicator_logits = self.session.run(
            None, {"input_ids": input_ids, "attention_mask": attention_mask})
        return softmax(label_logits), sigmoid(indicator_logits)

    def predict(self, titles: list[str], texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        batch = self.encoder.encode(titles, texts)
        return self.run(batch.input_ids, batch.attention_mask)


def decide(probs: np.ndarray, labels: Sequence[str], thresholds: dict[str, float],
           has_evidence: bool = True, ruled: Ad | None = None) -> str:
    """The label for one probability row under the flag thresholds (see module doc):
    without evidence (``has_evidence`` false) never a flag; with the rule-scored record
    (``ruled``), a flag's crime as :func:`crime_by_rules` settles it."""
    index = {label: i for i, label in enumerate(labels)}
    reached = [(probs[index[f]], f) for f in FLAGGED if probs[index[f]] >= thresholds[f]]
    if reached and has_evidence:
        flag = max(reached)[1]
        return crime_by_rules(flag, ruled) if ruled is not None else flag
    rest = [label for label in labels if label not in FLAGGED]
    return max(rest, key=lambda label: probs[index[label]])


def crime_by_rules(label: str, ruled: Ad) -> str:
    """A flag's crime as the rule evidence settles it: where the rules found a strong
    indicator of one crime and nothing of the other, that crime (a kept passport is
    trafficking, whatever else the model reads into the ad); otherwise ``label``."""
    if label not in FLAGGED:
        return label
    weights = rules.indicator_weights()
    found = [weights[i.id] for i in ruled.indicators if i.source == "rule" and i.id in weights]
    strong = {w.crime for w in found if w.strength == "strong"} - {"either"}
    if len(strong) == 1 and {w.crime for w in found} - {"either"} == strong:
        return CRIME_LABELS[strong.pop()]
    return label


class ModelScorer:
    """A :class:`~classifiers.base.Scorer`: rule evidence plus the promoted model."""

    def __init__(self, model: ModelVersion, rule_scorer: Scorer, batch_size: int = 16,
                 max_tokens: int | None = None) -> None:
        self.model_version = model
        self.rule_scorer = rule_scorer
        self.batch_size = batch_size
        self.classifier = OnnxClassifier(model.weights_dir(), max_tokens=max_tokens)
        thresholds: dict[str, Any] = model.read_json("thresholds.json")
        self.flag_thresholds: dict[str, float] = thresholds["labels"]
        self.indicator_thresholds: dict[str, float] = thresholds["indicators"]
        self.combiner = Combiner.load(model.folder)
        self._version = f"{model.version}+{rule_scorer.version}"

    @property
    def version(self) -> str:
        return self._version

    def score(self, ads: Sequence[Ad]) -> list[Ad]:
        scored: list[Ad] = []
        for offset in range(0, len(ads), self.batch_size):
            scored.extend(self._score_batch(ads[offset:offset + self.batch_size]))
        return scored

    def _score_batch(self, ads: Sequence[Ad]) -> list[Ad]:
        ruled = self.rule_scorer.score(ads)
        labels = self.classifier.labels
        batch = self.classifier.encoder.encode([a.title for a in ads], [a.text for a in ads])
        label_probs, indicator_probs = self.classifier.run(batch.input_ids, batch.attention_mask)
        final = self.combiner.probabilities(features(label_probs, ruled))
        out = []
        for row, ad in enumerate(ruled):
            indicators = self._indicators(ad, row, batch, indicator_probs[row])
            label = decide(final[row], labels, self.flag_thresholds, bool(indicators), ad)
            risk = float(sum(final[row][labels.index(f)] for f in FLAGGED))
            out.append(ad.model_copy(update={
                "risk_label": Label(label), "risk_score": round(min(max(risk, 0.0), 1.0), 4),
                "sector": sector_under(Label(label), ad.sector),
                "indicators": indicators, "model_version": self.version,
            }))
        return out

    def _indicators(self, ad: Ad, row: int, batch: Any, probs: np.ndarray) -> list[Indicator]:
        names = self.classifier.indicators
        by_rule = {i.id for i in ad.indicators}
        wanted = [k for k, name in enumerate(names)
                  if name not in by_rule and probs[k] >= self.indicator_thresholds.get(name, 0.5)]
        if not wanted:
            return list(ad.indicators)
        spans = occlusion_spans(self.classifier, ad.text, batch.input_ids[row],
                                batch.attention_mask[row], batch.text_offsets[row], wanted)
        model_indicators = [Indicator(id=names[k], score=round(float(probs[k]), 4),
                                      source="model", rule=None, spans=spans[k])
                            for k in wanted]
        return [*ad.indicators, *model_indicators]
