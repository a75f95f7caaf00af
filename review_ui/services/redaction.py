"""Redacted referrals: a case's records with every contact of a person, and the names
the record structurally gives of one, replaced by a pseudonym of the case.

A value is found by the contact finder (``classifiers.contacts``: its spans, so a phone
written "012-345 6789" is replaced where it stands) and in the record's own ``contacts``;
then every form of it seen anywhere in the case is replaced in every text the export
carries (title, text, earlier versions, notes, decision notes, URLs). The same value is
the same pseudonym in every record, so links between ads stay visible. Employers are
kept: they are not people, and a partner agency needs them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

import regex

from classifiers.contacts import find_contacts
from lurewatch.record import Ad, Contacts, Indicator, Span
from review_ui.appdb.work import Note
from review_ui.services.exports import CaseRecord

# The contact finder's kinds, and the record's contact fields, as pseudonym kinds: a
# WhatsApp number is a phone, so it meets the same number given as a phone.
PSEUDONYM_KIND = {"phone": "phone", "phones": "phone", "whatsapp": "phone",
                  "telegram": "handle", "line": "handle", "wechat": "handle",
                  "email": "email", "emails": "email", "url": "url", "urls": "url"}
CONTACT_FIELDS = ("phones", "whatsapp", "telegram", "line", "wechat", "emails", "urls")

Assign = Callable[[Sequence[tuple[str, str]]], dict[tuple[str, str], str]]


@dataclass(frozen=True)
class Edit:
    """A stretch ``[start, end)`` of a string and what replaces it."""

    start: int
    end: int
    replacement: str


@dataclass
class _Found:
    """What the case holds to pseudonymise: ``(kind, value)`` in order of first sight, and
    each written form (span text, normalised value, name) with its key."""

    keys: list[tuple[str, str]] = field(default_factory=list)
    forms: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add(self, kind: str, value: str, written: str = "") -> None:
        if not value.strip():  # an empty form would match between every two letters
            return
        key = (kind, value)
        if key not in self.keys:
            self.keys.append(key)
        self.forms.setdefault(value.casefold(), key)
        # "telegram: @x" as a form of its own would take the word "telegram" with it;
        # where the value stands whole in what was written, the value alone is enough.
        if written.strip() and not _whole([value]).search(written):
            self.forms.setdefault(written.casefold(), key)


def _whole(forms: Iterable[str]) -> regex.Pattern[str]:
    """Any of ``forms``, in any case, the longest first (so "+60 12-345 6789" is taken
    whole, not around "12-345 6789"), never inside a longer word (so a short LINE id
    does not eat a word it is part of)."""
    alternatives = "|".join(regex.escape(f) for f in sorted(forms, key=len, reverse=True))
    return regex.compile(rf"(?<!\w)(?:{alternatives})(?!\w)",
                         regex.IGNORECASE | regex.FULLCASE)


def _languages(ad: Ad) -> list[str]:
    return ad.languages_present or ([ad.language] if ad.language else [])


def _texts(item: CaseRecord) -> Iterable[str]:
    """Every free text of ``item`` an export carries."""
    ad = item.record
    yield from (ad.title, ad.text, ad.url, *ad.images)
    for version in ad.versions:
        yield from (version.title, version.text)
    yield from (d.note for d in ad.decisions)
    yield from (n.text for n in item.notes)


def _collect(items: Sequence[CaseRecord]) -> _Found:
    found = _Found()
    for item in items:
        ad = item.record
        for name in CONTACT_FIELDS:
            for value in getattr(ad.contacts, name):
                found.add(PSEUDONYM_KIND[name], value)
        # The only person the record schema names: whom a post was forwarded from.
        if ad.forwarded_from:
            found.add("name", ad.forwarded_from)
        # A post's id on its platform names the account it is on ("channel/123", a
        # Mastodon status URI), so it goes whole, like the record's URL.
        if ad.post_id:
            found.add("post", ad.post_id)
        for text in _texts(item):
            for contact in find_contacts(text, ad.country, _languages(ad)):
                found.add(PSEUDONYM_KIND[contact.kind], contact.value,
                          text[contact.start:contact.end])
    return found


class Redactor:
    """Replaces every form of a case's contacts in a string by its pseudonym."""

    def __init__(self, found: _Found, pseudonyms: dict[tuple[str, str], str]) -> None:
        self.pseudonyms = {form: pseudonyms[key] for form, key in found.forms.items()}
        self.pattern = _whole(self.pseudonyms) if self.pseudonyms else None

    def edits(self, text: str) -> list[Edit]:
        """Where ``text`` names a contact of the case, in order, never overlapping."""
        if self.pattern is None:
            return []
        return [Edit(m.start(), m.end(), self.pseudonyms[m.group().casefold()])
                for m in self.pattern.finditer(text)]

    def text(self, text: str) -> str:
        return _apply(text, self.edits(text))

    def texts(self, values: Iterable[str]) -> list[str]:
        return [self.text(value) for value in values]

    def ad(self, ad: Ad) -> Ad:
        edits = self.edits(ad.text)
        text = _apply(ad.text, edits)
        contacts = Contacts(**{name: self.texts(getattr(ad.contacts, name))
                               for name in CONTACT_FIELDS})
        return ad.model_copy(update={
            "title": self.text(ad.title), "text": text, "url": self.text(ad.url),
            "images": self.texts(ad.images), "contacts": contacts,
            "forwarded_from": self.text(ad.forwarded_from) if ad.forwarded_from else None,
            "post_id": self.text(ad.post_id) if ad.post_id else None,
            "location": self.text(ad.location) if ad.location else None,
            "salary": ad.salary.model_copy(update={"text": self.text(ad.salary.text)})
            if ad.salary else None,
            "indicators": [_moved_indicator(i, edits, text) for i in ad.indicators],
            "versions": [v.model_copy(update={"title": self.text(v.title),
                                              "text": self.text(v.text)})
                         for v in ad.versions],
            "decisions": [d.model_copy(update={"note": self.text(d.note)})
                          for d in ad.decisions],
        })

    def note(self, note: Note) -> Note:
        return replace(note, text=self.text(note.text))


def _apply(text: str, edits: Sequence[Edit]) -> str:
    parts, at = [], 0
    for edit in edits:
        parts += [text[at:edit.start], edit.replacement]
        at = edit.end
    return "".join(parts) + text[at:]


def _moved(offset: int, edits: Sequence[Edit], *, is_end: bool) -> int:
    """Where ``offset`` into the original text lies in the redacted one; inside a replaced
    stretch it moves to the pseudonym's start (a span's start) or end (a span's end)."""
    shift = 0
    for edit in edits:
        if edit.end <= offset:
            shift += len(edit.replacement) - (edit.end - edit.start)
        elif edit.start < offset:
            return edit.start + shift + (len(edit.replacement) if is_end else 0)
        else:
            break
    return offset + shift


def _moved_indicator(indicator: Indicator, edits: Sequence[Edit], text: str) -> Indicator:
    """``indicator`` with its evidence spans pointing into the redacted ``text``."""
    spans = []
    for span in indicator.spans:
        start = _moved(span.start, edits, is_end=False)
        end = max(start, _moved(span.end, edits, is_end=True))
        spans.append(Span(start=start, end=end, text=text[start:end]))
    return indicator.model_copy(update={"spans": spans})


def redact_case(items: Sequence[CaseRecord], assign: Assign) -> list[CaseRecord]:
    """``items`` with their contacts pseudonymised; ``assign`` gives (and keeps) the
    case's pseudonym of each ``(kind, value)``."""
    found = _collect(items)
    redactor = Redactor(found, assign(found.keys))
    return [CaseRecord(redactor.ad(item.record), [redactor.note(n) for n in item.notes])
            for item in items]
