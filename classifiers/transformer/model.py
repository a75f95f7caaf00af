"""The classifier: e5 encoder, mean pooling, a label head and a multi-label indicator head."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from torch import nn
from transformers import BertConfig, BertModel
from transformers.masking_utils import create_bidirectional_mask

from classifiers.transformer.dataset import LABELS
from lurewatch.record import INDICATORS

CLASSIFIER_FILE = "classifier.json"


class AdClassifier(nn.Module):
    """``forward(input_ids, attention_mask) -> (label_logits, indicator_logits)``."""

    def __init__(self, encoder: BertModel, labels: tuple[str, ...] = LABELS,
                 indicators: tuple[str, ...] = INDICATORS, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        self.labels = labels
        self.indicators = indicators
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.label_head = nn.Linear(hidden, len(labels))
        self.indicator_head = nn.Linear(hidden, len(indicators))

    def heads(self, hidden: torch.Tensor, attention_mask: torch.Tensor
              ) -> tuple[torch.Tensor, torch.Tensor]:
        # mean over real tokens (<s> and </s> included), as e5 was trained
        weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        pooled = self.dropout(pooled)
        return self.label_head(pooled), self.indicator_head(pooled)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.heads(hidden, attention_mask)

    def lower_layers(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                     upto: int) -> torch.Tensor:
        """Hidden states after embeddings and the first ``upto`` layers (cacheable when frozen)."""
        hidden = self.encoder.embeddings(input_ids=input_ids)
        return self._run_layers(hidden, attention_mask, 0, upto)

    def forward_from(self, hidden: torch.Tensor, attention_mask: torch.Tensor, start: int
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        """The rest of the forward pass from layer ``start`` on cached hidden states."""
        hidden = self._run_layers(hidden, attention_mask, start, len(self.encoder.encoder.layer))
        return self.heads(hidden, attention_mask)

    def _run_layers(self, hidden: torch.Tensor, attention_mask: torch.Tensor,
                    start: int, stop: int) -> torch.Tensor:
        mask = create_bidirectional_mask(config=self.encoder.config, inputs_embeds=hidden,
                                         attention_mask=attention_mask)
        for layer in self.encoder.encoder.layer[start:stop]:
            output = layer(hidden, mask)
            hidden = output[0] if isinstance(output, tuple) else output
        return hidden

    def freeze(self, trainable_layers: int, train_embeddings: bool = False) -> int:
        """Freeze embeddings (unless asked) and all but the top ``trainable_layers`` layers;
        returns the index of the first trainable layer."""
        layers = self.encoder.encoder.layer
        first = max(0, len(layers) - trainable_layers)
        self.encoder.embeddings.requires_grad_(train_embeddings)
        for index, layer in enumerate(layers):
            layer.requires_grad_(index >= first)
        return first

    def save(self, out_dir: Path, tokenizer_file: Path, max_tokens: int) -> None:
        from safetensors.torch import save_file

        out_dir.mkdir(parents=True, exist_ok=True)
        state = {k: v.contiguous() for k, v in self.state_dict().items()}
        save_file(state, str(out_dir / "model.safetensors"))
        self.encoder.config.to_json_file(str(out_dir / "config.json"))
        (out_dir / CLASSIFIER_FILE).write_text(json.dumps({
            "labels": list(self.labels), "indicators": list(self.indicators),
            "max_tokens": max_tokens, "pooling": "mean", "input_prefix": "passage: ",
        }, indent=2))
        if tokenizer_file.resolve() != (out_dir / "tokenizer.json").resolve():
            shutil.copyfile(tokenizer_file, out_dir / "tokenizer.json")


def load_base(checkpoint: Path) -> AdClassifier:
    """A fresh classifier on top of a base checkpoint (converted e5 or a tiny test BERT)."""
    encoder = BertModel.from_pretrained(checkpoint, add_pooling_layer=False)
    return AdClassifier(encoder)


def load_trained(model_dir: Path) -> tuple[AdClassifier, dict]:
    """A trained classifier saved by :meth:`AdClassifier.save`, in eval mode."""
    from safetensors.torch import load_file

    spec = json.loads((model_dir / CLASSIFIER_FILE).read_text())
    encoder = BertModel(BertConfig.from_json_file(str(model_dir / "config.json")),
                        add_pooling_layer=False)
    model = AdClassifier(encoder, tuple(spec["labels"]), tuple(spec["indicators"]))
    model.load_state_dict(load_file(str(model_dir / "model.safetensors")))
    return model.eval(), spec
