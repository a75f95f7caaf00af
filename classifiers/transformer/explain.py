"""Which stretches of text make the model predict an indicator: occlusion.

The text's tokens are cut into at most ``MAX_SEGMENTS`` consecutive segments; each
variant hides one segment (attention mask 0, so it is also left out of the mean pool)
and the drop in each indicator's probability measures that segment's weight. One
batched forward pass per explained record, no gradients: affordable on a CPU with the
int8 model, and it needs nothing but the ONNX session. A span shown to a reviewer is
widened to whole words (:func:`whole_words`): subword pieces such as ", pas" never
reach the page; in scripts written without spaces that is the run up to the next space
or punctuation, a phrase.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import regex

from lurewatch.record import Span

MAX_SEGMENTS = 24
SPANS_PER_INDICATOR = 2
MIN_DROP = 0.01
MAX_SPAN_CHARS = 160  # a phrase in an unspaced script can run long: cut at a word edge
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]")


def whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` widened to the words it touches and stripped of spaces and
    punctuation at its ends."""
    while start > 0 and _WORD.match(text[start - 1]) and _WORD.match(text[start]):
        start -= 1
    while end < len(text) and _WORD.match(text[end]) and end > 0 and _WORD.match(text[end - 1]):
        end += 1
    while start < end and not _WORD.match(text[start]):
        start += 1
    while end > start and not _WORD.match(text[end - 1]):
        end -= 1
    if end - start > MAX_SPAN_CHARS:
        cut = start + MAX_SPAN_CHARS
        space = text.rfind(" ", start, cut)
        end = space if space > start else cut
    return start, end


class _Runs(Protocol):
    def run(self, input_ids: np.ndarray, attention_mask: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]: ...


def _segments(offsets: list[tuple[int, int]]) -> list[list[int]]:
    """Token positions of the text, cut into at most MAX_SEGMENTS runs of equal length."""
    positions = [i for i, (start, _) in enumerate(offsets) if start >= 0]
    if not positions:
        return []
    size = -(-len(positions) // MAX_SEGMENTS)
    return [positions[i:i + size] for i in range(0, len(positions), size)]


def occlusion_spans(model: _Runs, text: str, input_ids: np.ndarray, attention_mask: np.ndarray,
                    offsets: list[tuple[int, int]], indicator_indices: list[int]
                    ) -> dict[int, list[Span]]:
    """For each indicator index, the text spans whose occlusion lowers it most."""
    segments = _segments(offsets)
    spans: dict[int, list[Span]] = {k: [] for k in indicator_indices}
    if not segments:
        return spans
    ids = np.repeat(input_ids[None, :], len(segments) + 1, axis=0)
    masks = np.repeat(attention_mask[None, :], len(segments) + 1, axis=0)
    for row, segment in enumerate(segments, 1):
        masks[row, segment] = 0
    _, indicator_probs = model.run(ids, masks)
    drops = indicator_probs[0][None, :] - indicator_probs[1:]
    for k in indicator_indices:
        for row in np.argsort(-drops[:, k])[:SPANS_PER_INDICATOR]:
            if drops[row, k] < MIN_DROP and spans[k]:
                break
            start, end = whole_words(text, offsets[segments[row][0]][0],
                                     offsets[segments[row][-1]][1])
            if end > start:
                spans[k].append(Span(start=start, end=end, text=text[start:end]))
    return spans
