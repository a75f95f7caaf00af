"""Text normalisation with an offset map back to the original.

Evidence is found on normalised text (HTML stripped, NFC, mojibake fixed, invisible
characters dropped, whitespace and emoji runs collapsed) but must be highlighted on the
text the analyst sees. :func:`normalise` therefore returns, with the normalised text, the
original offset of every normalised character, and :meth:`Normalised.to_original` turns a
span of the normalised text into a span of the original.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

import ftfy
import ftfy.badness
import lxml.html
import regex

# Invisible characters used to split words past filters, and bidi controls that reorder
# display: dropped. ZWJ/ZWNJ are kept, Sinhala and Urdu spell words with them.
INVISIBLE = frozenset(
    "\u00ad\u180e\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
# Characters folded with NFKC so that styled look-alikes ("𝐖𝐡𝐚𝐭𝐬𝐀𝐩𝐩", "ＷＡ") match.
_STYLED = regex.compile(r"[\uFF01-\uFF5E\U0001D400-\U0001D7FF\u2460-\u24FF]")
# A starter and its combining marks: the unit NFC works on.
_CLUSTER = regex.compile(r"\P{M}\p{M}*|\p{M}+", regex.DOTALL)
_EMOJI = regex.compile(r"[\p{Extended_Pictographic}\p{Emoji_Modifier}\uFE0F\u200D\u20E3]")
# Lines longer than this are mapped coarsely when ftfy changes them (diffs are quadratic).
_MAX_ALIGN_CHARS = 4000
_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "section", "article", "header", "footer", "blockquote", "pre", "dd", "dt", "hr",
}
_DROP_TAGS = ("script", "style", "noscript", "template", "head")


@dataclass(frozen=True)
class Normalised:
    """Normalised text and, per character, where it starts and ends in the original."""

    text: str
    original_starts: tuple[int, ...]
    original_ends: tuple[int, ...]
    original_length: int

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map the normalised span ``[start, end)`` to the original text."""
        if not self.text:
            return 0, 0
        start = min(max(start, 0), len(self.text) - 1)
        end = min(max(end, start + 1), len(self.text))
        original_start = self.original_starts[start]
        original_end = self.original_ends[end - 1]
        return original_start, min(max(original_end, original_start), self.original_length)


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment or page, one blank line between block elements."""
    if not html.strip():
        return ""
    try:
        root = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return html
    for bad in root.xpath("|".join(f"//{tag}" for tag in _DROP_TAGS)):
        bad.drop_tree()
    parts: list[str] = []

    def walk(node: lxml.html.HtmlElement) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        block = tag.lower() in _BLOCK_TAGS
        if block:
            parts.append("\n\n" if tag.lower() not in ("br", "li", "tr") else "\n")
        if node.text and tag:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append("\n\n" if tag.lower() not in ("br", "li", "tr") else "\n")

    walk(root)
    return normalise("".join(parts)).text


def _fix_mojibake(text: str, offsets: list[int]) -> tuple[str, list[int]]:
    """Undo mis-decoded UTF-8 line by line where ftfy recognises it, keeping the map."""
    out_chars: list[str] = []
    out_offsets: list[int] = []
    position = 0
    for line in text.splitlines(keepends=True):
        line_offsets = offsets[position:position + len(line)]
        position += len(line)
        fixed = ftfy.fix_text(line, normalization=None) if ftfy.badness.is_bad(line) else line
        if fixed == line:
            out_chars.append(line)
            out_offsets.extend(line_offsets)
            continue
        out_chars.append(fixed)
        out_offsets.extend(_align(line, fixed, line_offsets))
    return "".join(out_chars), out_offsets


def _align(before: str, after: str, before_offsets: list[int]) -> list[int]:
    """Original offsets for each character of ``after``, a rewrite of ``before``."""
    if not after:
        return []
    if len(before) > _MAX_ALIGN_CHARS or len(after) > _MAX_ALIGN_CHARS:
        scale = len(before) / len(after)
        return [before_offsets[min(int(i * scale), len(before) - 1)] for i in range(len(after))]
    mapped = [0] * len(after)
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    for _tag, b0, b1, a0, a1 in matcher.get_opcodes():
        for k in range(a0, a1):
            source = b0 + min(k - a0, max(b1 - b0 - 1, 0)) if b1 > b0 else max(b0 - 1, 0)
            mapped[k] = before_offsets[min(source, len(before) - 1)]
    return mapped


def normalise(text: str) -> Normalised:
    """Normalise ``text`` for matching; every output character keeps its original offset.

    Steps: mojibake fixed (where ftfy recognises it), invisible and bidi characters
    dropped, NFC per character cluster (NFKC for styled look-alike letters), runs of
    emoji collapsed to the first, spaces and tabs collapsed to one space, more than one
    blank line collapsed to one, and the whole stripped.
    """
    original_length = len(text)
    offsets = list(range(len(text)))
    if ftfy.badness.is_bad(text):
        text, offsets = _fix_mojibake(text, offsets)
    chars: list[str] = []
    char_starts: list[int] = []
    char_ends: list[int] = []
    previous_emoji = False
    newlines = 0
    position = 0
    for match in _CLUSTER.finditer(text):
        cluster = match.group()
        cluster_offsets = offsets[position:position + len(cluster)]
        origin = cluster_offsets[0]
        position += len(cluster)
        if cluster[0] in INVISIBLE:
            continue
        if _EMOJI.match(cluster):
            if previous_emoji:
                continue
            previous_emoji = True
        elif not cluster.isspace():
            previous_emoji = False
        if cluster.isspace():
            if cluster in ("\n", "\u2028", "\u2029"):
                newlines += 1
                if chars and chars[-1] == " ":
                    chars.pop()
                    char_starts.pop()
                    char_ends.pop()
                if newlines > 2 or not chars:
                    continue
                chars.append("\n")
                char_starts.append(origin)
                char_ends.append(origin + 1)
            elif cluster == "\r":
                continue
            elif chars and chars[-1] not in (" ", "\n"):
                chars.append(" ")
                char_starts.append(origin)
                char_ends.append(origin + 1)
            continue
        newlines = 0
        if _STYLED.match(cluster):
            changed = unicodedata.normalize("NFKC", cluster)
        elif not unicodedata.is_normalized("NFC", cluster):
            changed = unicodedata.normalize("NFC", cluster)
        else:
            changed = cluster
        chars.extend(changed)
        if changed == cluster:
            char_starts.extend(cluster_offsets)
            char_ends.extend(o + 1 for o in cluster_offsets)
        else:  # every character of a rewritten cluster stands for all of it
            char_starts.extend([origin] * len(changed))
            char_ends.extend([cluster_offsets[-1] + 1] * len(changed))
    while chars and chars[-1] in (" ", "\n"):
        chars.pop()
        char_starts.pop()
        char_ends.pop()
    return Normalised("".join(chars), tuple(char_starts), tuple(char_ends), original_length)
