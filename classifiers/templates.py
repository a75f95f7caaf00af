"""A near-duplicate cluster's shared template and the slots that vary between its ads.

The first ad of the cluster is the base. Every other member is aligned with it token by
token (``difflib``); base tokens that some member replaces, drops or inserts text next
to are *varying*, and each maximal run of varying tokens becomes one slot. Investigators
see the fixed text once and, per slot, the values the recruiter rotated through (the
cities, salaries, phone numbers and names of a templated campaign).

Tokens are words in spaced scripts and single grapheme clusters in Chinese, Japanese,
Thai, Lao, Khmer and Burmese, so a slot in an unspaced script is as narrow as the change.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

import regex

from classifiers.cluster import ad_text, fold_text
from index.base import Store
from lurewatch.record import Ad

MAX_MEMBERS = 50  # aligning more adds little to what the slots show
MAX_TOKENS = 2_000
_UNSPACED = r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]"
_TOKEN = regex.compile(rf"(?={_UNSPACED})\X|(?:(?!{_UNSPACED})[\w\p{{M}}])+|\s+|\X")
_JOINERS = frozenset(",.-/:")
# Emoji, pictographs, variation selectors, zero-width characters: not content.
_DECORATION = frozenset({"So", "Sk", "Cf", "Mn", "Me"})
_PHONE = regex.compile(r"^\+?[\d\s()./-]{7,20}$")
_MONEY = regex.compile(
    r"(?i)(rm|usd|us\$|\$|sgd|idr|rp|thb|php|₱|฿|บาท|美金|美元|元|令吉|dollar|ringgit|baht)"
)
_NUMBER = regex.compile(r"^[\d\s.,]+$")
SLOT_KINDS = ("phone", "salary", "number", "place", "employer", "text")


def tokens(text: str) -> list[str]:
    """Words, whitespace runs and punctuation; one grapheme per token in unspaced scripts."""
    return _TOKEN.findall(text)[:MAX_TOKENS]


def _comparison_key(token: str) -> str:
    """What alignment compares: the clustering's script-neutral folding, so case, width,
    diacritics and simplified/traditional differences are not slots; "" for decoration."""
    if token.isspace():
        return " "
    if all(unicodedata.category(c) in _DECORATION for c in token) or "\ufe0f" in token:
        return ""
    return fold_text(token) or unicodedata.normalize("NFKC", token).casefold()


def _content(text: str) -> tuple[list[str], list[str]]:
    """The tokens of ``text`` that carry content, and their comparison keys."""
    kept: list[tuple[str, str]] = []
    for token in tokens(text):
        key = _comparison_key(token)
        # Once decoration is gone, a run of spaces and line breaks is one separator.
        if key and not (key == " " and (not kept or kept[-1][1] == " ")):
            kept.append((token, key))
    return [t for t, _ in kept], [k for _, k in kept]


@dataclass(frozen=True)
class Slot:
    """One place where the cluster's ads differ, and what each said there."""

    name: str
    kind: str
    # Distinct values, most used first, with how many members used each.
    values: dict[str, int]


@dataclass(frozen=True)
class ClusterTemplate:
    cluster_id: str | None
    base_record_id: str
    members: int
    # The fixed text with ``{slot1}``, ``{slot2}``… where the ads differ; braces in the
    # text are doubled, so ``template.format(slot1=…)`` gives an ad back.
    template: str
    slots: list[Slot]

    def to_dict(self) -> dict[str, object]:
        return {"cluster_id": self.cluster_id, "base_record_id": self.base_record_id,
                "members": self.members, "template": self.template,
                "slots": [{"name": s.name, "kind": s.kind, "values": s.values}
                          for s in self.slots]}


def _alignment(base: list[str], other: list[str]
               ) -> tuple[set[int], list[int], list[int]]:
    """Base tokens ``other`` changes, and where each base token starts / ends in ``other``."""
    varying: set[int] = set()
    starts = [0] * (len(base) + 1)
    ends = [0] * (len(base) + 1)
    opcodes = SequenceMatcher(None, base, other, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, _ in opcodes:
        if tag == "equal":
            for k in range(i2 - i1 + 1):
                starts[i1 + k] = ends[i1 + k] = j1 + k
    for tag, i1, i2, j1, j2 in opcodes:  # changes override the equal blocks' edges
        if tag == "equal":
            continue
        if i1 == i2:  # an insertion: the base token before it (or after, at the start) varies
            i1, i2 = (i1 - 1, i1) if i1 > 0 else (0, 1)
            if i2 > len(base):
                continue  # an empty base: everything is inserted, handled by the caller
            starts[i1] = min(starts[i1], j1)
            ends[i2] = max(ends[i2], j2)
        else:
            starts[i1], ends[i2] = j1, j2
        varying.update(range(i1, i2))
    return varying, starts, ends


def _runs(varying: set[int], base: list[str]) -> list[tuple[int, int]]:
    """Maximal runs of varying tokens; a space or a separator inside a number or phone
    (``RM3{,}500``, ``12{-}345``) between two varying tokens joins them."""
    runs: list[tuple[int, int]] = []
    for i in sorted(varying):
        gap = base[i - 1] if runs and runs[-1][1] == i - 1 else ""
        if runs and (runs[-1][1] == i or gap.isspace() or gap in _JOINERS):
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs


def _slot_kind(values: Sequence[str], members: Sequence[Ad]) -> str:
    stripped = [v.strip().rstrip(".。,，;:!！") for v in values if v.strip()]
    if not stripped:
        return "text"
    places = {p.casefold() for m in members for p in (m.location, m.country) if p}
    employers = {m.employer.casefold() for m in members if m.employer}
    checks = (
        ("phone", lambda v: bool(_PHONE.match(v)) and sum(c.isdigit() for c in v) >= 7),
        ("salary", lambda v: bool(_MONEY.search(v)) and any(c.isdigit() for c in v)),
        ("number", lambda v: bool(_NUMBER.match(v)) and any(c.isdigit() for c in v)),
        ("place", lambda v: any(v.casefold() in p or p in v.casefold() for p in places)),
        ("employer", lambda v: any(v.casefold() in e for e in employers)),
    )
    for kind, fits in checks:
        if all(fits(v) for v in stripped):
            return kind
    return "text"


def _escaped(fixed: list[str]) -> str:
    return "".join(fixed).replace("{", "{{").replace("}", "}}")


def cluster_template(ads: Sequence[Ad]) -> ClusterTemplate:
    """The template of a cluster's ads (oldest first is best: the first is the base)."""
    if not ads:
        raise ValueError("a template needs at least one ad")
    members = list(ads[:MAX_MEMBERS])
    base, base_keys = _content(ad_text(members[0]))
    aligned = []
    for member in members[1:]:
        other, other_keys = _content(ad_text(member))
        aligned.append((other, *_alignment(base_keys, other_keys)))
    varying = set().union(*(a[1] for a in aligned)) if aligned else set()
    if not base and aligned:
        return ClusterTemplate(members[0].cluster_id, members[0].id, len(ads), "{slot1}", [
            Slot("slot1", "text", dict(Counter("".join(a[0]) for a in aligned)))])
    runs = _runs(varying, base)
    pieces: list[str] = []
    slots: list[Slot] = []
    done = 0
    for start, end in runs:
        values = ["".join(base[start:end])]
        values += ["".join(other[starts[start]:ends[end]]) for other, _, starts, ends in aligned]
        counts = Counter(unicodedata.normalize("NFKC", v).strip() for v in values)
        if len(counts) == 1:
            continue  # differed only in spacing or decoration: part of the template
        pieces.append(_escaped(base[done:start]))
        name = f"slot{len(slots) + 1}"
        pieces.append("{" + name + "}")
        slots.append(Slot(name, _slot_kind(values, members), dict(counts.most_common())))
        done = end
    pieces.append(_escaped(base[done:]))
    return ClusterTemplate(members[0].cluster_id, members[0].id, len(ads), "".join(pieces),
                           slots)


def stored_cluster_template(store: Store, cluster_id: str) -> ClusterTemplate | None:
    """The template of a stored near-duplicate cluster, None when it has no members."""
    hits = store.pivot("cluster", cluster_id, size=MAX_MEMBERS).hits
    return cluster_template([hit.record for hit in hits]) if hits else None
