"""The sector of a job ad: one fixed vocabulary from the page's own labels or the text."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers.rules import LexiconError
from classifiers.scoring import RuleScorer
from classifiers.sector import SECTORS_FILE, _SectorMatcher, sector_of, sector_under
from lurewatch.record import SECTORS, Ad, Label

# One line per language, as an ad would write it, and the sector it names.
NAMED = [
    ("ms", "Pekerja ladang kelapa sawit di Johor, gaji RM1,800", "agriculture"),
    ("id", "Dicari pembantu rumah tangga untuk keluarga di Kuala Lumpur", "domestic_work"),
    ("en", "Lorry driver wanted, class E licence, Pasir Gudang", "transport"),
    ("zh", "电子厂招普工，包吃包住，月薪四千", "manufacturing"),
    ("th", "รับสมัครคนงานก่อสร้าง ทำงานที่มาเลเซีย", "construction"),
    ("vi", "Tuyển thuyền viên tàu cá, đi biển 6 tháng", "fishing"),
    ("tl", "Hiring kasambahay sa Kuala Lumpur, may day off", "domestic_work"),
    ("bn", "মালয়েশিয়ায় কারখানা শ্রমিক প্রয়োজন", "manufacturing"),
    ("ne", "मलेसियामा ड्राइभर चाहियो, तलब राम्रो", "transport"),
    ("my", "မလေးရှား စက်ရုံ အလုပ်သမား ခေါ်ယူခြင်း", "manufacturing"),
    ("km", "ត្រូវការអ្នកលក់ទូរស័ព្ទ ២ នាក់", "retail_sales"),
    ("ta", "மலேசியாவில் உணவகம் வேலை, சமையல்காரர் தேவை", "hospitality_entertainment"),
    ("ur", "ملائیشیا میں فیکٹری ورکرز کی ضرورت", "manufacturing"),
    ("si", "මැලේසියාවේ හෙද රැකියා, වැඩිහිටි සත්කාර", "care"),
]


@pytest.mark.parametrize(("language", "text", "sector"), NAMED, ids=[n[0] for n in NAMED])
def test_the_text_names_the_sector_in_every_language(language: str, text: str,
                                                     sector: str) -> None:
    assert sector_of("", text) == sector


def test_the_page_s_own_label_comes_first() -> None:
    text = "Restaurant near the factory, waiters wanted"
    assert sector_of("", text, hint="Hospitality") == "hospitality_entertainment"
    assert sector_of("", text, hint="47-2061.00 Construction Laborers") == "construction"
    assert sector_of("", text, hint="care") == "care"  # already one of the vocabulary
    # A label that names none of them leaves the decision to the text.
    assert sector_of("", "Factory operators wanted", hint="Nhân viên") == "manufacturing"


def test_the_title_outweighs_a_mention_in_the_text() -> None:
    text = "Free transport to the factory gate. Apply at our restaurant office."
    assert sector_of("Cook wanted", text) == "hospitality_entertainment"
    assert sector_of("", text) == "manufacturing"  # a tie: the sector listed first


def test_job_ads_without_sector_words_are_other_and_other_texts_have_none() -> None:
    assert sector_of("We are hiring", "Apply now, salary RM2,000") is None
    assert sector_under(Label.legitimate, None) == "other"
    # The final label decides, not the rules' reading: a model that calls a text the rules
    # found no work in a job ad still gives it a sector (tests/lurewatch/test_demo.py).
    assert sector_under(Label.smuggling_offer, None) == "other"
    assert sector_under(Label.not_job_related, "manufacturing") == "manufacturing"
    assert sector_under(Label.not_job_related, "other") is None
    assert sector_under(Label.not_job_related, None) is None


def test_the_rule_scorer_gives_every_job_ad_a_sector_from_the_vocabulary() -> None:
    ads = [Ad(source="t", url=f"https://example.org/{i}", title="", text=text)
           for i, (_, text, _) in enumerate(NAMED)]
    ads.append(Ad(source="t", url="https://example.org/x", text="Hiring now, apply today"))
    scored = RuleScorer().score(ads)
    assert [ad.sector for ad in scored] == [s for _, _, s in NAMED] + ["other"]
    assert all(ad.sector in SECTORS for ad in scored)


def test_an_unknown_sector_in_the_word_list_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "sectors.yaml"
    broken.write_text(SECTORS_FILE.read_text(encoding="utf-8")
                      + "mining:\n  en: [miner]\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="unknown sector.*mining"):
        _SectorMatcher(broken)
