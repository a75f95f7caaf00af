"""Contact channels and the employer as stated: phones (E.164), messaging handles, e-mails, URLs.

Phone numbers are found by ``phonenumbers`` under each plausible region in turn: the
source's country first, then the countries the text's languages and place names point
to. Digits in Bengali, Devanagari, Thai, Burmese, Khmer, Sinhala and Arabic-Indic
scripts, and digits spelt out as words in English, Malay and Indonesian, are read as
ASCII digits first (length-preserving, so offsets still point into the text).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers
import regex

from lurewatch.record import Contacts

# Countries whose local number formats matter, and where each language points.
LANGUAGE_REGIONS: dict[str, tuple[str, ...]] = {
    "ms": ("MY",), "id": ("ID",), "en": ("MY", "SG", "PH"), "zh": ("MY", "CN", "KH"),
    "ta": ("MY", "LK"), "bn": ("BD",), "ne": ("NP",), "my": ("MM", "TH"), "th": ("TH",),
    "vi": ("VN",), "km": ("KH",), "tl": ("PH",), "ur": ("PK",), "si": ("LK",),
}
DEFAULT_REGIONS = ("MY",)
_DIGIT_WORDS = {
    # English, Malay, Indonesian: read as digits when at least seven come in a row.
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
    "kosong": "0", "nol": "0", "satu": "1", "dua": "2", "tiga": "3", "empat": "4",
    "lima": "5", "enam": "6", "tujuh": "7", "lapan": "8", "delapan": "8", "sembilan": "9",
}
_DIGIT_WORD_RUN = regex.compile(
    r"\b(?:(?:" + "|".join(_DIGIT_WORDS) + r")[\s,.-]*){7,15}\b", regex.IGNORECASE
)
_EMAIL = regex.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})*\.[a-zA-Z]{2,24}")
_URL = regex.compile(
    r"(?:https?://|www\.)[^\s<>\"'()\[\]{}]{2,2000}|"
    r"\b(?:wa\.me|t\.me|telegram\.me|line\.me|bit\.ly|tinyurl\.com)/[^\s<>\"'()]{1,200}",
    regex.IGNORECASE,
)
_WA_LINK = regex.compile(
    r"(?:wa\.me/|api\.whatsapp\.com/send\?phone=|whatsapp\.com/send\?phone=)\+?(\d{6,15})",
    regex.IGNORECASE,
)
_TG_LINK = regex.compile(r"(?:t|telegram)\.me/([A-Za-z][A-Za-z0-9_]{3,31})", regex.IGNORECASE)
_LINE_LINK = regex.compile(r"line\.me/(?:ti/p/|R/ti/p/)?~?@?([\w.-]{2,40})", regex.IGNORECASE)
# "telegram: @x", "TG @x", "LINE ID: x", "WeChat: x", "微信：x", "VX x".
_HANDLE_AFTER = {
    "telegram": regex.compile(
        r"(?:telegram|tele|tg|เทเลแกรม|电报|飞机)\s*(?:id)?\s*[:：=\-]?\s*@?([A-Za-z][A-Za-z0-9_]{3,31})",
        regex.IGNORECASE,
    ),
    "line": regex.compile(
        r"\b(?:line|ไลน์)\s*(?:id)?\s*[:：=\-]\s*@?([\w.-]{2,40})|\bไลน์\s*@?([\w.-]{2,40})|"
        r"\bline\s+id\s+@?([\w.-]{2,40})",
        regex.IGNORECASE,
    ),
    "wechat": regex.compile(
        r"(?:wechat|weixin|微信|微信号|vx|wx)\s*(?:id)?\s*[:：=\-]?\s*([A-Za-z][\w-]{4,30})",
        regex.IGNORECASE,
    ),
}
_AT_HANDLE = regex.compile(r"(?<![\w.@])@([A-Za-z][A-Za-z0-9_]{4,31})\b")
_WHATSAPP_WORD = regex.compile(
    r"\b(?:whats\s?app|wasap|wassap|watsap|WA|W/A|วอทส์แอพ|ဝက်(?:စ)?အက်ပ်)\b|واٹس ایپ|হোয়াটসঅ্যাপ",
    regex.IGNORECASE,
)
# Quantifiers are bounded and possessive: a 100,000-letter "word" must not backtrack.
_EMPLOYER = regex.compile(
    r"\b(?:PT\.?|CV\.?)\s+(?:[A-Z][\w&'-]{0,30}+\s?){1,5}|"
    r"(?:[A-Z][\w&'.-]{0,30}+\s){1,5}(?:Sdn\.?\s?Bhd\.?|Bhd\.?|Pte\.?\s?Ltd\.?|Co\.,?\s?Ltd\.?|"
    r"Ltd\.?|Limited|Inc\.?|Corp\.?|Corporation|LLC|PLC|JSC|Company|Agency|Agencies|"
    r"Manpower|Services|Group|Hospital|Hotel|Resort)\b|"
    r"\p{Han}{2,12}(?:有限公司|集团)|"
    r"(?:Công ty|CÔNG TY)\s+(?:[\p{Lu}][\p{L}]{0,30}+\s?){1,6}|"
    r"บริษัท\s?[\p{Thai}A-Za-z ]{2,40}?จำกัด|"
    # Legal-form words in the other scripts of the region, after the name they end.
    r"[^\n,.;:!?]{2,40}?(?:লিমিটেড|प्रा\.\s?लि\.|लिमिटेड|لمیٹڈ|\(පුද්\) සමාගම|"
    r"ကုမ္ပဏီလီမိတက်|ឯ\.ក|Sdn\.? Bhd\.?)|"
    # A bare "company" word names an employer only as the last word of a line.
    r"[^\n,.;:!?۔]{2,40}?(?:کمپنی|ကုမ္ပဏီ|සමාගම)(?=\s*(?:$|\n|۔|။))|"
    r"(?m:^)ក្រុមហ៊ុន\s[^\n,.;:!?។]{2,40}"
)
_COMPANY_LABEL = regex.compile(
    r"(?:company|employer|syarikat|majikan|perusahaan|kumpulan|कम्पनी|কোম্পানি|公司)\s*[:：]\s*"
    r"([^\n,;|]{2,60})",
    regex.IGNORECASE,
)
MAX_CHARS = 100_000  # contacts are looked for in the first MAX_CHARS characters
MAX_PHONES = 50  # a post listing more numbers than this is a directory, not an ad


@dataclass(frozen=True)
class FoundContact:
    """One contact found in the text, with its offsets."""

    kind: str  # phone, whatsapp, telegram, line, wechat, email, url
    value: str
    start: int
    end: int


def ascii_digits(text: str) -> str:
    """``text`` with every decimal digit of any script replaced by its ASCII digit."""
    if text.isascii():
        return text
    return "".join(
        str(unicodedata.decimal(c)) if not c.isascii() and unicodedata.decimal(c, None) is not None
        else c
        for c in text
    )


def _spelt_digits_as_ascii(text: str) -> str:
    """Runs of digit words replaced by their digits, padded with spaces to the run's length."""

    def replace_run(match: regex.Match[str]) -> str:
        words = regex.findall(r"\p{L}+", match.group())
        digits = "".join(_DIGIT_WORDS[w.lower()] for w in words)
        return digits.ljust(len(match.group()))

    return _DIGIT_WORD_RUN.sub(replace_run, text)


def regions_for(country: str | None, languages: Iterable[str]) -> list[str]:
    """Regions to try for local numbers, most likely first."""
    regions: list[str] = [country] if country else []
    for language in languages:
        regions.extend(LANGUAGE_REGIONS.get(language, ()))
    regions.extend(DEFAULT_REGIONS)
    return list(dict.fromkeys(r.upper() for r in regions))


def _phones(text: str, regions: list[str]) -> list[FoundContact]:
    found: dict[tuple[int, int], FoundContact] = {}
    covered: set[int] = set()  # positions inside a number already found
    for region in regions:
        for match in phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.VALID, max_tries=200
        ):
            if match.start in covered or (match.end - 1) in covered:
                continue
            e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            found[(match.start, match.end)] = FoundContact("phone", e164, match.start, match.end)
            covered.update(range(match.start, match.end))
            if len(found) >= MAX_PHONES:
                return sorted(found.values(), key=lambda c: c.start)
    return sorted(found.values(), key=lambda c: c.start)


def find_contacts(
    text: str, country: str | None = None, languages: Iterable[str] = ()
) -> list[FoundContact]:
    """Every contact in ``text`` with offsets into ``text``.

    A phone within 25 characters after a WhatsApp mention (or in a ``wa.me`` link) is
    reported both as ``phone`` and as ``whatsapp``.
    """
    text = text[:MAX_CHARS]
    readable = _spelt_digits_as_ascii(ascii_digits(text))
    found: list[FoundContact] = []
    urls = [m for m in _URL.finditer(text)]
    emails = list(_EMAIL.finditer(text))
    for m in emails:
        found.append(FoundContact("email", m.group().lower(), m.start(), m.end()))
    for m in urls:
        url = m.group().rstrip(".,;:!?")
        found.append(FoundContact("url", url, m.start(), m.start() + len(url)))
    phones = _phones(readable, regions_for(country, languages))
    for run in _DIGIT_WORD_RUN.finditer(text):
        phones = [
            FoundContact(p.kind, p.value, run.start(), run.end())
            if run.start() <= p.start < run.end() else p
            for p in phones
        ]
    taken = {i for c in found for i in range(c.start, c.end)}  # inside e-mails and URLs
    whatsapp_mentions = [(m.start(), m.end()) for m in _WHATSAPP_WORD.finditer(text)]
    for phone in phones:
        if phone.start in taken:
            continue
        found.append(phone)
        # "WhatsApp: 012..." within 25 characters before, or "012... (WhatsApp)" right after.
        if any(0 <= phone.start - end <= 25 or 0 <= start - phone.end <= 3
               for start, end in whatsapp_mentions):
            found.append(FoundContact("whatsapp", phone.value, phone.start, phone.end))
    for m in _WA_LINK.finditer(readable):
        found.append(FoundContact("whatsapp", "+" + m.group(1), m.start(), m.end()))
    for m in _TG_LINK.finditer(text):
        found.append(FoundContact("telegram", "@" + m.group(1).lower(), m.start(), m.end()))
    for m in _LINE_LINK.finditer(text):
        found.append(FoundContact("line", m.group(1).lower(), m.start(), m.end()))
    email_spans = [(m.start(), m.end()) for m in emails] + [(m.start(), m.end()) for m in urls]
    for kind, pattern in _HANDLE_AFTER.items():
        for m in pattern.finditer(text):
            handle = next(g for g in m.groups() if g)
            if handle.lower() in ("id", "me", "whatsapp", "number", "only"):
                continue
            value = "@" + handle.lower() if kind == "telegram" else handle.lower()
            found.append(FoundContact(kind, value, m.start(), m.end()))
    for m in _AT_HANDLE.finditer(text):
        if any(s <= m.start() < e for s, e in email_spans):
            continue
        found.append(FoundContact("telegram", "@" + m.group(1).lower(), m.start(), m.end()))
    return found


def contacts_record(found: Iterable[FoundContact]) -> Contacts:
    """The record's :class:`Contacts` from what :func:`find_contacts` found."""
    fields: dict[str, list[str]] = {
        "phones": [], "whatsapp": [], "telegram": [], "line": [], "wechat": [], "emails": [],
        "urls": [],
    }
    names = {"phone": "phones", "email": "emails", "url": "urls"}
    for contact in found:
        bucket = fields[names.get(contact.kind, contact.kind)]
        if contact.value not in bucket:
            bucket.append(contact.value)
    return Contacts(**fields)


def find_employer(text: str) -> tuple[str, int, int] | None:
    """The employer as the ad names it (legal form or "Company:" label), with offsets."""
    labelled = _COMPANY_LABEL.search(text[:MAX_CHARS])
    if labelled:
        return labelled.group(1).strip(), labelled.start(1), labelled.end(1)
    named = _EMPLOYER.search(text[:MAX_CHARS])
    if named:
        return named.group().strip(), named.start(), named.start() + len(named.group().strip())
    return None
