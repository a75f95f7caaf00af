"""The rule scorer, and :func:`load_scorer`, which picks the scorer the settings ask for.

The rule score is transparent by design. It borrows from the ILO operational indicators
of trafficking, which grade indicators strong, medium and weak and call a dimension
present on combinations of them; adapted to what an ad can show:

* each indicator has a weight: strong 0.45, medium 0.25, weak 0.10
  (``lexicons/indicators.yaml``); where the ad shows a licensed, accountable recruiter
  (licence number, "no placement fee", statutory contributions), medium and weak
  weights are halved;
* ``risk_score`` = 1 - prod(1 - weight) over the distinct indicators found;
* flagged when there is a strong indicator, or two medium, or one medium and two weak;
  with an accountable recruiter only a strong indicator or two medium flag;
* a flagged ad is a ``smuggling_offer`` when smuggling indicators (no passport needed,
  crossing arranged, forged documents) weigh at least as much as the others or the
  text is not about a job, else ``deceptive_recruitment``;
* an unflagged ad is ``legitimate`` when it is about work, else ``not_job_related``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from classifiers import rules
from classifiers.base import Scorer
from classifiers.contacts import contacts_record
from classifiers.sector import sector_of, sector_under
from lurewatch.config import Settings
from lurewatch.record import Ad, Indicator, Label

ACCOUNTABLE_DISCOUNT = 0.5


@dataclass(frozen=True)
class Verdict:
    label: Label
    score: float
    indicators: list[Indicator]


def weigh(analysis: rules.Analysis) -> Verdict:
    """The rule label and score for what :func:`rules.analyse` found (see module doc)."""
    weights = rules.indicator_weights()
    counts = {"strong": 0, "medium": 0, "weak": 0}
    crime_weight = {"tip": 0.0, "som": 0.0, "either": 0.0}
    indicators: list[Indicator] = []
    survival = 1.0
    for indicator in analysis.indicators:
        spec = weights[indicator.id]
        weight = spec.weight
        if analysis.accountable and spec.strength != "strong":
            weight *= ACCOUNTABLE_DISCOUNT
        counts[spec.strength] += 1
        crime_weight[spec.crime] += weight
        survival *= 1.0 - weight
        indicators.append(indicator.model_copy(update={"score": round(weight, 4)}))
    score = round(1.0 - survival, 4)
    if analysis.accountable:
        flagged = counts["strong"] >= 1 or counts["medium"] >= 2
    else:
        flagged = counts["strong"] >= 1 or counts["medium"] >= 2 or (
            counts["medium"] >= 1 and counts["weak"] >= 2
        )
    if flagged and crime_weight["som"] > 0 and (
        crime_weight["som"] >= crime_weight["tip"] or not analysis.job_related
    ):
        label = Label.smuggling_offer
    elif flagged:
        label = Label.deceptive_recruitment
    elif analysis.job_related:
        label = Label.legitimate
    else:
        label = Label.not_job_related
    return Verdict(label, score, indicators)


class RuleScorer:
    """Scores records from rule evidence alone (no model)."""

    def __init__(self) -> None:
        self._version = f"rules-{rules.lexicon_version()}"

    @property
    def version(self) -> str:
        return self._version

    def score(self, ads: Sequence[Ad]) -> list[Ad]:
        """Scored copies of ``ads``: language, contacts, salary, employer, sector, indicators,
        label."""
        return [self._score_one(ad) for ad in ads]

    def _score_one(self, ad: Ad) -> Ad:
        analysis = rules.analyse(ad.text, ad.language, ad.country, ad.employer)
        verdict = weigh(analysis)
        contacts = contacts_record(analysis.contacts)
        merged = ad.contacts.model_copy(update={
            name: list(dict.fromkeys([*getattr(ad.contacts, name), *getattr(contacts, name)]))
            for name in type(contacts).model_fields
        })
        return ad.model_copy(update={
            "language": analysis.language.main or ad.language,
            "languages_present": analysis.language.present,
            "contacts": merged,
            "salary": ad.salary or analysis.salary,
            "employer": ad.employer or analysis.employer,
            "sector": sector_under(verdict.label, sector_of(ad.title, analysis.normalised.text,
                                                            hint=ad.sector)),
            "indicators": verdict.indicators,
            "risk_label": verdict.label,
            "risk_score": verdict.score,
            "model_version": self.version,
        })


def load_scorer(settings: Settings) -> Scorer:
    """The scorer the crawl pipeline, ``lurewatch classify`` and the demo use: the promoted
    model combined with the rules when one is built (docs/model.md), else the rules."""
    from classifiers.transformer.serving import model_scorer

    rule_scorer = RuleScorer()
    return model_scorer(settings, rule_scorer) or rule_scorer
