"""The sector of a job ad, one of :data:`lurewatch.record.SECTORS`.

Views group ads by sector (the gender-by-sector chart, the Kibana sector chart), so every
job ad needs one from the same small vocabulary whatever its language or source. A page's
own structured data comes first (JSON-LD ``industry`` or ``occupationalCategory``, kept
by the extractor as the record's raw ``sector``); otherwise the words of
``data/sectors.yaml`` found in the title and text decide; a job ad that names none is
``other``, and a text that is not about work has no sector.
"""

from __future__ import annotations

import functools
from collections import Counter
from pathlib import Path

import spacy
import yaml
from spacy.matcher import PhraseMatcher

from classifiers.rules import MAX_CHARS, LexiconError, Tokenizer
from lurewatch.record import SECTORS, Label

SECTORS_FILE = Path(__file__).resolve().parent / "data" / "sectors.yaml"
TITLE_WEIGHT = 2  # a title names the job; the text also names the place, the boss, the perks


class _SectorMatcher:
    def __init__(self, path: Path) -> None:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
        if not isinstance(data, dict):
            raise LexiconError(f"{path.name}: expected a mapping of sectors")
        unknown = sorted(set(data) - set(SECTORS))
        if unknown:
            raise LexiconError(f"{path.name}: unknown sector(s) {', '.join(unknown)}")
        self.nlp = spacy.blank("xx")
        self.nlp.tokenizer = Tokenizer(self.nlp.vocab)
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.order = list(data)  # ties go to the sector listed first
        for sector, by_language in data.items():
            if not isinstance(by_language, dict):
                raise LexiconError(f"{path.name}: {sector}: expected phrases per language")
            phrases = [str(p).strip() for words in by_language.values() for p in words]
            self.matcher.add(sector, [self.nlp.make_doc(p) for p in phrases if p])

    def counts(self, text: str) -> Counter[str]:
        doc = self.nlp.make_doc(text[:MAX_CHARS])
        # Overlapping phrases ("construction" in "construction worker") count once.
        spans = self.matcher(doc, as_spans=True)
        return Counter(span.label_ for span in spacy.util.filter_spans(spans))

    def best(self, counts: Counter[str]) -> str | None:
        if not counts:
            return None
        return max(counts, key=lambda sector: (counts[sector], -self.order.index(sector)))


@functools.cache
def _matcher() -> _SectorMatcher:
    return _SectorMatcher(SECTORS_FILE)


def sector_of(title: str, text: str, *, hint: str | None = None) -> str | None:
    """The sector the ad names: ``hint`` (the page's own industry or occupation) when it
    is or names one, else the sector its title and text name most, else None."""
    matcher = _matcher()
    if hint:
        if hint in SECTORS:
            return hint
        named = matcher.best(matcher.counts(hint))
        if named:
            return named
    counts = matcher.counts(text)
    for sector, found in matcher.counts(title).items():
        counts[sector] += TITLE_WEIGHT * found
    return matcher.best(counts)


def sector_under(label: Label, named: str | None) -> str | None:
    """The sector a record keeps under its final label: a job ad that names none is
    ``other``; a text that is not about work keeps only a sector it names."""
    if label == Label.not_job_related:
        return named if named != "other" else None
    return named or "other"
