"""Every function on the scoring path takes any string: property-based tests with
hypothesis (mixed scripts, digits split by newlines, control characters, surrogates'
neighbours, huge posts), and a record that still makes a scorer fail costs only itself."""

from __future__ import annotations

import time
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifiers import contacts, langid, normalise, rules, salary
from classifiers.base import score_each
from classifiers.scoring import RuleScorer
from lurewatch.record import Ad

# Pieces that real ads in the region are made of, so the generated strings reach the
# code paths that matter (currencies, multipliers, scripts, phone shapes, messaging).
PIECES = ["RM", "Rp", "1", "300", "1\n300", "8 triệu", "月薪", "万", "บาท", "৳", "१२",
          "+60 12-345 6789", "wa.me/60123", "@kerja_my", "gaji", "工资", "passport", "ပတ်စ်ပို့",
          "ជាមួយ", "\u200b", "\u0000", "\ufeff", "\x1b[31m", "<script>", "&amp;", "\u202e",
          "😀", "\ue000", "-", "–", "~", "/", "k", "juta", "lakh", " ", "\n", "\t"]
mixed_text = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)),
                      max_size=40).map("".join)
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(mixed_text)
def test_salary_reads_any_string(text: str) -> None:
    for found in salary.find_salaries(text, "zh"):
        assert 0 <= found.start <= found.end <= len(text)
    salary.find_salary(text)


@FUZZ
@given(mixed_text, st.sampled_from([None, "MY", "ID", "TH", "BD", "zz"]))
def test_contacts_read_any_string(text: str, country: str | None) -> None:
    for found in contacts.find_contacts(text, country, ["ms", "en"]):
        assert 0 <= found.start <= found.end <= len(text)
    contacts.find_employer(text)


@FUZZ
@given(mixed_text)
def test_language_id_and_normalisation_read_any_string(text: str) -> None:
    result = langid.identify(text)
    assert result.main is None or isinstance(result.main, str)
    normalise.normalise(text)
    normalise.html_to_text(text)


@FUZZ
@given(mixed_text, st.sampled_from([None, "ms", "zh", "th", "my"]))
def test_rule_analysis_spans_point_into_the_text(text: str, lang: str | None) -> None:
    analysis = rules.analyse(text, lang, None)
    for indicator in analysis.indicators:
        for span in indicator.spans:
            assert 0 <= span.start <= span.end <= len(text)
            assert text[span.start:span.end] == span.text


def test_digits_split_by_a_newline_are_two_numbers() -> None:
    """A real Chinese ad crashed ``lurewatch classify`` with '1\\n300'."""
    found = salary.find_salaries("工资 1\n300元/月", "zh")
    assert [f.salary.amount_max for f in found] == [300.0]


@pytest.mark.slow
def test_a_ten_megabyte_post_is_scored_in_bounded_time() -> None:
    huge = ("Kerja kosong gaji RM8000 sebulan, tiada pengalaman. WhatsApp +60123456789. "
            * 140_000)[:10_000_000]
    started = time.perf_counter()
    [scored] = RuleScorer().score([Ad(source="t", url="https://example.org/huge", title="",
                                      text=huge)])
    assert time.perf_counter() - started < 60
    assert scored.risk_label is not None


class _FailsOnMarker:
    version = "test"

    def score(self, ads: Sequence[Ad]) -> list[Ad]:
        if any("BOOM" in ad.text for ad in ads):
            raise ValueError("cannot read this one")
        return [ad.model_copy(update={"model_version": "test"}) for ad in ads]


def test_a_record_that_fails_is_reported_and_the_rest_are_scored() -> None:
    ads = [Ad(source="t", url=f"https://example.org/{n}", title="", text=text)
           for n, text in enumerate(["fine", "BOOM", "also fine"])]
    scored, failures = score_each(_FailsOnMarker(), ads)
    assert [a.model_version if a else None for a in scored] == ["test", None, "test"]
    assert [(f.position, f.record_id) for f in failures] == [(1, ads[1].id)]
    assert "cannot read this one" in failures[0].error
