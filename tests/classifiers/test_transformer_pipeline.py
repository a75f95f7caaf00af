"""Train -> export -> serve -> register on a tiny randomly initialised BERT.

Same code path as the default model, with a 2-layer, 32-wide encoder over the real e5
tokenizer, so the whole pipeline runs in seconds. The real checkpoint is covered by the
``slow`` tests in this file and in test_transformer_bootstrap.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from classifiers.base import Scorer  # noqa: E402
from classifiers.data.recipe import written_items  # noqa: E402
from classifiers.labelled import read_labelled  # noqa: E402
from classifiers.transformer.bootstrap import BootstrapError, default_inputs  # noqa: E402
from classifiers.transformer.dataset import (  # noqa: E402
    near_duplicates,
    split_by_group,
    write_examples,
)
from lurewatch.record import Ad, Label  # noqa: E402


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        _, tokenizer_json = default_inputs()
    except BootstrapError as exc:
        pytest.skip(f"e5 tokenizer package not installed: {exc}")
    base = tmp_path_factory.mktemp("tiny-base")
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=250037, hidden_size=32, num_hidden_layers=2,
                                     num_attention_heads=2, intermediate_size=64,
                                     max_position_embeddings=512, pad_token_id=1)
    transformers.BertModel(config, add_pooling_layer=False).save_pretrained(base)
    shutil.copyfile(tokenizer_json, base / "tokenizer.json")
    return base


@pytest.fixture(scope="module")
def small_sets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A few records per label and language of the formal written data, split by group."""
    items = written_items(("w1",))
    train, dev = split_by_group(items, 0.3)
    folder = tmp_path_factory.mktemp("sets")
    write_examples(train[::12], folder / "train.jsonl")
    write_examples(dev[::8], folder / "dev.jsonl")
    return folder / "train.jsonl", folder / "dev.jsonl"


@pytest.fixture(scope="module")
def trained(tiny_base: Path, small_sets: tuple[Path, Path],
            tmp_path_factory: pytest.TempPathFactory) -> Path:
    from classifiers.transformer.train import TrainConfig, train

    out = tmp_path_factory.mktemp("trained")
    train(TrainConfig(train_file=small_sets[0], dev_file=small_sets[1], base=tiny_base,
                      out_dir=out, trainable_layers=1, epochs=3, patience=1, max_tokens=64),
          log=lambda _: None)
    return out


def test_group_split_keeps_every_group_on_one_side() -> None:
    items = written_items(("w1",))
    train, dev = split_by_group(items, 0.2)
    assert {i.group for i in train}.isdisjoint({i.group for i in dev})
    assert 0.1 < len(dev) / len(items) < 0.3


def test_train_set_covers_every_language_label_and_indicator() -> None:
    from classifiers.data.recipe import training_sets
    from lurewatch.record import INDICATORS

    items, development = training_sets()
    assert {i.lang for i in development} == {i.lang for i in items}
    assert len({i.lang for i in items}) == 14
    assert {i.label.value for i in items} == {label.value for label in Label}
    assert {ind for i in items for ind in i.indicators} == set(INDICATORS)


def test_near_duplicates_are_found_across_sets(tmp_path: Path) -> None:
    items = written_items(("w1",))[:50]
    copy = items[3].model_copy(update={"id": "dev-x", "text": items[3].text + " !"})
    found = near_duplicates(items, [copy])
    assert items[3].id in found["dev-x"]


def test_training_logs_epochs_and_saves_the_best(trained: Path) -> None:
    log = [json.loads(line) for line in (trained / "train_log.jsonl").read_text().splitlines()]
    assert 1 <= len(log) <= 3
    assert {"epoch", "train_loss", "dev_label_macro_f1"} <= log[0].keys()
    summary = json.loads((trained / "train_summary.json").read_text())
    assert summary["best_epoch"] in [entry["epoch"] for entry in log]
    assert (trained / "model.safetensors").is_file()


def test_training_is_reproducible_with_the_seed(tiny_base: Path, small_sets: tuple[Path, Path],
                                                 trained: Path, tmp_path: Path) -> None:
    from classifiers.transformer.train import TrainConfig, train

    train(TrainConfig(train_file=small_sets[0], dev_file=small_sets[1], base=tiny_base,
                      out_dir=tmp_path, trainable_layers=1, epochs=3, patience=1,
                      max_tokens=64), log=lambda _: None)
    first = (trained / "train_log.jsonl").read_text()
    again = (tmp_path / "train_log.jsonl").read_text()
    strip = [{k: v for k, v in json.loads(line).items() if k != "elapsed_s"}
             for text in (first, again) for line in text.splitlines()]
    assert strip[:len(strip) // 2] == strip[len(strip) // 2:]


def test_onnx_export_matches_torch_and_int8_stays_close(trained: Path, tmp_path: Path) -> None:
    from classifiers.transformer.encoding import TextEncoder
    from classifiers.transformer.export import export_onnx
    from classifiers.transformer.model import load_trained
    from classifiers.transformer.onnx_scorer import OnnxClassifier

    export_onnx(trained, tmp_path)
    model, _ = load_trained(trained)
    batch = TextEncoder(trained / "tokenizer.json", 64).encode(
        ["Kerja kilang", ""], ["Gaji RM8,000 tanpa pengalaman!", "ขายมอเตอร์ไซค์มือสอง"])
    with torch.no_grad():
        expected = torch.softmax(model(torch.from_numpy(batch.input_ids),
                                       torch.from_numpy(batch.attention_mask))[0], -1).numpy()
    fp32 = OnnxClassifier(tmp_path, "model.onnx").run(batch.input_ids, batch.attention_mask)[0]
    int8 = OnnxClassifier(tmp_path, "model.int8.onnx").run(batch.input_ids,
                                                             batch.attention_mask)[0]
    np.testing.assert_allclose(fp32, expected, atol=1e-4)
    assert np.abs(int8 - fp32).max() < 0.1
    sizes = {name: (tmp_path / name).stat().st_size for name in ("model.onnx", "model.int8.onnx")}
    assert sizes["model.int8.onnx"] < sizes["model.onnx"] / 3


def test_build_registers_promotes_and_is_idempotent(
        tiny_base: Path, small_sets: tuple[Path, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from classifiers.scoring import RuleScorer
    from classifiers.transformer.build import build_default
    from classifiers.transformer.onnx_scorer import ModelScorer
    from classifiers.transformer.registry import Registry, RegistryError

    monkeypatch.setenv("LUREWATCH_CACHE", str(tmp_path / "cache"))
    registry_root = tmp_path / "models"
    registry_root.mkdir()
    options = {"trainable_layers": 1, "epochs": 1, "max_tokens": 64}
    version = build_default(registry_root, small_sets[0], small_sets[1], log=lambda _: None,
                            base=tiny_base, **options)
    folder = registry_root / version
    for name in ("manifest.json", "thresholds.json", "labels.json", "metrics.json",
                 "MODEL_CARD.md", "charts/confusion_matrix.png", "charts/reliability.png"):
        assert (folder / name).is_file(), name
    metrics = json.loads((folder / "metrics.json").read_text())
    assert set(metrics["served"]["per_language"]) == {i.lang for i in read_labelled(small_sets[1])}
    assert 0.0 <= metrics["served"]["calibration"]["ece"] <= 1.0
    thresholds = json.loads((folder / "thresholds.json").read_text())
    assert set(thresholds["labels"]) == {"deceptive_recruitment", "smuggling_offer"}

    registry = Registry(registry_root)
    assert registry.promoted().version == version
    messages: list[str] = []
    assert build_default(registry_root, small_sets[0], small_sets[1], log=messages.append,
                         base=tiny_base, **options) == version
    assert "already built" in messages[-1]

    scorer = ModelScorer(registry.promoted(), RuleScorer())
    assert isinstance(scorer, Scorer)
    text = ("Gaji RM8,000 sebulan untuk kerja bungkus yang mudah! Tak perlu pasport. "
            "Hubungi Telegram @kerjacepat_my sahaja. ") * 3
    ads = [Ad(source="t", url="https://example.org/1", title="Kerja", text=text),
           Ad(source="t", url="https://example.org/2", text="x" * 100_000 + "\u200b\u202e")]
    scored = scorer.score(ads)
    assert len(scored) == 2
    for ad in scored:
        assert ad.model_version == scorer.version and version in scorer.version
        assert ad.risk_label is not None and 0.0 <= ad.risk_score <= 1.0
        if ad.flagged:
            assert ad.indicators
        for indicator in ad.indicators:
            for span in indicator.spans:
                assert ad.text[span.start:span.end] == span.text

    assert registry.rollback() is None
    assert registry.promoted() is None
    with pytest.raises(RegistryError, match="nothing to roll back"):
        registry.rollback()
    (tmp_path / "cache" / "models" / version / "model.int8.onnx").write_bytes(b"tampered")
    with pytest.raises(RegistryError, match="checksum"):
        registry.promote(version)

    # a broken export is rebuilt from the cached trained weights, without training again
    messages.clear()
    assert build_default(registry_root, small_sets[0], small_sets[1], log=messages.append,
                         base=tiny_base, **options) == version
    assert any(m.startswith("reusing trained weights") for m in messages)
    assert not any(m.startswith("training") for m in messages)
    registry.get(version).verify_weights()


@pytest.mark.slow
def test_promoted_default_model_flags_and_explains() -> None:
    """The real default model (built by build_default.sh) through load_scorer."""
    from classifiers.scoring import load_scorer
    from classifiers.transformer.onnx_scorer import ModelScorer
    from classifiers.transformer.registry import Registry, RegistryError
    from lurewatch.config import load_settings

    settings = load_settings()
    model = Registry(settings.model.registry).promoted()
    try:
        if model is None:
            raise RegistryError("no promoted model")
        model.verify_weights(("model.int8.onnx", "tokenizer.json", "classifier.json"))
    except RegistryError as exc:
        pytest.skip(f"default model not built (classifiers/transformer/build_default.sh): {exc}")
    scorer = load_scorer(settings)
    assert isinstance(scorer, ModelScorer)
    tip = ("Kerja kilang di Malaysia! Gaji RM8,000 sebulan, tiada pengalaman diperlukan. "
           "Yuran proses RM4,500 dibayar sebelum berlepas. Pasport disimpan oleh majikan. "
           "Hubungi Telegram @kerjacepat_my sahaja.")
    legit = ("Maju Jaya Sdn Bhd, Prai, Pulau Pinang\nOperator Pengeluaran. Kelayakan: SPM. "
             "Gaji RM1,900 sebulan, KWSP dan PERKESO. Hantar resume ke hr@majujaya.com.my.")
    scored = scorer.score([Ad(source="t", url="https://example.org/tip", text=tip),
                           Ad(source="t", url="https://example.org/ok", text=legit)])
    assert scored[0].risk_label == Label.deceptive_recruitment
    assert scored[1].risk_label == Label.legitimate
    assert scored[0].indicators
    for ad in scored:
        assert ad.model_version.startswith(model.version)
        for indicator in ad.indicators:
            for span in indicator.spans:
                assert ad.text[span.start:span.end] == span.text
