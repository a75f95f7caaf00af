"""How reviewers agree with each other and with the model.

Cohen's kappa is computed here directly (it is four lines of arithmetic; scikit-learn is
in the training extra only): for two raters over the same records,
``kappa = (p_observed - p_chance) / (1 - p_chance)``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from classifiers.transformer.dataset import REVIEWED_LABELS
from index.base import Store
from index.query import SearchFilters
from lurewatch.record import Ad, ReviewState
from review_ui.services.triage import DECIDED_STATES


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Kappa of two raters' categories; None when it is undefined (no pairs, or both
    raters always used one and the same category, so chance agreement is 1)."""
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    chance = sum(first[c] * second[c] for c in first.keys() | second.keys()) / (n * n)
    if chance == 1.0:
        return None
    return (observed - chance) / (1 - chance)


def last_decision_by_reviewer(ad: Ad) -> dict[str, str]:
    """Each reviewer's latest decided state on the record."""
    latest: dict[str, str] = {}
    for decision in sorted(ad.decisions, key=lambda d: d.at):
        if decision.state is not ReviewState.unreviewed:
            latest[decision.reviewer] = decision.state.value
    return latest


@dataclass
class PairAgreement:
    first: str
    second: str
    records: int
    agreed: int
    kappa: float | None


@dataclass
class Agreement:
    pairs: list[PairAgreement]
    overall_kappa: float | None
    records_with_two: int


def agreement(records: Iterable[Ad]) -> Agreement:
    by_pair: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    pooled: list[tuple[str, str]] = []
    with_two = 0
    for ad in records:
        latest = last_decision_by_reviewer(ad)
        if len(latest) < 2:
            continue
        with_two += 1
        for a, b in combinations(sorted(latest), 2):
            pair = (latest[a], latest[b])
            by_pair[(a, b)].append(pair)
            pooled.append(pair)
    pairs = [PairAgreement(a, b, len(p), sum(x == y for x, y in p), cohen_kappa(p))
             for (a, b), p in sorted(by_pair.items())]
    return Agreement(pairs, cohen_kappa(pooled), with_two)


def reviewer_label(ad: Ad) -> str | None:
    """The label the record's current review state amounts to (None: escalated or open)."""
    label = REVIEWED_LABELS.get(ad.review_state)
    return label.value if label else None


@dataclass
class PrecisionRow:
    label: str
    language: str
    predicted: int
    confirmed: int

    @property
    def precision(self) -> float | None:
        return self.confirmed / self.predicted if self.predicted else None


def precision(records: Iterable[Ad]) -> list[PrecisionRow]:
    """Per model label and language: of the reviewed records the model gave that label,
    how many reviewers agreed."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for ad in records:
        truth = reviewer_label(ad)
        if truth is None or ad.risk_label is None:
            continue
        for language in (ad.language or "unknown", "all"):
            cell = counts[(ad.risk_label.value, language)]
            cell[0] += 1
            cell[1] += int(truth == ad.risk_label.value)
    return [PrecisionRow(label, lang, n, ok) for (label, lang), (n, ok)
            in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1] != "all", kv[0][1]))]


@dataclass
class Disagreement:
    record: Ad
    model_label: str | None
    reviewer_states: dict[str, str] = field(default_factory=dict)
    why: str = ""


def disagreements(records: Iterable[Ad], limit: int = 200) -> list[Disagreement]:
    """Records where the model and the reviewers, or the reviewers among themselves, differ."""
    found = []
    for ad in records:
        latest = last_decision_by_reviewer(ad)
        truth = reviewer_label(ad)
        model = ad.risk_label.value if ad.risk_label else None
        reasons = []
        if truth is not None and model is not None and truth != model:
            reasons.append(f"model said {model}, reviewers {truth}")
        if len(set(latest.values())) > 1:
            reasons.append("reviewers differ")
        if reasons:
            found.append(Disagreement(ad, model, latest, "; ".join(reasons)))
            if len(found) >= limit:
                break
    return found


def reviewed(store: Store) -> list[Ad]:
    return list(store.scan(SearchFilters(review_states=DECIDED_STATES)))
