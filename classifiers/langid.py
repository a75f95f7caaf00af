"""Language identification for the fourteen languages of the region, code-switching included.

Chosen by measurement (``benchmarks/langid.py``, figures in ``docs/evidence.md``):

1. Script settles most languages: Myanmar, Khmer, Sinhala, Thai, Tamil, Bengali and
   Arabic (Urdu) scripts each belong to one language of the fourteen, Devanagari to
   Nepali, Han to Chinese.
2. Latin-script text (English, Malay, Indonesian, Vietnamese, Tagalog) goes to Lingua
   restricted to those five, which ships its models in the package.
3. Malay against Indonesian is then settled by spelling and vocabulary that differ
   between the two standards (``wang``/``uang``, ``syarikat``/``perusahaan``,
   ``boleh``/``bisa``...), weighed together with Lingua's confidences.

Links, e-mails, handles and channel names ("WhatsApp", "Telegram") are not language and
are left out. Code-switching: every line or sentence is identified on its own (pieces
under eight letters joined to the one before when in the same script); the main
language has the most letters (a Han character weighs three), the others present have
at least 5% of the letters or two pieces of their own. Malay and Indonesian count as
one language for "present", since single sentences of the pair are often ambiguous.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import regex
import yaml
from lingua import Language, LanguageDetector, LanguageDetectorBuilder

LANGUAGES: tuple[str, ...] = (
    "ms", "id", "en", "zh", "ta", "bn", "ne", "my", "th", "vi", "km", "tl", "ur", "si",
)
SCRIPT_LANGUAGE: dict[str, str] = {
    "Myanmar": "my",
    "Khmer": "km",
    "Sinhala": "si",
    "Thai": "th",
    "Tamil": "ta",
    "Bengali": "bn",
    "Devanagari": "ne",
    "Han": "zh",
    "Arabic": "ur",
}
# A letter or mark of each script: digits and signs of a script (Thai ๑, ฿) do not count.
_SCRIPT_LETTERS = {name: regex.compile(rf"(?=\p{{Script={name}}})[\p{{L}}\p{{M}}]")
                   for name in ("Latin", *SCRIPT_LANGUAGE)}
_LATIN_LINGUA: dict[Language, str] = {
    Language.ENGLISH: "en",
    Language.MALAY: "ms",
    Language.INDONESIAN: "id",
    Language.VIETNAMESE: "vi",
    Language.TAGALOG: "tl",
}


@functools.cache
def _pair_markers() -> tuple[frozenset[str], frozenset[str]]:
    """Words only Malay uses, and words only Indonesian uses (shared ones cancel out)."""
    path = Path(__file__).resolve().parent / "data" / "malay_indonesian.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    malay = frozenset(str(w).lower() for w in data["malay"])
    indonesian = frozenset(str(w).lower() for w in data["indonesian"])
    return malay - indonesian, indonesian - malay


_WORD = regex.compile(r"[\p{L}\p{M}]+")
# Not language: links, e-mails, handles and numbers are taken out before counting.
_NOT_LANGUAGE = regex.compile(
    r"(?:https?://|www\.)\S+|[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+|@\w+|"
    r"\b(?:wa|t)\.me/\S+",
    regex.IGNORECASE,
)
# A Han character carries about a word; letters of other scripts about a letter.
SCRIPT_WEIGHT = {"Han": 3.0}
# Brand and channel names written in Latin letters inside any language's text.
_LATIN_BRANDS = regex.compile(
    r"\b(?:whats\s?app|telegram|line|wechat|viber|zalo|messenger|facebook|inbox|pm|dm|"
    r"cv|hr|id|ic|rm|usd|ktv|gro|sdn|bhd|ltd|online)\b",
    regex.IGNORECASE,
)
_SEGMENT = regex.compile(r"[^\n.!?。！？।॥\u104B]+[.!?。！？।॥\u104B]*")
MAX_CHARS = 20_000  # longer text is identified on its first MAX_CHARS characters
MAX_SEGMENTS = 200
MIN_SEGMENT_LETTERS = 8  # weighted letters
PRESENT_SHARE = 0.05  # of the weighted letters, for a language to count as present


@dataclass(frozen=True)
class LanguageResult:
    """The main language of a text and every language present (main first)."""

    main: str | None
    present: list[str] = field(default_factory=list)


@functools.cache
def _latin_detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*_LATIN_LINGUA).build()


def script_counts(text: str) -> Counter[str]:
    """Letters (and combining marks) per script of interest (``Latin`` and the names in
    :data:`SCRIPT_LANGUAGE`). One scan per script in the regex engine: it runs several
    times per ad, and a Python loop over characters was most of language identification.
    Scripts come in the order they first appear: ties between them go to the first."""
    found = []
    for name, pattern in _SCRIPT_LETTERS.items():
        first = pattern.search(text)
        if first:
            found.append((first.start(), name, len(pattern.findall(text, first.start()))))
    return Counter({name: letters for _, name, letters in sorted(found)})


def _main_script(text: str) -> str | None:
    counts = script_counts(text)
    return max(counts, key=lambda n: counts[n] * SCRIPT_WEIGHT.get(n, 1.0)) if counts else None


def _weighted_letters(text: str) -> float:
    return sum(count * SCRIPT_WEIGHT.get(name, 1.0) for name, count in script_counts(text).items())


def malay_or_indonesian(text: str) -> str | None:
    """``ms`` or ``id`` by vocabulary that differs between the two, ``None`` if even."""
    malay_only, indonesian_only = _pair_markers()
    words = [w.lower() for w in _WORD.findall(text)]
    malay = sum(w in malay_only for w in words)
    indonesian = sum(w in indonesian_only for w in words)
    if malay == indonesian:
        return None
    return "ms" if malay > indonesian else "id"


def _latin_language(text: str) -> str | None:
    confidences = _latin_detector().compute_language_confidence_values(text)
    if not confidences:
        return None
    best = _LATIN_LINGUA[confidences[0].language]
    if best in ("ms", "id"):
        by_vocabulary = malay_or_indonesian(text)
        if by_vocabulary is not None:
            return by_vocabulary
    return best


def identify_segment(text: str) -> str | None:
    """The language of one short piece of text, or ``None`` when it has no letters."""
    without_brands = script_counts(_LATIN_BRANDS.sub(" ", text))
    if not without_brands or sum(without_brands.values()) < 3:
        return None  # nothing but channel names, codes and numbers
    counts = script_counts(text)
    if len(counts) > 1 and "Latin" in counts:
        # Channel names and currency codes in Latin letters do not make a text Latin-script.
        counts["Latin"] = without_brands["Latin"]
        counts = +counts
        if not counts:
            return None
    script = max(counts, key=lambda name: counts[name] * SCRIPT_WEIGHT.get(name, 1.0))
    if script == "Latin":
        return _latin_language(text)
    return SCRIPT_LANGUAGE[script]


def identify(text: str) -> LanguageResult:
    """Main language and languages present in ``text`` (ISO 639-1 codes of LANGUAGES)."""
    text = _NOT_LANGUAGE.sub(" ", text[:MAX_CHARS])
    letters: Counter[str] = Counter()  # weighted letter counts
    segments_per_language: Counter[str] = Counter()
    segments = [s.strip() for s in _SEGMENT.findall(text) if s.strip()][:MAX_SEGMENTS]
    # Fragments under MIN_SEGMENT_LETTERS say little on their own: fold them into the
    # one before when written in the same script.
    merged: list[str] = []
    for segment in segments:
        if merged and _weighted_letters(segment) < MIN_SEGMENT_LETTERS and \
                _main_script(segment) == _main_script(merged[-1]):
            merged[-1] += " " + segment
        else:
            merged.append(segment)
    for segment in merged:
        language = identify_segment(segment)
        if language is None:
            continue
        letters[language] += _weighted_letters(segment)
        segments_per_language[language] += 1
    if not letters:
        return LanguageResult(None, [])
    total = sum(letters.values())
    main = letters.most_common(1)[0][0]
    if main in ("ms", "id"):
        # The pair is settled on the whole text, where the vocabulary evidence adds up.
        main = malay_or_indonesian(text) or main
    # Segment-level Malay/Indonesian calls are noisy: the pair counts as one language.
    same_pair = {"ms", "id"} if main in ("ms", "id") else {main}
    others = [
        language for language, count in letters.most_common()
        if language not in same_pair
        and (count / total >= PRESENT_SHARE or segments_per_language[language] >= 2)
    ]
    return LanguageResult(main, [main, *others])
