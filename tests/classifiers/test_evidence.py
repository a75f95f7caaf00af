"""Evidence: normalisation, language id, contacts, salaries, rule indicators, the rule
scorer and the classify/evaluate commands, hostile text included."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifiers import rules
from classifiers.base import Scorer
from classifiers.contacts import ascii_digits, contacts_record, find_contacts, find_employer
from classifiers.data.recipe import written_items
from classifiers.labelled import LabelledSetError, read_labelled
from classifiers.langid import LANGUAGES, identify
from classifiers.normalise import html_to_text, normalise
from classifiers.salary import find_salary
from classifiers.scoring import RuleScorer, load_scorer
from lurewatch.config import load_settings
from lurewatch.record import INDICATORS, Ad, Label

# --- normalisation --------------------------------------------------------------------


def test_normalise_maps_every_character_back_to_the_original() -> None:
    original = "Ｗｈａｔｓ\u200bApp  only!!  😀😀😀💰\n\n\n\nPay\u00a0fe\u0301e  \u202eRM3k\u202c"
    result = normalise(original)
    assert result.text == "WhatsApp only!! 😀\n\nPay fée RM3k"
    for needle in ("WhatsApp", "fée", "RM3k", "only"):
        start = result.text.index(needle)
        o_start, o_end = result.to_original(start, start + len(needle))
        assert normalise(original[o_start:o_end]).text == needle


def test_normalise_fixes_mojibake_and_keeps_offsets() -> None:
    original = "Gaji lumayan â€“ kerja Ã  Kuala Lumpur"
    result = normalise(original)
    assert "â€“" not in result.text and "–" in result.text
    start = result.text.index("Kuala")
    assert original[slice(*result.to_original(start, start + 5))] == "Kuala"


def test_html_to_text_keeps_paragraphs_and_drops_scripts() -> None:
    html = ("<html><head><style>p{}</style></head><body><h1>Hiring</h1><p>Salary <b>RM3k</b>"
            "</p><script>alert(1)</script><ul><li>EPF</li><li>SOCSO</li></ul></body></html>")
    text = html_to_text(html)
    assert text.startswith("Hiring\n\nSalary RM3k")
    assert "alert" not in text and "EPF" in text and "SOCSO" in text


# --- language id ----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("အလုပ်ခေါ်စာ - စက်ရုံတွင် ဝန်ထမ်းများ ခေါ်ယူမည်။", "my"),
    ("ត្រូវការបុគ្គលិកលក់ សម្រាប់ហាងទំនិញ", "km"),
    ("කොළඹ කාර්යාලයට ගිණුම් ලිපිකරුවෙකු අවශ්‍යයි", "si"),
    ("รับสมัครพนักงานขายหน้าร้าน", "th"),
    ("मलेसियामा कारखानाको काम", "ne"),
    ("招聘会计文员一名，办公室位于吉隆坡。", "zh"),
    ("Jawatan kosong kerani, sila hantar resume ke pejabat kami", "ms"),
    ("Lowongan kerja staf admin, silakan kirim lamaran ke kantor kami", "id"),
    ("Cần tuyển nhân viên phục vụ, lương 8 triệu/tháng", "vi"),
    ("Kailangan ng kasambahay sa Maynila, may sahod at day off", "tl"),
])
def test_identify_main_language(text: str, expected: str) -> None:
    assert identify(text).main == expected


def test_identify_reports_code_switching_and_ignores_channel_names() -> None:
    mixed = identify(
        "急聘网络客服，月薪八千美元，包吃包住。\n公司在西港。\nContact us on Telegram now please.")
    assert mixed.main == "zh" and "en" in mixed.present
    only_handle = identify("សូមទាក់ទងមកយើងខ្ញុំ Telegram @kangar_job")
    assert only_handle.present == ["km"]
    assert identify("😀😀 +60 12-345 6789").main is None


# --- contacts -------------------------------------------------------------------------


def test_contacts_in_local_formats_and_other_scripts() -> None:
    text = ("WA 012-345 6789, wa.me/60198765432, Telegram: @jobs_asia99, LINE ID: happyjob88, "
            "微信: vx_abc123, hr@abc.com.my, www.abc.com.my, ০১৭১১-২৩৪৫৬৭, ๐๘๑-๒๓๔-๕๖๗๘, "
            "၀၉ ၇၈၁ ၂၃၄ ၅၆၇, ९८४१२३४५६७, call zero one two three four five six seven eight nine")
    found = find_contacts(text, None, ["ms", "bn", "th", "my", "ne"])
    contacts = contacts_record(found)
    assert {"+60123456789", "+8801711234567", "+66812345678", "+959781234567",
            "+9779841234567"} <= set(contacts.phones)
    assert "+60123456789" in contacts.whatsapp and "+60198765432" in contacts.whatsapp
    assert contacts.telegram == ["@jobs_asia99"]
    assert contacts.line == ["happyjob88"] and contacts.wechat == ["vx_abc123"]
    assert contacts.emails == ["hr@abc.com.my"]
    for contact in found:  # offsets point at the contact in the text
        assert text[contact.start:contact.end].strip()
    bengali = next(c for c in found if c.value == "+8801711234567")
    assert text[bengali.start:bengali.end] == "০১৭১১-২৩৪৫৬৭"


def test_ascii_digits_and_employer() -> None:
    assert ascii_digits("৫০,০০০ ๑๒ ၃ ४") == "50,000 12 3 4"
    assert find_employer("Hiring now. ABC Manpower Sdn Bhd, Johor")[0] == "ABC Manpower Sdn Bhd"
    employer = find_employer("Dicari staf. PT Maju Jaya Abadi membuka lowongan")
    assert employer and employer[0].startswith("PT Maju")
    assert find_employer("Good job, good pay, call me") is None


# --- salaries -------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "lang", "low", "high", "currency", "period"), [
    ("Gaji RM3k sebulan", "ms", 3000, 3000, "MYR", "month"),
    ("Gaji Rp 3.5 juta/bulan", "id", 3_500_000, 3_500_000, "IDR", "month"),
    ("বেতন 50,000 taka মাসে", "bn", 50_000, 50_000, "BDT", "month"),
    ("salary 1 lakh", "ne", 100_000, 100_000, "NPR", "month"),
    ("Salary RM1,800 - RM2,500 per month", "en", 1800, 2500, "MYR", "month"),
    ("Gaji RM 150 sehari", "ms", 150, 150, "MYR", "day"),
    ("lương 8 triệu/tháng", "vi", 8_000_000, 8_000_000, "VND", "month"),
    ("月薪8000美元", "zh", 8000, 8000, "USD", "month"),
    ("เงินเดือน ๒๕,๐๐๐ บาท", "th", 25_000, 25_000, "THB", "month"),
    ("Sahod ₱610 kada araw", "tl", 610, 610, "PHP", "day"),
    ("earn $1,500/month", "en", 1500, 1500, "USD", "month"),
])
def test_salary_forms(text: str, lang: str, low: float, high: float, currency: str,
                      period: str) -> None:
    found = find_salary(text, lang)
    assert found is not None
    salary = found.salary
    assert (salary.amount_min, salary.amount_max, salary.currency, salary.period) == (
        low, high, currency, period)
    assert salary.monthly_usd and salary.monthly_usd > 0


def test_prices_and_fees_are_not_salaries() -> None:
    assert find_salary("Selling my Honda City, RM38,000 negotiable", "en") is None
    assert find_salary("Processing fee RM2,500 must be paid", "en") is None


def test_lengths_of_time_near_a_pay_word_are_not_salaries() -> None:
    # A real 58.com ad: its monthly working hours once read as pay of 360 an hour.
    assert find_salary("月工时280-360小时，工资待遇优厚", "zh") is None
    assert find_salary("Work 8 hours, salary RM1700", "en").salary.amount_max == 1700
    assert find_salary("工资 20元/小时", "zh").salary.period == "hour"  # a currency: pay
    assert find_salary("gaji 300 sehari", "ms").salary.period == "day"  # "per day": pay


def test_an_employer_named_by_the_page_is_not_unnamed() -> None:
    text = "Kerja kilang, gaji RM1800 sebulan, hubungi kami."
    assert "employer_unnamed" in {i.id for i in rules.analyse(text, "ms").indicators}
    named = rules.analyse(text, "ms", employer="Syarikat Maju Sdn Bhd")
    assert "employer_unnamed" not in {i.id for i in named.indicators}


# --- rule indicators ------------------------------------------------------------------


def _ids(text: str, lang: str | None = None) -> set[str]:
    return {i.id for i in rules.find_evidence(text, lang)}


@pytest.mark.parametrize(("text", "indicator", "evidence"), [
    ("Passport will be kept by the company for safekeeping.", "passport_retained",
     "Passport will be kept"),
    ("Yuran pemprosesan RM2,000 perlu dibayar dahulu.", "worker_pays_fees", "Yuran pemprosesan"),
    ("Berangkat pakai visa turis dulu, izin kerja menyusul.", "tourist_visa_work", "visa turis"),
    ("护照由公司统一保管。", "passport_retained", "护照由公司"),
    ("บริษัทจะเก็บพาสปอร์ตไว้ให้", "passport_retained", "เก็บพาสปอร์ต"),
    ("ပတ်စပို့ကို ကုမ္ပဏီက သိမ်းထားမည်။", "passport_retained", "ပတ်စပို့ကို ကုမ္ပဏီက သိမ်း"),
    ("លិខិតឆ្លងដែនថ្មីឈ្មោះថ្មី រួចក្នុង ៧ ថ្ងៃ។", "forged_documents", "លិខិតឆ្លងដែនថ្មីឈ្មោះថ្មី"),
    ("१६ वर्षका पनि आवेदन दिन सक्छन्।", "minors_targeted", "१६ वर्षका"),
    ("পাসপোর্ট ছাড়া মালয়েশিয়া যেতে চান?", "no_passport_needed", "পাসপোর্ট ছাড়া"),
    ("Hộ chiếu sẽ do công ty giữ.", "passport_retained", "Hộ chiếu sẽ do công ty giữ"),
])
def test_phrases_match_in_every_script_with_exact_spans(text: str, indicator: str,
                                                        evidence: str) -> None:
    found = {i.id: i for i in rules.find_evidence(text)}
    assert indicator in found
    span = found[indicator].spans[0]
    assert text[span.start:span.end] == evidence == span.text


def test_unspaced_scripts_match_inside_longer_runs() -> None:
    # No spaces around the phrase: character-level matching must still find it.
    assert "passport_retained" in _ids("工作轻松护照由公司统一保管包吃包住")
    assert "border_crossing_arranged" in _ids("พาข้ามแดนทางป่ามีคนพาข้ามชายแดนทุกวัน")


def test_negation_turns_a_fee_phrase_around() -> None:
    assert "worker_pays_fees" not in _ids("Licensed agency. No placement fee charged.")
    assert "worker_pays_fees" in _ids("Placement fee RM3,000 paid by worker before departure.")
    assert "worker_pays_fees" not in _ids("ဝန်ဆောင်ခ မယူပါ။")


def test_structured_checks_pay_messaging_and_scam_destination() -> None:
    found = {i.id: i for i in rules.find_evidence(
        "Online customer service job in Sihanoukville. Salary USD 3,000 per month. "
        "WhatsApp only +60 12-345 6789")}
    assert {"unrealistic_pay", "private_messaging_only", "scam_compound_pattern",
            "employer_unnamed"} <= set(found)
    assert found["unrealistic_pay"].spans[0].text == "USD 3,000 per month"
    assert "KH" in (found["unrealistic_pay"].rule or "")


@pytest.mark.parametrize("text", [
    "Hiring production operators for Sunrise Electronics Sdn Bhd, Penang. Salary RM2,000 - "
    "RM2,400 per month, EPF and SOCSO. WhatsApp 012-345 6789 for interview.",
    "Overseas job: caregivers for nursing homes in Japan through a licensed agency (JTKSM "
    "licence no. 1234). No placement fee charged to workers. Employer pays visa and air "
    "ticket. WhatsApp +60 12-345 6789 or email hr@asiacare.com.my.",
    "Lowongan kerja operator produksi PT Elektrindo Jaya Abadi di Cikarang, gaji Rp 5 juta "
    "per bulan, BPJS. Kirim lamaran via WhatsApp 0812-3456-7890.",
    "Selling my Honda City 2016, RM38,000 negotiable. WhatsApp 012-345 6789.",
])
def test_phone_salary_or_overseas_alone_do_not_flag(text: str) -> None:
    scored = RuleScorer().score([Ad(source="t", url="https://x.test/1", text=text)])[0]
    assert scored.risk_label in (Label.legitimate, Label.not_job_related)


def test_lexicons_cover_every_language_and_reject_unknown_ids(tmp_path: Path) -> None:
    languages = {lexicon.language for lexicon in rules.lexicons()}
    assert languages == set(LANGUAGES)
    for lexicon in rules.lexicons():
        assert set(lexicon.indicators) <= set(INDICATORS)
    assert set(rules.indicator_weights()) == set(INDICATORS)
    bad = tmp_path / "xx.yaml"
    bad.write_text("language: xx\nindicators:\n  made_up_id: [foo]\n", encoding="utf-8")
    with pytest.raises(rules.LexiconError, match="xx.yaml.*made_up_id"):
        rules.load_lexicon(bad)


# --- scorer ---------------------------------------------------------------------------


def test_rule_scorer_fills_the_record() -> None:
    scorer = RuleScorer()
    assert isinstance(scorer, Scorer) and scorer.version.startswith("rules-")
    text = ("URGENT! Kerja kilang di Thailand. Yuran pemprosesan RM2,000 dibayar dahulu. "
            "Pasport akan disimpan oleh majikan. WhatsApp sahaja: 012-345 6789")
    ad = Ad(source="t", url="https://x.test/2", text=text)
    scored = scorer.score([ad])[0]
    assert scored.risk_label == Label.deceptive_recruitment
    assert scored.language == "ms" and scored.model_version == scorer.version
    assert scored.contacts.whatsapp == ["+60123456789"]
    assert 0 < scored.risk_score <= 1
    for indicator in scored.indicators:
        assert indicator.source == "rule"
        for span in indicator.spans:
            assert text[span.start:span.end] == span.text
    assert ad.risk_label is None  # the input is not changed


def test_smuggling_offer_is_its_own_label() -> None:
    text = ("Nak masuk Malaysia tanpa pasport? Jalan tikus melalui hutan, orang kami bawa "
            "lintas sempadan. Harga RM4,000 seorang. Telegram @jalan_selamat")
    scored = RuleScorer().score([Ad(source="t", url="https://x.test/3", text=text)])[0]
    assert scored.risk_label == Label.smuggling_offer


@pytest.mark.slow
def test_rules_on_independently_written_ads_meet_their_measured_floor() -> None:
    """The formal written data (w1) was written after the lexicons, by a writer who never
    saw them: measured 2026-12-03, rules alone rank it at AUC 0.78 with flagged precision
    0.75, recall 0.48 and 10% of negatives flagged (docs/model.md). The floors sit a
    little under those figures, so a lexicon change that costs real precision fails."""
    from classifiers.evaluation import metrics, run_scorer

    items = written_items(("w1",))
    overall = metrics(run_scorer(RuleScorer(), items), "rules")["overall"]
    assert overall["risk_auc"] >= 0.72
    assert overall["flagged_precision"] >= 0.68
    assert overall["flagged_recall"] >= 0.4
    assert overall["negative_flag_rate"] <= 0.14


# --- hostile text ---------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "😀" * 5000,
    "\u200b\u200c\u200d\u2060\ufeff" * 2000,
    "\u202e\u202dRM3k\u202c\u200f gaji \u200e" * 500,
    "Jawatan 招聘 รับสมัคร အလုပ် ការងារ রোজগার ملازمت 💰 " * 300,
    "",
    "\x00\x01\x02 \ud7ff \U0010ffff",
])
def test_hostile_text_is_handled(text: str) -> None:
    ad = Ad(source="t", url="https://x.test/h", text=text)
    scored = RuleScorer().score([ad])[0]
    assert scored.risk_label is not None
    for indicator in scored.indicators:
        for span in indicator.spans:
            assert 0 <= span.start <= span.end <= len(text)
            assert text[span.start:span.end] == span.text


@pytest.mark.parametrize("unit", [
    "Kerja kilang, gaji RM3k. Passport will be kept by the company. WhatsApp only "
    "012-345 6789. 急聘客服 护照由公司统一保管 ",
    "A",  # one 100,000-letter word: no regular expression may backtrack over it
    "0123456789 ",  # ten thousand phone-like numbers
    "ก",  # 100,000 characters of an unspaced script, one token each
    "পাসপোর্ট ছাড়া মালয়েশিয়া ০১৭১১-২৩৪৫৬৭ ",
])
def test_hundred_thousand_characters_in_bounded_time(unit: str) -> None:
    text = (unit * (100_000 // len(unit) + 1))[:100_000]
    scorer = RuleScorer()
    scorer.score([Ad(source="t", url="https://x.test/w", text="warm up")])
    started = time.process_time()
    scored = scorer.score([Ad(source="t", url="https://x.test/big", text=text)])[0]
    assert time.process_time() - started < 20  # 1-3 s of CPU each on this machine
    assert scored.risk_label is not None


# --- commands -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def _app():  # noqa: ANN202  imported late: the CLI mounts every component
    from lurewatch.cli import load_commands
    app = load_commands()

    return app


def test_classify_command(tmp_path: Path, runner: CliRunner) -> None:
    texts = [
        "Passport will be kept by the company. Processing fee RM2,500. WhatsApp only 012-345 6789",
        "护照由公司统一保管。\u200b需先缴交手续费。",
    ]
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"id": "a", "text": texts[0]}) + "\n{not json\n" + json.dumps([1]) + "\n"
        + json.dumps({"id": "b", "text": texts[1], "lang": "zh", "title": "x"}, ensure_ascii=False)
        + "\n", encoding="utf-8")
    target = tmp_path / "out.jsonl"
    result = runner.invoke(_app(), ["classify", "--input", str(source), "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert "line 2:" in result.output and "line 3:" in result.output
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"]
    # The promoted model with the rules once the default model is built, else the rules.
    version = load_scorer(load_settings()).version
    for row, text in zip(rows, texts, strict=True):
        assert row["label"] == "deceptive_recruitment" and 0 < row["score"] <= 1
        assert row["model_version"] == version
        for indicator in row["indicators"]:
            for span in indicator["evidence"]:
                assert text[span["start"]:span["end"]] == span["text"]
    missing = runner.invoke(_app(), ["classify", "--input", str(tmp_path / "nope.jsonl"),
                                     "--output", str(target)])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    assert len(missing.output.strip().splitlines()) == 1


def test_evaluate_command(tmp_path: Path, runner: CliRunner) -> None:
    items = written_items(("w1",))
    subset = tmp_path / "subset.jsonl"
    subset.write_text("".join(item.model_dump_json() + "\n" for item in items[::40]),
                      encoding="utf-8")
    out = tmp_path / "report.json"
    result = runner.invoke(_app(), ["evaluate", "--data", str(subset), "--json", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert set(report["per_label"]) == {label.value for label in Label}
    assert {"precision", "recall", "f1"} <= set(report["per_label"]["legitimate"])
    assert report["per_language"] and report["per_indicator"]
    assert "Per language" in result.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n', encoding="utf-8")
    failed = runner.invoke(_app(), ["evaluate", "--data", str(bad)])
    assert failed.exit_code == 2 and "bad.jsonl:1" in failed.output
    with pytest.raises(LabelledSetError):
        read_labelled(tmp_path / "missing.jsonl")
