"""Fine-tune the classifier (``lurewatch train``).

CPU budget (measured on the 2-core build machine, see docs/model.md): the embeddings
(250k x 384, 96M of the 117M parameters) are frozen, inputs are cut to 128 tokens, and
the lower ``12 - trainable_layers`` layers are frozen too, so their outputs are computed
once and cached; each epoch then runs only the top layers and the heads. On a GPU, pass
``--trainable-layers 12 --device cuda`` to fine-tune everything (no cache).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import f1_score
from torch import nn

from classifiers.labelled import LabelledItem, has_indicator_labels
from classifiers.transformer.dataset import (
    LABELS,
    load_examples,
    near_duplicates,
    split_by_group,
)
from classifiers.transformer.encoding import TextEncoder
from classifiers.transformer.model import AdClassifier, load_base
from lurewatch.record import INDICATORS


@dataclass
class TrainConfig:
    train_file: Path
    dev_file: Path | None
    base: Path
    out_dir: Path
    trainable_layers: int = 2
    train_embeddings: bool = False
    max_tokens: int = 256
    batch_size: int = 16
    epochs: int = 8
    patience: int = 2
    learning_rate: float = 1e-4
    head_learning_rate: float = 2e-3
    indicator_loss_weight: float = 1.0
    held_out: float = 0.2  # only when there is no dev file
    near_duplicate_threshold: float = 0.7
    seed: int = 13
    device: str = "cpu"
    threads: int | None = None


@dataclass
class TrainResult:
    out_dir: Path
    best_epoch: int
    dev_label_macro_f1: float
    dev_indicator_micro_f1: float
    train_records: int
    dev_records: int
    dropped_near_duplicates: int
    seconds: dict[str, float] = field(default_factory=dict)


UNKNOWN = -1.0  # an item without indicator annotations (an imported corpus)


@dataclass
class _Batch:
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    labels: torch.Tensor
    indicators: torch.Tensor
    cached: torch.Tensor | None = None


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _batches(items: list[LabelledItem], encoder: TextEncoder, size: int) -> list[_Batch]:
    """Batches of similar length (sorted by characters) so padding stays small."""
    order = sorted(range(len(items)), key=lambda i: len(items[i].title) + len(items[i].text))
    batches = []
    for offset in range(0, len(order), size):
        chunk = [items[i] for i in order[offset:offset + size]]
        encoded = encoder.encode([i.title for i in chunk], [i.text for i in chunk])
        indicators = torch.zeros(len(chunk), len(INDICATORS))
        for row, item in enumerate(chunk):
            if not has_indicator_labels(item):
                indicators[row] = UNKNOWN  # left out of the indicator loss and scores
            for indicator in item.indicators:
                indicators[row, INDICATORS.index(indicator)] = 1.0
        batches.append(_Batch(torch.from_numpy(encoded.input_ids),
                              torch.from_numpy(encoded.attention_mask),
                              torch.tensor([LABELS.index(i.label.value) for i in chunk]),
                              indicators))
    return batches


def _logits(model: AdClassifier, batch: _Batch, first: int) -> tuple[torch.Tensor, torch.Tensor]:
    if batch.cached is not None:
        return model.forward_from(batch.cached, batch.attention_mask, first)
    return model(batch.input_ids, batch.attention_mask)


def predict(model: AdClassifier, batches: list[_Batch], first: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Label probabilities, indicator probabilities and the gold arrays, batch order."""
    model.eval()
    label_probs, indicator_probs, gold_labels, gold_indicators = [], [], [], []
    with torch.no_grad():
        for batch in batches:
            label_logits, indicator_logits = _logits(model, batch, first)
            label_probs.append(torch.softmax(label_logits, -1).cpu().numpy())
            indicator_probs.append(torch.sigmoid(indicator_logits).cpu().numpy())
            gold_labels.append(batch.labels.cpu().numpy())
            gold_indicators.append(batch.indicators.cpu().numpy())
    return (np.concatenate(label_probs), np.concatenate(indicator_probs),
            np.concatenate(gold_labels), np.concatenate(gold_indicators))


def _dev_scores(label_probs: np.ndarray, indicator_probs: np.ndarray, gold_labels: np.ndarray,
                gold_indicators: np.ndarray) -> tuple[float, float]:
    label_f1 = f1_score(gold_labels, label_probs.argmax(1), average="macro",
                        labels=list(range(len(LABELS))), zero_division=0)
    known = gold_indicators[:, 0] != UNKNOWN
    indicator_f1 = f1_score(gold_indicators[known], indicator_probs[known] >= 0.5,
                            average="micro", zero_division=0) if known.any() else 0.0
    return float(label_f1), float(indicator_f1)


def choose_splits(config: TrainConfig, log: Callable[[str], None]
                  ) -> tuple[list[LabelledItem], list[LabelledItem], int]:
    """Training and development records, and how many training records were dropped
    because they near-duplicate a development record (so no paraphrase sits on both sides)."""
    train = load_examples(config.train_file)
    if config.dev_file is None or not config.dev_file.is_file():
        train, dev = split_by_group(train, config.held_out)
        log(f"no dev file: holding out {len(dev)} records by group from {config.train_file}")
        return train, dev, 0
    dev = load_examples(config.dev_file)
    overlap = near_duplicates(train, dev, config.near_duplicate_threshold)
    leaked = {train_id for ids in overlap.values() for train_id in ids}
    dev_groups = {item.group for item in dev}
    leaked |= {item.id for item in train if item.group in dev_groups}
    if leaked:
        log(f"dropping {len(leaked)} training records that near-duplicate "
            f"{len(overlap)} dev records (MinHash >= {config.near_duplicate_threshold}) "
            "or share a dev group")
    return [item for item in train if item.id not in leaked], dev, len(leaked)


def train(config: TrainConfig, log: Callable[[str], None] = print) -> TrainResult:
    """Fine-tune, early-stop on the dev split, save the best model to ``config.out_dir``."""
    started = time.perf_counter()
    seconds: dict[str, float] = {}
    seed_everything(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    train_items, dev_items, dropped = choose_splits(config, log)
    encoder = TextEncoder(config.base / "tokenizer.json", config.max_tokens)
    model = load_base(config.base).to(config.device)
    first = model.freeze(config.trainable_layers, config.train_embeddings)
    train_batches = _batches(train_items, encoder, config.batch_size)
    dev_batches = _batches(dev_items, encoder, config.batch_size * 2)
    for batch in train_batches + dev_batches:
        for name in ("input_ids", "attention_mask", "labels", "indicators"):
            setattr(batch, name, getattr(batch, name).to(config.device))
    seconds["load"] = time.perf_counter() - started

    cache_lower = first > 0 and not config.train_embeddings
    if cache_lower:  # frozen lower layers: compute their outputs once
        mark = time.perf_counter()
        model.eval()
        with torch.no_grad():
            for batch in train_batches + dev_batches:
                batch.cached = model.lower_layers(batch.input_ids, batch.attention_mask, first)
        seconds["cache_lower_layers"] = time.perf_counter() - mark
        log(f"cached layers 0-{first - 1} for {len(train_items) + len(dev_items)} records "
            f"in {seconds['cache_lower_layers']:.0f}s")

    counts = np.bincount([LABELS.index(i.label.value) for i in train_items], minlength=len(LABELS))
    class_weights = torch.tensor(len(train_items) / (len(LABELS) * np.maximum(counts, 1)),
                                 dtype=torch.float32)
    label_loss = nn.CrossEntropyLoss(weight=class_weights.to(config.device))
    indicator_loss = nn.BCEWithLogitsLoss(reduction="none")
    head_params = [*model.label_head.parameters(), *model.indicator_head.parameters()]
    head_ids = {id(p) for p in head_params}
    body_params = [p for p in model.parameters() if p.requires_grad and id(p) not in head_ids]
    optimiser = torch.optim.AdamW([
        {"params": body_params, "lr": config.learning_rate},
        {"params": head_params, "lr": config.head_learning_rate},
    ], weight_decay=0.01)

    log_path = config.out_dir / "train_log.jsonl"
    config.out_dir.mkdir(parents=True, exist_ok=True)
    log_path.write_text("")
    best = (-1.0, -1.0)
    best_epoch, best_state, stale = 0, None, 0
    rng = random.Random(config.seed)
    mark = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = list(range(len(train_batches)))
        rng.shuffle(order)
        total = 0.0
        for step, index in enumerate(order, 1):
            batch = train_batches[index]
            label_logits, indicator_logits = _logits(model, batch, first)
            known = batch.indicators != UNKNOWN
            indicator_term = (indicator_loss(indicator_logits, batch.indicators.clamp(min=0))
                              * known).sum() / known.sum().clamp(min=1)
            loss = label_loss(label_logits, batch.labels) + \
                config.indicator_loss_weight * indicator_term
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item()
            if step % 20 == 0 or step == len(order):
                log(f"epoch {epoch} step {step}/{len(order)} loss {total / step:.4f}")
        label_f1, indicator_f1 = _dev_scores(*predict(model, dev_batches, first))
        entry = {"epoch": epoch, "train_loss": round(total / len(order), 4),
                 "dev_label_macro_f1": round(label_f1, 4),
                 "dev_indicator_micro_f1": round(indicator_f1, 4),
                 "elapsed_s": round(time.perf_counter() - mark, 1)}
        with log_path.open("a") as handle:
            handle.write(json.dumps(entry) + "\n")
        log(json.dumps(entry))
        if (label_f1, indicator_f1) > best:
            best, best_epoch, stale = (label_f1, indicator_f1), epoch, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            stale += 1
            if stale >= config.patience:
                log(f"early stop: no dev improvement for {config.patience} epochs")
                break
    seconds["train"] = time.perf_counter() - mark
    assert best_state is not None  # at least one epoch ran
    model.load_state_dict(best_state)
    label_probs, indicator_probs, gold_labels, gold_indicators = predict(model, dev_batches, first)
    model.cpu().save(config.out_dir, config.base / "tokenizer.json", config.max_tokens)
    np.savez(config.out_dir / "dev_predictions.npz", label_probs=label_probs,
             indicator_probs=indicator_probs, gold_labels=gold_labels,
             gold_indicators=gold_indicators)
    seconds["total"] = time.perf_counter() - started
    result = TrainResult(config.out_dir, best_epoch, round(best[0], 4), round(best[1], 4),
                         len(train_items), len(dev_items), dropped,
                         {k: round(v, 1) for k, v in seconds.items()})
    summary = {**asdict(result), "config": {k: str(v) if isinstance(v, Path) else v
                                            for k, v in asdict(config).items()}}
    (config.out_dir / "train_summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return result
