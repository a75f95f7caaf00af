"""Cut crawled text into plain and highlighted segments for the templates.

Templates escape every segment; nothing here produces markup, so hostile text can never
become HTML. Offsets that a buggy or hostile scorer puts outside the text are ignored.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Literal

from lurewatch.record import HIGHLIGHT_END, HIGHLIGHT_START, Ad, AdVersion

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


# Words and the whitespace between them: a diff by word reads better than one by character
# and stays far cheaper on long ads.
_DIFF_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class DiffSegment:
    text: str
    change: Literal["same", "removed", "added"]


def diff_segments(before: str, after: str) -> list[DiffSegment]:
    """``before`` turned into ``after``, word by word, as plain-text segments (the template
    escapes each and wraps removed and added ones in ``<del>`` and ``<ins>``)."""
    old, new = _DIFF_TOKENS.findall(before), _DIFF_TOKENS.findall(after)
    segments: list[DiffSegment] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(DiffSegment("".join(old[i1:i2]), "same"))
            continue
        if i2 > i1:
            segments.append(DiffSegment("".join(old[i1:i2]), "removed"))
        if j2 > j1:
            segments.append(DiffSegment("".join(new[j1:j2]), "added"))
    return segments


@dataclass(frozen=True)
class VersionView:
    version: AdVersion
    title_diff: list[DiffSegment]
    text_diff: list[DiffSegment]


def version_views(ad: Ad) -> list[VersionView]:
    """Each earlier version, newest first, diffed against the one that replaced it."""
    newer: list[AdVersion | Ad] = [*ad.versions, ad][1:]
    views = [VersionView(version, diff_segments(version.title, after.title),
                         diff_segments(version.text, after.text))
             for version, after in zip(ad.versions, newer, strict=True)]
    return views[::-1]
