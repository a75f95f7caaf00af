"""Classifier throughput: PyTorch fp32 vs ONNX Runtime fp32 vs ONNX Runtime int8.

Ads per second at a fixed 128 tokens per ad (development texts, padded or cut to 128), the
same batches for all three, after one warm-up batch; plus the int8 model's macro F1
change against fp32 on the development split (model alone, argmax labels).

    python -m benchmarks.classify [--version V] [--batch 16] [--batches 8] [--json PATH]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from benchmarks.machine import announce, write_figures
from classifiers.data.recipe import development_items
from classifiers.labelled import read_labelled
from classifiers.transformer.onnx_scorer import OnnxClassifier
from classifiers.transformer.registry import Registry, RegistryError
from lurewatch.config import load_settings

TOKENS = 128


def fixed_length_batches(classifier: OnnxClassifier, titles: list[str], texts: list[str],
                         batch: int, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``count`` batches of ``batch`` ads, each exactly TOKENS long (repeat text to fill)."""
    encoded = classifier.encoder.encode(titles, [(t + " ") * 8 for t in texts])
    ids = encoded.input_ids[:, :TOKENS]
    if ids.shape[1] < TOKENS:
        raise SystemExit("dev texts too short to fill 128 tokens")
    mask = np.ones_like(ids)
    rows = [(ids[i:i + batch], mask[i:i + batch]) for i in range(0, len(ids), batch)]
    rows = [r for r in rows if len(r[0]) == batch]
    return (rows * (count // max(len(rows), 1) + 1))[:count]


def ads_per_second(run, batches: list[tuple[np.ndarray, np.ndarray]]) -> float:  # noqa: ANN001
    run(*batches[0])  # warm-up
    started = time.perf_counter()
    for ids, mask in batches:
        run(ids, mask)
    return sum(len(ids) for ids, _ in batches) / (time.perf_counter() - started)


def macro_f1(gold: list[str], predicted: list[str], labels: tuple[str, ...]) -> float:
    scores = []
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        denominator = gold.count(label) + predicted.count(label)
        scores.append(2 * tp / denominator if denominator else 0.0)
    return float(np.mean(scores))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", help="model version (default: the promoted one)")
    parser.add_argument("--weights", type=Path, help="a weights folder instead of a registry "
                        "version (torch/, model.onnx, model.int8.onnx, tokenizer.json)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--batches", type=int, default=8, help="timed batches per runtime")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dev", type=Path,
                        help="labelled JSONL (default: the recipe's development split)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--no-f1", action="store_true", help="throughput only (no dev pass)")
    args = parser.parse_args()
    machine = announce()

    if args.weights:
        weights, name = args.weights, str(args.weights)
    else:
        registry = Registry(load_settings().model.registry)
        model = registry.get(args.version) if args.version else registry.promoted()
        if model is None:
            raise SystemExit("no promoted model: run classifiers/transformer/build_default.sh")
        try:
            model.verify_weights()
        except RegistryError as exc:
            raise SystemExit(str(exc)) from exc
        weights, name = model.weights_dir(), model.version
    items = read_labelled(args.dev) if args.dev else development_items()
    titles, texts = [i.title for i in items], [i.text for i in items]

    import torch

    from classifiers.transformer.model import load_trained

    torch.set_num_threads(args.threads)
    torch_model, _ = load_trained(weights / "torch")
    fp32 = OnnxClassifier(weights, "model.onnx", max_tokens=512, threads=args.threads)
    int8 = OnnxClassifier(weights, "model.int8.onnx", max_tokens=512, threads=args.threads)
    batches = fixed_length_batches(fp32, titles, texts, args.batch, args.batches)

    def run_torch(ids: np.ndarray, mask: np.ndarray) -> None:
        with torch.inference_mode():
            torch_model(torch.from_numpy(ids), torch.from_numpy(mask))

    speed = {"torch_fp32": ads_per_second(run_torch, batches),
             "onnx_fp32": ads_per_second(fp32.run, batches),
             "onnx_int8": ads_per_second(int8.run, batches)}

    gold = [i.label.value for i in items]
    f1 = {"fp32": float("nan"), "int8": float("nan")}
    for runtime, classifier in (() if args.no_f1 else (("fp32", fp32), ("int8", int8))):
        classifier.encoder = OnnxClassifier(weights, "model.onnx").encoder  # the model's length
        predicted = []
        for offset in range(0, len(items), 32):
            probs, _ = classifier.predict(titles[offset:offset + 32], texts[offset:offset + 32])
            predicted += [classifier.labels[k] for k in probs.argmax(1)]
        f1[runtime] = macro_f1(gold, predicted, classifier.labels)

    figures = {"model": name,
               "ads_per_second": {k: round(v, 1) for k, v in speed.items()},
               "speedup_int8_vs_torch_fp32": round(speed["onnx_int8"] / speed["torch_fp32"], 2),
               "f1_fp32": round(f1["fp32"], 4), "f1_int8": round(f1["int8"], 4),
               "f1_delta_int8": round(f1["int8"] - f1["fp32"], 4),
               "tokens": TOKENS, "batch": args.batch, "threads": args.threads,
               "dev_items": len(items), "machine": machine}
    print(f"model {name}, batch {args.batch} x {TOKENS} tokens, "
          f"{args.threads} threads")
    print(f"{'runtime':<12}{'ads/s':>10}")
    for name, value in figures["ads_per_second"].items():
        print(f"{name:<12}{value:>10.1f}")
    print(f"int8 speed-up vs torch fp32: {figures['speedup_int8_vs_torch_fp32']}x")
    print(f"dev macro F1 fp32 {figures['f1_fp32']}, int8 {figures['f1_int8']}, "
          f"delta {figures['f1_delta_int8']:+.4f}")
    write_figures(args.json, figures)


if __name__ == "__main__":
    main()
