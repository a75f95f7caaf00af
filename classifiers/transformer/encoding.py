"""Turning records into token ids, identically for training and serving (no torch here).

The model reads ``"passage: " + title + "\\n" + text`` (e5 was trained with the
``passage:`` prefix), cut to ``max_tokens``. Text is capped in characters before
tokenising so hostile 100k-character posts cost bounded time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

PREFIX = "passage: "
MAX_INPUT_CHARS = 4000  # far more than 512 tokens of any script


@dataclass(frozen=True)
class Batch:
    input_ids: np.ndarray  # int64 [batch, length]
    attention_mask: np.ndarray  # int64 [batch, length]
    # per record and token: (start, end) in the record's text, or (-1, -1) if not in text
    text_offsets: list[list[tuple[int, int]]]


def model_input(title: str, text: str) -> tuple[str, int]:
    """The string the model reads and where ``text`` starts in it."""
    head = f"{PREFIX}{title[:200]}\n" if title else PREFIX
    return head + text[:MAX_INPUT_CHARS], len(head)


class TextEncoder:
    """A ``tokenizers`` tokenizer with truncation and padding set for the classifier."""

    def __init__(self, tokenizer_file: Path, max_tokens: int) -> None:
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.max_tokens = max_tokens
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.pad_id = self.tokenizer.token_to_id("<pad>")
        if self.pad_id is None:
            raise ValueError(f"{tokenizer_file} has no <pad> token")

    def encode(self, titles: list[str], texts: list[str]) -> Batch:
        inputs = [model_input(title, text) for title, text in zip(titles, texts, strict=True)]
        encodings = self.tokenizer.encode_batch([string for string, _ in inputs])
        length = max((len(e.ids) for e in encodings), default=1)
        ids = np.full((len(encodings), length), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), length), dtype=np.int64)
        offsets: list[list[tuple[int, int]]] = []
        for row, (encoding, (_, text_start)) in enumerate(zip(encodings, inputs, strict=True)):
            ids[row, :len(encoding.ids)] = encoding.ids
            mask[row, :len(encoding.ids)] = 1
            record_offsets = []
            for (start, end), special in zip(encoding.offsets, encoding.special_tokens_mask,
                                             strict=True):
                inside = not special and start >= text_start and end > start
                record_offsets.append((start - text_start, end - text_start) if inside
                                      else (-1, -1))
            offsets.append(record_offsets)
        return Batch(ids, mask, offsets)
