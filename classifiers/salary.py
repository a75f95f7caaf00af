"""Salaries as stated: amount or range, currency, period, and a monthly figure in USD.

Reads the forms ads in the region use: ``RM3k``, ``RM1,800 - RM2,500 sebulan``,
``Rp 3.5 juta/bulan``, ``50,000 taka``, ``1 lakh``, ``8 triệu/tháng``, ``月薪8000``,
``เงินเดือน 25,000 บาท``, ``$1,500/month``. Currency signs that are ambiguous (``$``,
``Rs``) or absent are settled from the language. Monthly USD uses the dated rate table
``classifiers/data/fx_rates.yaml`` and, for the promise an ad makes, the top of a range.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import regex
import yaml

from classifiers.contacts import ascii_digits
from lurewatch.record import Salary

DATA_DIR = Path(__file__).resolve().parent / "data"

# Currency words and signs -> ISO code. Longest alternatives are tried first.
CURRENCIES: dict[str, str] = {
    "rm": "MYR", "myr": "MYR", "ringgit": "MYR", "令吉": "MYR", "马币": "MYR",
    "rp": "IDR", "idr": "IDR", "rupiah": "IDR",
    "tk": "BDT", "bdt": "BDT", "taka": "BDT", "টাকা": "BDT", "৳": "BDT",
    "npr": "NPR", "रु": "NPR", "रुपैयाँ": "NPR", "रूपैयाँ": "NPR",
    "thb": "THB", "฿": "THB", "บาท": "THB", "baht": "THB", "泰铢": "THB",
    "vnd": "VND", "₫": "VND", "đồng": "VND", "vnđ": "VND", "đ": "VND",
    "php": "PHP", "₱": "PHP", "piso": "PHP", "pesos": "PHP", "peso": "PHP",
    "usd": "USD", "us$": "USD", "dollars": "USD", "美元": "USD", "美金": "USD", "ดอลลาร์": "USD",
    "ඩොලර්": "USD", "डलर": "USD", "ដុល្លារ": "USD", "ဒေါ်လာ": "USD", "ডলার": "USD",
    "டாலர்": "USD", "ڈالر": "USD",
    "sgd": "SGD", "s$": "SGD", "新币": "SGD",
    "mmk": "MMK", "kyat": "MMK", "ကျပ်": "MMK", "သိန်း": "MMK",
    "khr": "KHR", "riel": "KHR", "៛": "KHR", "រៀល": "KHR",
    "lkr": "LKR", "රු": "LKR", "රුපියල්": "LKR",
    "pkr": "PKR", "روپے": "PKR", "روپیہ": "PKR",
    "rmb": "CNY", "cny": "CNY", "人民币": "CNY", "元": "CNY", "块": "CNY",
    "aed": "AED", "dirham": "AED", "sar": "SAR", "riyal": "SAR",
    "rs": "RS", "rs.": "RS", "inr": "INR", "₹": "INR", "ரூ": "RS", "ரூபாய்": "RS",
    "$": "$",
}
# What "$", "Rs" and a bare number mean in each language.
LANGUAGE_CURRENCY: dict[str, str] = {
    "ms": "MYR", "id": "IDR", "en": "MYR", "zh": "MYR", "ta": "MYR", "bn": "BDT", "ne": "NPR",
    "my": "MMK", "th": "THB", "vi": "VND", "km": "USD", "tl": "PHP", "ur": "PKR", "si": "LKR",
}
RUPEE_BY_LANGUAGE = {"ne": "NPR", "ur": "PKR", "si": "LKR", "ta": "LKR", "bn": "BDT"}
MULTIPLIERS: dict[str, float] = {
    "k": 1e3, "rb": 1e3, "ribu": 1e3, "thousand": 1e3, "ribu rupiah": 1e3, "ngàn": 1e3,
    "nghìn": 1e3, "千": 1e3, "พัน": 1e3, "हजार": 1e3, "হাজার": 1e3, "ہزار": 1e3, "ထောင်": 1e3,
    "ពាន់": 1e3, "දහස": 1e3, "ஆயிரம்": 1e3, "libo": 1e3,
    "หมื่น": 1e4, "万": 1e4, "萬": 1e4, "သောင်း": 1e4, "មុឺន": 1e4,
    "lakh": 1e5, "lakhs": 1e5, "lac": 1e5, "লাখ": 1e5, "लाख": 1e5, "لاکھ": 1e5, "แสน": 1e5,
    "သိန်း": 1e5, "ලක්ෂ": 1e5, "லட்சம்": 1e5, "សែន": 1e5,
    "m": 1e6, "mil": 1e6, "million": 1e6, "juta": 1e6, "jt": 1e6, "triệu": 1e6, "tr": 1e6,
    "ล้าน": 1e6, "百万": 1e6, "milyon": 1e6, "លាន": 1e6, "মিলিয়ন": 1e6,
}
PERIODS: dict[str, str] = {
    "hour": "hour", "hr": "hour", "jam": "hour", "sejam": "hour", "giờ": "hour", "小时": "hour",
    "时": "hour", "ชั่วโมง": "hour", "oras": "hour", "ঘণ্টা": "hour", "घण्टा": "hour",
    "day": "day", "daily": "day", "hari": "day", "sehari": "day", "harian": "day",
    "ngày": "day", "天": "day", "日": "day", "日薪": "day", "วัน": "day", "วันละ": "day",
    "araw": "day", "দৈনিক": "day", "দিনে": "day", "दैनिक": "day", "दिन": "day", "روزانہ": "day",
    "ရက်": "day", "ថ្ងៃ": "day", "දිනකට": "day", "நாள்": "day",
    "week": "week", "weekly": "week", "minggu": "week", "seminggu": "week", "tuần": "week",
    "周": "week", "สัปดาห์": "week", "linggo": "week",
    "month": "month", "monthly": "month", "mo": "month", "bulan": "month", "sebulan": "month",
    "bulanan": "month", "tháng": "month", "月": "month", "月薪": "month", "เดือน": "month",
    "buwan": "month", "buwanang": "month", "মাসে": "month", "মাসিক": "month", "মাস": "month",
    "महिना": "month", "मासिक": "month", "महिनाको": "month", "ماہانہ": "month", "مہینہ": "month",
    "လ": "month", "လစာ": "month", "ខែ": "month", "මාසික": "month", "மாதம்": "month",
    "மாத": "month", "year": "year", "annual": "year", "tahun": "year", "setahun": "year",
    "năm": "year", "年": "year", "年薪": "year", "ปี": "year", "taon": "year",
}
# Periods that are also plain units of time: right after a bare number, with no currency
# and no "per" between, they count hours, days or months ("月工时280-360小时", "8 hours a
# shift", "3 bulan training"), not pay. The others ("sehari", "monthly", "日薪") say "per".
TIME_UNITS = frozenset({
    "hour", "hr", "jam", "giờ", "小时", "时", "ชั่วโมง", "oras", "ঘণ্টা", "घण्टा",
    "day", "hari", "ngày", "天", "日", "วัน", "araw", "दिन", "ရက်", "ថ្ងៃ", "நாள்",
    "week", "minggu", "tuần", "周", "สัปดาห์", "linggo",
    "month", "mo", "bulan", "tháng", "月", "เดือน", "buwan", "মাস", "महिना", "مہینہ", "လ",
    "ខែ", "மாதம்", "year", "tahun", "năm", "年", "ปี", "taon",
})
SALARY_WORDS = (
    "salary|gaji|pay|wage|income|upah|lương|thu nhập|薪|月薪|工资|收入|待遇|เงินเดือน|รายได้|"
    "月入|sahod|sweldo|kumita|বেতন|আয়|तलब|तनख्वाह|कमाइ|تنخواہ|کمائیں|လစာ|ប្រាក់ខែ|រកបាន|වැටුප|"
    "උපයන්න|சம்பளம்|சம்பாதிக்க|earn|kiếm|penghasilan|pendapatan"
)


def _alternation(words: object) -> str:
    return "|".join(regex.escape(w) for w in sorted(words, key=len, reverse=True))  # type: ignore[arg-type]


# Thousands are grouped by commas, dots or spaces within a line, never across lines: a
# "1" and a "300" on two lines are two numbers.
_GROUP = "[,. \u00a0\u202f]"
_NUMBER = rf"\d{{1,3}}(?:{_GROUP}\d{{3}})+(?:\.\d+)?|\d+(?:[.,]\d+)?"
_CURRENCY = _alternation(CURRENCIES)
_MULTIPLIER = _alternation(MULTIPLIERS)
_AMOUNT = (
    rf"(?:(?P<cur@>{_CURRENCY})\s?)?(?P<num@>{_NUMBER})\s?"
    rf"(?:(?P<mul@>{_MULTIPLIER})(?![\p{{Latin}}]))?\s?(?P<curafter@>{_CURRENCY})?"
)
_SALARY = regex.compile(
    _AMOUNT.replace("@", "1")
    + r"(?:\s?(?:-|–|~|to|hingga|sampai|hanggang|đến|至|到|ถึง|থেকে|देखि|سے)\s?"
    + _AMOUNT.replace("@", "2") + r")?"
    + r"(?:\s?(?P<per>/|per|a|an|se|sa|kada|bawat|一|每|ต่อ|প্রতি|प्रति)?\s?"
    + rf"(?P<period>{_alternation(PERIODS)}))?",
    regex.IGNORECASE,
)
_SALARY_WORD = regex.compile(SALARY_WORDS, regex.IGNORECASE)
MAX_CHARS = 20_000  # the salary is looked for in the first MAX_CHARS characters


@dataclass(frozen=True)
class FoundSalary:
    salary: Salary
    start: int
    end: int
    stated_as_pay: bool  # a pay word just before it, or a period after it (not a price)


@functools.cache
def fx_table() -> tuple[str, dict[str, float]]:
    """(as-of date, units per USD) from the committed rate table."""
    data = yaml.safe_load((DATA_DIR / "fx_rates.yaml").read_text(encoding="utf-8"))
    return str(data["as_of"]), {k: float(v) for k, v in data["per_usd"].items()}


def _number(raw: str) -> float:
    raw = regex.sub("[ \u00a0\u202f]", "", raw)
    if regex.fullmatch(r"\d{1,3}(?:[,.]\d{3})+", raw):
        return float(raw.replace(",", "").replace(".", ""))
    if regex.fullmatch(r"\d{1,3}(?:,\d{3})+\.\d+", raw):
        return float(raw.replace(",", ""))
    return float(raw.replace(",", "."))


def _resolve_currency(token: str | None, language: str | None) -> str | None:
    if not token:
        return None
    code = CURRENCIES.get(token.lower(), CURRENCIES.get(token))
    if code == "$":
        return "USD"
    if code == "RS":
        return RUPEE_BY_LANGUAGE.get(language or "", "NPR")
    return code


def monthly_usd(amount: float, currency: str, period: str | None) -> float | None:
    """``amount`` of ``currency`` per ``period`` as US dollars per month."""
    rate = fx_table()[1].get(currency)
    if rate is None:
        return None
    per_month = {"hour": 8 * 26, "day": 26, "week": 4.33, "month": 1, "year": 1 / 12}
    return round(amount / rate * per_month[period or "month"], 2)


def find_salaries(text: str, language: str | None = None) -> list[FoundSalary]:
    """Salary mentions in ``text``: those with a currency, or a number near a pay word."""
    text = ascii_digits(text[:MAX_CHARS])
    pay_words = [(m.start(), m.end()) for m in _SALARY_WORD.finditer(text)]
    found: list[FoundSalary] = []
    for m in _SALARY.finditer(text):
        if not any(m.group(f"num{i}") for i in (1,)):
            continue
        currency_token = m.group("cur1") or m.group("curafter1") or m.group("cur2") \
            or m.group("curafter2")
        # "Salary RM3k", or "$3000 a month earned" in verb-final languages.
        near_pay_word = any(0 <= m.start() - end <= 30 or 0 <= start - m.end() <= 15
                            for start, end in pay_words)
        multiplier = m.group("mul1") or m.group("mul2")
        if not currency_token and not near_pay_word:
            continue
        if not currency_token and not multiplier and not m.group("per") and \
                (m.group("period") or "").lower() in TIME_UNITS:
            continue  # a length of time near a pay word, not an amount of money
        if not currency_token and not multiplier and not m.group("period") and \
                _number(m.group("num1")) < 100:
            continue
        low = _number(m.group("num1")) * MULTIPLIERS.get((m.group("mul1") or "").lower(), 1)
        high = low
        if m.group("num2"):
            high = _number(m.group("num2")) * MULTIPLIERS.get(
                (m.group("mul2") or m.group("mul1") or "").lower(), 1)
            # "RM2-3k": the multiplier after the range applies to both ends.
            if not m.group("mul1") and m.group("mul2"):
                low *= MULTIPLIERS[m.group("mul2").lower()]
        currency = _resolve_currency(currency_token, language) or LANGUAGE_CURRENCY.get(
            language or "")
        period_word = (m.group("period") or "").lower()
        period = PERIODS.get(period_word, PERIODS.get(m.group("period") or ""))
        low, high = min(low, high), max(low, high)
        usd = monthly_usd(high, currency, period) if currency else None
        salary = Salary(
            text=m.group().strip(), amount_min=low, amount_max=high, currency=currency,
            period=period or "month", monthly_usd=usd,
        )
        found.append(FoundSalary(salary, m.start(), m.start() + len(m.group().rstrip()),
                                 near_pay_word or bool(m.group("period"))))
    return found


def find_salary(text: str, language: str | None = None) -> FoundSalary | None:
    """The ad's headline salary: the highest monthly figure stated as pay.

    Amounts without a pay word before them or a period after them (fees, prices) are
    not salaries.
    """
    found = [f for f in find_salaries(text, language) if f.stated_as_pay]
    with_usd = [f for f in found if f.salary.monthly_usd is not None]
    if with_usd:
        return max(with_usd, key=lambda f: f.salary.monthly_usd or 0.0)
    return found[0] if found else None
