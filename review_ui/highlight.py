"""Cut crawled text into plain and highlighted segments for the templates.

Templates escape every segment; nothing here produces markup, so hostile text can never
become HTML. Offsets that a buggy or hostile scorer puts outside the text are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lurewatch.record import HIGHLIGHT_END, HIGHLIGHT_START, Ad

# Markers the stores put around matched words in highlight fragments (never HTML).
MARK_OPEN = HIGHLIGHT_START
MARK_CLOSE = HIGHLIGHT_END


@dataclass
class Segment:
    text: str
    marks: list[int] = field(default_factory=list)  # 1-based numbers into the legend


@dataclass(frozen=True)
class Evidence:
    number: int
    indicator: str
    score: float
    source: str
    rule: str | None
    quote: str


def evidence_segments(ad: Ad) -> tuple[list[Segment], list[Evidence]]:
    """The text cut at every evidence span boundary, each piece tagged with the legend
    numbers of the spans covering it; and the legend."""
    text = ad.text
    legend: list[Evidence] = []
    spans: list[tuple[int, int, int]] = []
    for indicator in ad.indicators:
        for span in indicator.spans:
            if not 0 <= span.start < span.end <= len(text):
                continue
            number = len(legend) + 1
            legend.append(Evidence(number, indicator.id, indicator.score, indicator.source,
                                   indicator.rule, text[span.start:span.end]))
            spans.append((span.start, span.end, number))
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    segments = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        covering = [n for s, e, n in spans if s <= start and end <= e]
        segments.append(Segment(text[start:end], covering))
    return segments, legend


def fragment_segments(fragment: str) -> list[Segment]:
    """A store's highlight fragment (matches between MARK_OPEN and MARK_CLOSE) as segments."""
    segments: list[Segment] = []
    for i, piece in enumerate(re.split(f"[{MARK_OPEN}{MARK_CLOSE}]", fragment)):
        if piece:
            segments.append(Segment(piece, [1] if i % 2 else []))
    return segments
