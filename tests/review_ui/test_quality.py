"""Reviewer agreement, disagreements, the uncertain queue and training data."""

from __future__ import annotations

import json
import re

import pytest

from review_ui.services.quality import cohen_kappa
from tests.review_ui.conftest import (
    Env,
    csrf,
)
from tests.review_ui.seed import INDONESIAN, LEGIT, MALAY, THAI


def test_cohen_kappa_matches_the_textbook() -> None:
    pairs = [("a", "a")] * 20 + [("a", "b")] * 5 + [("b", "a")] * 10 + [("b", "b")] * 15
    assert cohen_kappa(pairs) == pytest.approx(0.4)  # the standard 50-item example
    assert cohen_kappa([]) is None and cohen_kappa([("a", "a")]) is None


@pytest.mark.slow  # importing scikit-learn takes seconds
def test_cohen_kappa_agrees_with_scikit_learn() -> None:
    pairs = [("tip", "tip")] * 7 + [("tip", "som")] * 2 + [("som", "som")] * 4 + [
        ("legitimate", "tip")] * 3 + [("legitimate", "legitimate")] * 9
    sklearn = pytest.importorskip("sklearn.metrics", reason="scikit-learn (train extra) absent")
    assert cohen_kappa(pairs) == pytest.approx(
        sklearn.cohen_kappa_score([a for a, _ in pairs], [b for _, b in pairs]))


def test_agreement_precision_disagreements_and_training_data(any_env: Env) -> None:
    env = any_env
    ana, bea, maya = env.client("ana"), env.client("bea"), env.client("maya")
    for client, record, action, version in (
            (ana, MALAY, "tip", 0), (bea, MALAY, "tip", 1),
            (ana, THAI, "tip", 0), (bea, THAI, "legitimate", 1),
            (ana, LEGIT, "legitimate", 0)):
        response = client.post(f"/records/{record.id}/decide", data={
            "csrf_token": csrf(client), "action": action, "version": str(version)})
        assert response.status_code == 303
    page = maya.get("/maintain/agreement").text
    assert "2 reviewed by two or more people" in page
    assert re.search(r"<td>ana</td><td>bea</td><td class=\"num\">2</td><td class=\"num\">1</td>",
                     page)
    assert re.search(r"<td>deceptive_recruitment</td><td>all</td><td class=\"num\">2</td>"
                     r"<td class=\"num\">1</td><td class=\"num\">0.50</td>", page)
    disagreements = maya.get("/maintain/disagreements").text
    assert THAI.id in disagreements and "reviewers differ" in disagreements
    assert MALAY.id not in disagreements
    lines = [json.loads(x) for x in maya.get("/maintain/training-data.jsonl").text.splitlines()]
    assert {row["id"]: row["label"] for row in lines} == {
        f"review-{MALAY.id}": "deceptive_recruitment", f"review-{THAI.id}": "legitimate",
        f"review-{LEGIT.id}": "legitimate"}
    from classifiers.labelled import LabelledItem

    assert all(LabelledItem.model_validate(row) for row in lines)  # what training reads


def test_uncertain_queue(env: Env) -> None:
    html = env.client("maya").get("/maintain/uncertain?threshold=0.6&band=0.1").text
    assert INDONESIAN.id in html and MALAY.id not in html
    assert "threshold: " not in html
