"""Rule evidence: spaCy matchers over per-language lexicons, plus structured checks.

The lexicons (``classifiers/lexicons/<lang>.yaml``) are data a domain expert reviews;
this module turns their phrases into spaCy ``PhraseMatcher`` / ``Matcher`` patterns.
Every language's phrases run on every text, so code-switched ads and wrong language
calls lose nothing. One tokenizer serves all fourteen languages: words in spaced
scripts, and one token per character (with its marks) in Thai, Chinese, Burmese and
Khmer, which are written without spaces, so phrases match there as character runs.

Public entry point for other scorers: :func:`find_evidence` (text in, indicators with
spans into that text out). :func:`analyse` returns everything the rule scorer needs.
"""

from __future__ import annotations

import functools
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import regex
import spacy
import yaml
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

from classifiers import contacts as contact_finder
from classifiers import salary as salary_finder
from classifiers.langid import LanguageResult, identify
from classifiers.normalise import Normalised, normalise
from lurewatch.record import INDICATORS, Indicator, Salary, Span

LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"
DATA_DIR = Path(__file__).resolve().parent / "data"
UNSPACED_SCRIPTS = r"\p{Han}\p{Thai}\p{Myanmar}\p{Khmer}\p{Lao}\p{Hiragana}\p{Katakana}"
_TOKEN = regex.compile(
    rf"[{UNSPACED_SCRIPTS}]\p{{M}}*|[^\s{UNSPACED_SCRIPTS}\p{{P}}\p{{S}}]+|\S",
)
_UNSPACED = regex.compile(rf"[{UNSPACED_SCRIPTS}]")
# Scripts of the lexicons with `word_endings: yes`.
_STEMMED_SCRIPTS = regex.compile(r"[\p{Devanagari}\p{Bengali}\p{Tamil}\p{Sinhala}]")
GAP_WORDS = 3  # a `*` in a phrase: up to this many words...
GAP_CHARS = 8  # ...or this many characters in scripts written without spaces
NEGATION_WINDOW = 3  # tokens before a phrase searched for a negation (x3 in unspaced scripts)
MAX_CHARS = 100_000  # evidence is looked for in the first MAX_CHARS characters
MESSAGING = ("whatsapp", "telegram", "line", "wechat")
SCAM_PLACE_WINDOW = 300  # characters between scam-type work and a scam-compound place


class LexiconError(ValueError):
    """A lexicon file that cannot be used; the message names the file and key."""


class Tokenizer:
    """Splits text for matching: words, punctuation, and single characters in unspaced scripts."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        tokens = list(_TOKEN.finditer(text))
        words = [t.group() for t in tokens]
        spaces = [t.end() < len(text) and text[t.end()].isspace() for t in tokens]
        doc = Doc(self.vocab, words=words, spaces=spaces)
        # The Doc's own text has one space per gap; these are the offsets in ``text``.
        doc.user_data["offsets"] = [(t.start(), t.end()) for t in tokens]
        return doc


@dataclass(frozen=True)
class Lexicon:
    language: str
    job_terms: tuple[str, ...]
    accountability: tuple[str, ...]
    negations: tuple[str, ...]
    negations_after: tuple[str, ...]
    scam_work: tuple[str, ...]
    indicators: dict[str, tuple[str, ...]]
    word_endings: bool


@dataclass(frozen=True)
class _LexiconNegations:
    before: frozenset[str]
    after: frozenset[str]


@dataclass(frozen=True)
class IndicatorWeight:
    strength: str
    weight: float
    crime: str


@dataclass
class Analysis:
    """What the rules found in one text; offsets are into the text given."""

    normalised: Normalised
    language: LanguageResult
    indicators: list[Indicator]
    contacts: list[contact_finder.FoundContact]
    salary: Salary | None
    employer: str | None
    job_related: bool
    accountable: bool
    notes: list[str] = field(default_factory=list)


def _read_yaml(path: Path) -> dict:
    try:
        # BaseLoader keeps every value a string: a reviewer's "no" or "on" stays a word.
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    except (OSError, yaml.YAMLError) as exc:
        raise LexiconError(f"{path.name}: cannot read: {exc}") from exc
    if not isinstance(data, dict):
        raise LexiconError(f"{path.name}: expected a mapping at the top level")
    return data


def _phrases(path: Path, data: dict, key: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise LexiconError(f"{path.name}: {key}: expected a list of phrases")
    return tuple(str(v).strip() for v in value if str(v).strip())


def load_lexicon(path: Path) -> Lexicon:
    """Read and check one language's lexicon file."""
    data = _read_yaml(path)
    indicators = data.get("indicators") or {}
    unknown = sorted(set(indicators) - set(INDICATORS))
    if unknown:
        raise LexiconError(f"{path.name}: indicators: unknown id(s) {', '.join(unknown)}")
    return Lexicon(
        language=str(data.get("language") or path.stem),
        job_terms=_phrases(path, data, "job_terms"),
        accountability=_phrases(path, data, "accountability"),
        negations=_phrases(path, data, "negations"),
        negations_after=_phrases(path, data, "negations_after"),
        scam_work=_phrases(path, data, "scam_work"),
        indicators={k: _phrases(path, indicators, k) for k in indicators},
        word_endings=str(data.get("word_endings", "no")).lower() in ("yes", "true"),
    )


@functools.cache
def lexicons() -> tuple[Lexicon, ...]:
    """Every language's lexicon, in file-name order."""
    return tuple(
        load_lexicon(path) for path in sorted(LEXICON_DIR.glob("*.yaml"))
        if path.stem not in ("indicators", "places")
    )


@functools.cache
def indicator_weights() -> dict[str, IndicatorWeight]:
    data = _read_yaml(LEXICON_DIR / "indicators.yaml")
    strengths = data["strengths"]
    return {
        name: IndicatorWeight(spec["strength"], float(strengths[spec["strength"]]), spec["crime"])
        for name, spec in data["indicators"].items()
    }


@functools.cache
def places() -> tuple[tuple[str, ...], dict[str, str]]:
    """Scam-compound places, and country name -> ISO code."""
    data = _read_yaml(LEXICON_DIR / "places.yaml")
    countries = {
        str(name).lower(): code for code, names in data["countries"].items() for name in names
    }
    return tuple(str(p) for p in data["scam_compound_places"]), countries


@functools.cache
def pay_norms() -> tuple[float, str, dict[str, float]]:
    data = _read_yaml(DATA_DIR / "pay_norms.yaml")
    return (
        float(data["flag_factor"]),
        str(data["default_country"]),
        {k: float(v) for k, v in data["low_skill_monthly_usd_top"].items()},
    )


def lexicon_version() -> str:
    """A short hash of every lexicon and data file the rules read."""
    digest = hashlib.sha256()
    for path in sorted([*LEXICON_DIR.glob("*.yaml"), DATA_DIR / "pay_norms.yaml",
                        DATA_DIR / "fx_rates.yaml"]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


class _Matchers:
    """All phrases of all lexicons compiled once into two spaCy matchers."""

    def __init__(self) -> None:
        self.nlp = spacy.blank("xx")
        self.nlp.tokenizer = Tokenizer(self.nlp.vocab)
        self.phrases = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.patterns = Matcher(self.nlp.vocab)
        # Stem patterns test a regular expression on every token, which is slow on long
        # texts: they get their own matcher, run only when a script that needs them occurs.
        self.stem_patterns = Matcher(self.nlp.vocab)
        # match key -> (language, kind, indicator or "", phrase)
        self.keys: dict[int, tuple[str, str, str, str]] = {}
        self.negations: dict[str, _LexiconNegations] = {}
        scam_places, _ = places()
        for lexicon in lexicons():
            self.negations[lexicon.language] = _LexiconNegations(
                frozenset(n.lower() for n in lexicon.negations),
                frozenset(n.lower() for n in lexicon.negations_after),
            )
            groups: list[tuple[str, str, tuple[str, ...]]] = [
                ("job", "", lexicon.job_terms),
                ("accountability", "", lexicon.accountability),
                ("scam_work", "", lexicon.scam_work),
                *[("indicator", ind, phrases) for ind, phrases in lexicon.indicators.items()],
            ]
            for kind, indicator, phrases in groups:
                for phrase in phrases:
                    self._add(lexicon.language, kind, indicator, phrase, lexicon.word_endings)
        for place in scam_places:
            # Place names take case endings in Bengali, Nepali, Tamil, Sinhala ("সিহানুকভিলে").
            self._add("places", "scam_place", "", place,
                      word_endings=bool(_STEMMED_SCRIPTS.search(place)))

    def _add(self, language: str, kind: str, indicator: str, phrase: str,
             word_endings: bool) -> None:
        key_name = f"{language}|{kind}|{indicator}|{phrase}"
        key = self.nlp.vocab.strings.add(key_name)
        self.keys[key] = (language, kind, indicator, phrase)
        last_word_open = word_endings and not _UNSPACED.search(phrase)
        if "*" not in phrase and not last_word_open:
            self.phrases.add(key_name, [self.nlp.make_doc(phrase)])
            return
        pattern: list[dict] = []
        for part_number, part in enumerate(phrase.split("*")):
            if part_number:
                gap = GAP_CHARS if _UNSPACED.search(phrase) else GAP_WORDS
                pattern.append({"OP": f"{{0,{gap}}}"})
            pattern.extend({"LOWER": token.lower_} for token in self.nlp.make_doc(part.strip()))
        if last_word_open and pattern and "LOWER" in pattern[-1]:
            # Words take endings in this language ("वर्ष" in "वर्षका"): the last word is a stem.
            stem = pattern[-1]["LOWER"]
            pattern[-1] = {"LOWER": {"REGEX": f"^{regex.escape(stem)}"}}
            self.stem_patterns.add(key_name, [pattern])
            return
        self.patterns.add(key_name, [pattern])

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        matches = list(self.phrases(doc)) + list(self.patterns(doc))
        if _STEMMED_SCRIPTS.search(doc.text):
            matches += list(self.stem_patterns(doc))
        return matches


@functools.cache
def matchers() -> _Matchers:
    return _Matchers()


_CLAUSE_END = regex.compile(r"[.!?;:,，、،。！？；।॥\u104A\u104B\u17D4\u17D5\u0DF4|]")


def _clause_window(doc: Doc, start: int, end: int, before: bool) -> str:
    """Lower-cased text of the few tokens before ``start`` (or after ``end``) in the clause."""
    window = NEGATION_WINDOW * (3 if _UNSPACED.match(doc[start].text) else 1)
    positions = range(start - 1, max(start - window, 0) - 1, -1) if before else range(
        end, min(end + window, len(doc)))
    tokens = []
    for position in positions:
        if _CLAUSE_END.fullmatch(doc[position].text):
            break
        tokens.append(doc[position].text.lower())
    if before:
        tokens.reverse()
    return " ".join(tokens) if not _UNSPACED.match(doc[start].text) else "".join(tokens)


def _negated(doc: Doc, start: int, end: int, lexicon: _LexiconNegations) -> bool:
    """A negation word just before (or, in verb-final languages, just after) the phrase."""
    before = _clause_window(doc, start, end, before=True)
    after = _clause_window(doc, start, end, before=False) if lexicon.after else ""
    return _contains_word(before, lexicon.before) or _contains_word(after, lexicon.after)


def _contains_word(window: str, words: frozenset[str]) -> bool:
    if not window:
        return False
    tokens = set(window.split())
    return any(w in tokens or (len(w) > 1 and (" " in w or _UNSPACED.search(w)) and w in window)
               for w in words)


def _span(normalised: Normalised, source: str, start: int, end: int) -> Span:
    original_start, original_end = normalised.to_original(start, end)
    return Span(start=original_start, end=original_end, text=source[original_start:original_end])


def _outermost(spans: list[Span]) -> list[Span]:
    """Spans not contained in another one, in text order."""
    ordered = sorted(spans, key=lambda s: (s.start, -s.end))
    kept: list[Span] = []
    for span in ordered:
        if kept and span.start >= kept[-1].start and span.end <= kept[-1].end:
            continue
        kept.append(span)
    return kept


def _destination_country(text: str, country: str | None, salary: Salary | None) -> str:
    _, names = places()
    lowered = text.lower()
    mentioned = [(lowered.find(name), code) for name, code in names.items() if name in lowered]
    mentioned = [(pos, code) for pos, code in mentioned if pos >= 0]
    if mentioned:
        return min(mentioned)[1]
    if country:
        return country.upper()
    currency_country = {
        "MYR": "MY", "IDR": "ID", "THB": "TH", "VND": "VN", "PHP": "PH", "KHR": "KH",
        "MMK": "MM", "BDT": "BD", "NPR": "NP", "PKR": "PK", "LKR": "LK", "SGD": "SG",
        "CNY": "CN",
    }
    if salary and salary.currency in currency_country:
        return currency_country[salary.currency]
    return pay_norms()[1]


def analyse(
    text: str, lang: str | None = None, country: str | None = None,
    employer: str | None = None,
) -> Analysis:
    """Everything the rules find in ``text``; every span's offsets point into ``text``.
    ``employer`` is the one the page itself names (JSON-LD ``hiringOrganization``): an
    ad whose page names its employer is not ``employer_unnamed`` for lack of it in the
    text."""
    source = text
    normalised = normalise(text[:MAX_CHARS])
    clean = normalised.text
    language = identify(clean)
    if lang:
        language = LanguageResult(lang, [lang, *[x for x in language.present if x != lang]])
    doc = matchers().nlp.make_doc(clean)
    offsets = doc.user_data["offsets"]
    found: dict[str, list[tuple[Span, str]]] = defaultdict(list)
    job_related = False
    accountable = False
    scam_work: list[tuple[int, int]] = []
    scam_places: list[tuple[int, int]] = []
    no_negations = _LexiconNegations(frozenset(), frozenset())
    english = matchers().negations.get("en", no_negations)
    # Job and accountability words count only in the languages the text is written in
    # (Malay "mohon" is "apply", Indonesian "mohon maaf" is "sorry").
    written_in = {*language.present, "en"}
    if written_in & {"ms", "id"}:
        written_in |= {"ms", "id"}
    for key, start, end in sorted(matchers()(doc), key=lambda m: (m[1], m[2])):
        language_code, kind, indicator, phrase = matchers().keys[key]
        char_start, char_end = offsets[start][0], offsets[end - 1][1]
        own = matchers().negations.get(language_code, no_negations)
        negations = _LexiconNegations(own.before | english.before, own.after)
        if kind in ("job", "accountability") and language_code not in written_in:
            continue
        if kind == "job":
            job_related = True
        elif kind == "accountability":
            accountable = True
        elif kind == "scam_work":
            scam_work.append((char_start, char_end))
        elif kind == "scam_place":
            scam_places.append((char_start, char_end))
        elif not _negated(doc, start, end, negations):
            found[indicator].append(
                (_span(normalised, source, char_start, char_end), f"{language_code}:{phrase}")
            )
    contacts = contact_finder.find_contacts(clean, country, language.present)
    salary_found = salary_finder.find_salary(clean, language.main)
    employer_found = contact_finder.find_employer(clean)
    notes: list[str] = []

    # Structured checks: what single phrases cannot show.
    stated_pay = salary_found.salary if salary_found else None
    destination = _destination_country(clean, country, stated_pay)
    if job_related and salary_found and salary_found.salary.monthly_usd is not None:
        factor, _, norms = pay_norms()
        norm = norms.get(destination)
        if norm and salary_found.salary.monthly_usd > factor * norm:
            found["unrealistic_pay"].append((
                _span(normalised, source, salary_found.start, salary_found.end),
                f"check:pay {salary_found.salary.monthly_usd:.0f} USD/month > "
                f"{factor} x {norm:.0f} normal in {destination}",
            ))
    messaging = [c for c in contacts if c.kind in MESSAGING]
    other_channels = [c for c in contacts if c.kind in ("email",)] + [
        c for c in contacts if c.kind == "url" and not regex.search(
            r"wa\.me|t\.me|telegram\.me|line\.me|whatsapp", c.value, regex.IGNORECASE)
    ]
    smuggling = any(found.get(i) for i in ("no_passport_needed", "border_crossing_arranged",
                                           "forged_documents"))
    if (job_related or smuggling) and messaging and not other_channels and not employer_found \
            and not accountable:
        for contact in messaging:
            found["private_messaging_only"].append((
                _span(normalised, source, contact.start, contact.end),
                f"check:only {contact.kind} contact, no company named",
            ))
    # A licence or statutory contributions make a recruiter accountable but do not name
    # the employer; an e-mail or website does give a way to find it.
    if job_related and not smuggling and not (employer_found or employer) \
            and not other_channels:
        found["employer_unnamed"].append((
            Span(start=0, end=0, text=""), "check:no company, address or licence named"
        ))
    for work_start, work_end in scam_work:
        near = [p for p in scam_places if abs(p[0] - work_start) <= SCAM_PLACE_WINDOW]
        for place_start, place_end in near:
            found["scam_compound_pattern"].append((
                _span(normalised, source, min(work_start, place_start), max(work_end, place_end)),
                "check:scam-type work near a scam-compound place",
            ))
    weights = indicator_weights()
    indicators = [
        Indicator(
            id=indicator,
            score=weights[indicator].weight,
            source="rule",
            rule="; ".join(dict.fromkeys(rule for _, rule in hits)),
            spans=_outermost([s for s, _ in hits if s.end > s.start]),
        )
        for indicator, hits in found.items()
    ]
    indicators.sort(key=lambda i: (-i.score, i.id))
    return Analysis(
        normalised=normalised,
        language=language,
        indicators=indicators,
        contacts=[
            contact_finder.FoundContact(c.kind, c.value, *normalised.to_original(c.start, c.end))
            for c in contacts
        ],
        salary=salary_found.salary if salary_found else None,
        employer=employer_found[0] if employer_found else None,
        job_related=job_related,
        accountable=accountable,
        notes=notes,
    )


def find_evidence(text: str, lang: str | None = None, country: str | None = None
                  ) -> list[Indicator]:
    """Rule indicators in ``text`` (source ``rule``), spans as offsets into ``text``.

    For scorers that combine rules with a model: each indicator carries its weight as
    ``score`` (strong 0.45, medium 0.25, weak 0.10, see ``lexicons/indicators.yaml``),
    the lexicon phrases or checks that fired as ``rule``, and the spans that show it
    (``employer_unnamed`` shows an absence and has no span). ``lang`` overrides the
    detected main language; ``country`` (ISO code of the source) guides phone and pay
    checks.
    """
    return analyse(text, lang, country).indicators
