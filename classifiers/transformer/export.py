"""Export a trained classifier to ONNX and quantise it to int8 (dynamic, per-channel)."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch
from onnxruntime.quantization import QuantType, quantize_dynamic

from classifiers.transformer.model import CLASSIFIER_FILE, load_trained

ONNX_FP32 = "model.onnx"
ONNX_INT8 = "model.int8.onnx"
OPSET = 17


def export_onnx(model_dir: Path, out_dir: Path) -> tuple[Path, Path]:
    """Write ``model.onnx`` (fp32) and ``model.int8.onnx`` plus tokenizer and schema."""
    model, _ = load_trained(model_dir)
    # Traced SDPA attention leaves Where/IsNaN guards on every layer (about 15% of int8
    # time); the eager form traces to plain MatMul/Softmax (benchmarks/classify.py).
    model.encoder.set_attn_implementation("eager")
    out_dir.mkdir(parents=True, exist_ok=True)
    fp32 = out_dir / ONNX_FP32
    example = (torch.ones(2, 16, dtype=torch.long), torch.ones(2, 16, dtype=torch.long))
    torch.onnx.export(
        model, example, str(fp32), input_names=["input_ids", "attention_mask"],
        output_names=["label_logits", "indicator_logits"], opset_version=OPSET,
        dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                      "attention_mask": {0: "batch", 1: "tokens"},
                      "label_logits": {0: "batch"}, "indicator_logits": {0: "batch"}},
        dynamo=False,
    )
    int8 = out_dir / ONNX_INT8
    # MatMul weights per output channel; the word-embedding Gather too (a quarter the size)
    quantize_dynamic(fp32, int8, per_channel=True, weight_type=QuantType.QInt8,
                     op_types_to_quantize=["MatMul", "Gather"])
    for name in ("tokenizer.json", CLASSIFIER_FILE):
        if model_dir.resolve() != out_dir.resolve():
            shutil.copyfile(model_dir / name, out_dir / name)
    return fp32, int8
