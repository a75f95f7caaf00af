"""The learned rule/model combination and the span widening the explanations use."""

from __future__ import annotations

import numpy as np

from classifiers.scoring import RuleScorer
from classifiers.transformer.combiner import FEATURES, LABELS, Combiner, features, fit
from classifiers.transformer.explain import MAX_SPAN_CHARS, whole_words
from lurewatch.record import Ad


def _rows(seed: int, count: int) -> tuple[np.ndarray, list[str]]:
    """Synthetic feature rows whose model log-probabilities point at their label."""
    rng = np.random.default_rng(seed)
    gold = [LABELS[i % len(LABELS)] for i in range(count)]
    rows = rng.normal(0, 0.3, (count, len(FEATURES)))
    for row, label in enumerate(gold):
        rows[row, :len(LABELS)] = np.log(np.full(len(LABELS), 0.1))
        rows[row, LABELS.index(label)] = np.log(0.7)
    return rows, gold


def test_fitted_combiner_follows_the_evidence_and_survives_a_round_trip(tmp_path) -> None:  # noqa: ANN001
    rows, gold = _rows(1, 200)
    combiner = fit(rows, gold)
    held, held_gold = _rows(2, 40)
    predicted = [LABELS[k] for k in combiner.probabilities(held).argmax(1)]
    assert predicted == held_gold
    combiner.save(tmp_path)
    again = Combiner.load(tmp_path)
    assert np.allclose(again.probabilities(held), combiner.probabilities(held))


def test_label_missing_from_fitting_data_is_never_predicted() -> None:
    rows, gold = _rows(3, 120)
    keep = [i for i, g in enumerate(gold) if g != "smuggling_offer"]
    combiner = fit(rows[keep], [gold[i] for i in keep])
    assert combiner.probabilities(rows)[:, LABELS.index("smuggling_offer")].max() < 1e-6


def test_rule_features_count_what_the_rules_found() -> None:
    ad = Ad(url="https://example.org/1", source="test",
            text="Kerja di Malaysia tanpa paspor, kami urus jalan tikus lewat hutan.")
    ruled = RuleScorer().score([ad])
    row = features(np.full((1, len(LABELS)), 0.25), ruled)[0]
    found = dict(zip(FEATURES, row, strict=True))
    assert found["rule_som_weight"] > 0
    assert found["rule_strong"] + found["rule_medium"] + found["rule_weak"] >= 1
    assert sum(found[f"rule_label_{label}"] for label in LABELS) == 1


def test_whole_words_widens_to_word_edges_and_trims_punctuation() -> None:
    text = "Gaji lumayan, tanpa pengalaman!"
    start = text.index("ngal")
    assert text[slice(*whole_words(text, start, start + 3))] == "pengalaman"
    assert text[slice(*whole_words(text, 4, 13))] == "lumayan"
    long = "word " * 100
    start, end = whole_words(long, 0, len(long))
    assert end - start <= MAX_SPAN_CHARS and long[end - 1] != " "


def test_no_flag_without_an_indicator_to_show() -> None:
    from classifiers.transformer.onnx_scorer import decide

    probs = np.array([0.05, 0.8, 0.05, 0.1])  # in LABELS order: TIP is likeliest
    thresholds = {"deceptive_recruitment": 0.5, "smuggling_offer": 0.5}
    assert decide(probs, LABELS, thresholds) == "deceptive_recruitment"
    assert decide(probs, LABELS, thresholds, has_evidence=False) == "not_job_related"


def test_rules_settle_the_crime_where_their_evidence_is_one_sided() -> None:
    from classifiers.transformer.onnx_scorer import crime_by_rules

    kept = RuleScorer().score([Ad(url="https://example.org/2", source="test",
                                  text="Passport will be kept by the company. "
                                       "Processing fee RM2,500.")])[0]
    assert crime_by_rules("smuggling_offer", kept) == "deceptive_recruitment"
    assert crime_by_rules("legitimate", kept) == "legitimate"
    crossing = RuleScorer().score([Ad(url="https://example.org/3", source="test",
                                      text="Masuk Malaysia tanpa paspor, jalan tikus, "
                                           "kami uruskan.")])[0]
    assert crime_by_rules("deceptive_recruitment", crossing) == "smuggling_offer"
