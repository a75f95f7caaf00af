"""``lurewatch rescore``: stored records scored again, their earlier verdicts kept, the
reviewers' work untouched."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifiers.rescore import rescore
from index.query import SearchFilters
from index.sqlite import SQLiteStore
from lurewatch.cli import load_commands
from lurewatch.record import Ad, Decision, Indicator, Label, ReviewState


class KeywordScorer:
    """Flags ads that mention a passport; everything else is legitimate."""

    version = "keyword-2"

    def score(self, ads: Sequence[Ad]) -> list[Ad]:
        return [ad.model_copy(update=self._verdict(ad)) for ad in ads]

    def _verdict(self, ad: Ad) -> dict[str, object]:
        if "passport" in ad.text:
            return {"risk_label": Label.deceptive_recruitment, "risk_score": 0.9,
                    "model_version": self.version,
                    "indicators": [Indicator(id="passport_retained", score=0.9),
                                   Indicator(id="worker_pays_fees", score=0.6)]}
        return {"risk_label": Label.legitimate, "risk_score": 0.1,
                "model_version": self.version, "indicators": []}


def seed(store: SQLiteStore) -> tuple[Ad, Ad, Ad]:
    old = {"risk_label": Label.legitimate, "risk_score": 0.2, "model_version": "keyword-1"}
    flagged = Ad(source="board", url="https://jobs.example.my/1", title="Kilang",
                 text="Gaji tinggi, passport disimpan majikan.", **old)
    reviewed = Ad(source="board", url="https://jobs.example.my/2", title="Kilang",
                  text="Bayar yuran, passport disimpan.", **old,
                  posted_at=datetime(2026, 1, 5, tzinfo=UTC))
    plain = Ad(source="board", url="https://jobs.example.my/3", title="Kerani",
               text="Kerani akaun.", risk_label=Label.legitimate, risk_score=0.1,
               model_version="keyword-2", posted_at=datetime(2025, 6, 1, tzinfo=UTC))
    store.upsert([flagged, reviewed, plain])
    store.decide(reviewed.id, Decision(reviewer="ana", state=ReviewState.confirmed_tip,
                                       indicators_added=["debt_or_advance"],
                                       indicators_removed=["worker_pays_fees"]), 0)
    return flagged, reviewed, plain


def test_rescore_keeps_history_and_reviewers_work(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.db")
    flagged, reviewed, plain = seed(store)
    decided = store.get(reviewed.id)
    assert decided is not None
    seen: list[int] = []

    report = rescore(store, KeywordScorer(), batch_size=2, progress=seen.append)
    assert (report.rescored, report.changed_label, report.failed) == (3, 2, 0)
    assert seen == [2, 1]

    first = store.get(flagged.id)
    assert first is not None and first.risk_label == Label.deceptive_recruitment
    assert [(h.risk_label, h.risk_score, h.model_version) for h in first.score_history] == [
        (Label.legitimate, 0.2, "keyword-1")]
    after = store.get(reviewed.id)
    assert after is not None
    assert (after.review_state, after.review_version, after.decisions) == (
        decided.review_state, decided.review_version, decided.decisions)
    # The reviewer's correction holds: added stays, removed stays removed.
    assert after.indicator_ids() == ["debt_or_advance", "passport_retained"]
    same = store.get(plain.id)
    assert same is not None and same.score_history == []  # the verdict did not move

    again = rescore(store, KeywordScorer())
    assert (again.rescored, again.changed_label) == (3, 0)
    once = store.get(flagged.id)
    assert once is not None and len(once.score_history) == 1


def test_rescore_since_a_date(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.db")
    _, reviewed, plain = seed(store)
    report = rescore(store, KeywordScorer(),
                     SearchFilters(posted_from=datetime(2026, 1, 1, tzinfo=UTC)))
    assert report.rescored == 2  # the undated record counts by its fetch time (today)
    untouched = store.get(plain.id)
    assert untouched is not None and untouched.risk_score == 0.1


def test_rescore_command_prints_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LUREWATCH_CONFIG", raising=False)
    monkeypatch.setattr("classifiers.scoring.load_scorer", lambda settings: KeywordScorer())
    with SQLiteStore(tmp_path / "data" / "lurewatch.db") as store:
        seed(store)
    result = CliRunner().invoke(load_commands(), ["rescore", "--since", "2026-01-01",
                                                  "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report.keys() >= {"rescored", "changed_label", "seconds"}
    assert (report["rescored"], report["changed_label"]) == (2, 2)
