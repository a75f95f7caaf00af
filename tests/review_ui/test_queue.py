"""The triage queue: claims, decisions, second looks, conflicts, corrections, bulk."""

from __future__ import annotations

import re

from lurewatch.record import ReviewState
from tests.review_ui.conftest import (
    Env,
    csrf,
    decision,
    make_env,
)
from tests.review_ui.seed import CHINESE, INDONESIAN, LEGIT, MALAY, MINORS, THAI, XSS


def test_queue_claims_and_decisions(any_env: Env) -> None:
    env = any_env
    ana, bea = env.client("ana"), env.client("bea")
    queue = ana.get("/queue?sort=score").text
    assert queue.index(XSS.id) < queue.index(MINORS.id) < queue.index(MALAY.id)
    assert LEGIT.id not in queue  # not flagged
    first = ana.post("/queue/next", data={"csrf_token": csrf(ana), "query": "sort=score"})
    assert first.headers["location"].startswith(f"/records/{XSS.id}?")
    # bea's next skips the record ana holds
    other = bea.post("/queue/next", data={"csrf_token": csrf(bea), "query": "sort=score"})
    assert other.headers["location"].startswith(f"/records/{MINORS.id}?")
    assert "held by ana" in bea.get(f"/records/{XSS.id}").text
    assert XSS.id in ana.get("/queue/mine").text
    decided = ana.post(f"/records/{XSS.id}/decide", data={
        "csrf_token": csrf(ana), "action": "tip", "version": "0", "note": "fees and urgency",
        "queue": "sort=score"})
    assert decided.status_code == 303
    # the next record goes to ana, skipping what bea holds
    assert decided.headers["location"].startswith(f"/records/{MALAY.id}?")
    stored = env.store.get(XSS.id)
    assert stored and stored.review_state is ReviewState.confirmed_tip
    assert stored.decisions[-1].reviewer == "ana"
    assert stored.decisions[-1].note == "fees and urgency"
    assert env.db.reviews_today("ana") == 1
    assert env.db.audit_entries(action="decision")[0].target == XSS.id
    claims = [(e.actor, e.target) for e in env.db.audit_entries(action="claim")]
    assert claims == [("ana", MALAY.id), ("bea", MINORS.id), ("ana", XSS.id)]
    assert [(e.actor, e.target) for e in env.db.audit_entries(action="release")] == [
        ("ana", XSS.id)]  # released by the decision
    assert XSS.id not in ana.get("/queue").text
    assert 'id="daily-count" title="records you decided today">today: 1' in ana.get("/queue").text


def test_second_look_offers_a_sample_to_other_reviewers(env: Env) -> None:
    ana, bea = env.client("ana"), env.client("bea")
    for record in (INDONESIAN, MALAY):  # only INDONESIAN's id falls in the sample
        ana.post(f"/records/{record.id}/decide", data={"csrf_token": csrf(ana),
                                                       "action": "tip", "version": "0"})
    offered = bea.get("/queue/second").text
    assert f"/records/{INDONESIAN.id}" in offered and f"/records/{MALAY.id}" not in offered
    assert f"/records/{INDONESIAN.id}" not in ana.get("/queue/second").text
    bea.post(f"/records/{INDONESIAN.id}/decide", data={"csrf_token": csrf(bea),
                                                       "action": "tip", "version": "1"})
    assert f"/records/{INDONESIAN.id}" not in bea.get("/queue/second").text


def test_queue_facets_load_separately_and_filter(env: Env) -> None:
    ana = env.client("ana")
    assert 'hx-get="/queue/facets?language=ms"' in ana.get("/queue?language=ms").text
    facets = ana.get("/queue/facets").text
    assert re.search(r'href="/queue\?language=th">th</a> <span class="n">1</span>', facets)
    assert re.search(r'>ms</a> <span class="n">4</span>', facets)  # XSS, MINORS, MALAY x2
    only_thai = ana.get("/queue?language=th").text
    assert THAI.id in only_thai and MALAY.id not in only_thai


def test_break_prompt_after_many_reviews(tmp_path) -> None:
    env = make_env(tmp_path, review={"break_after": 2})
    ana = env.client("ana")
    for record in (MALAY, THAI):
        ana.post(f"/records/{record.id}/decide", data={"csrf_token": csrf(ana),
                                                       "action": "legitimate", "version": "0"})
    assert "take a break" in ana.get("/queue").text


def test_stale_decision_is_refused_with_a_clear_message(any_env: Env) -> None:
    env = any_env
    ana, bea = env.client("ana"), env.client("bea")
    ana.post(f"/records/{THAI.id}/decide", data={"csrf_token": csrf(ana), "action": "tip",
                                                 "version": "0"})
    stale = bea.post(f"/records/{THAI.id}/decide", data={"csrf_token": csrf(bea),
                                                          "action": "legitimate", "version": "0"})
    assert stale.status_code == 409
    assert "Someone else changed this record" in stale.text and "not applied" in stale.text
    assert env.store.get(THAI.id).review_state is ReviewState.confirmed_tip  # type: ignore[union-attr]
    assert env.db.audit_entries(action="decision_conflict")[0].actor == "bea"


def test_indicator_corrections_and_notes(env: Env) -> None:
    ana = env.client("ana")
    ticked = [i for i in MALAY.indicator_ids() if i != "no_requirements"] + ["debt_or_advance"]
    ana.post(f"/records/{MALAY.id}/decide", data={
        "csrf_token": csrf(ana), "action": "tip", "version": "0", "corrections": "1",
        "indicators": ticked})
    stored = env.store.get(MALAY.id)
    assert stored and sorted(stored.indicator_ids()) == sorted(ticked)
    assert stored.decisions[-1].indicators_removed == ["no_requirements"]
    bad = ana.post(f"/records/{MALAY.id}/decide", data={
        "csrf_token": csrf(ana), "action": "tip", "version": "1", "corrections": "1",
        "indicators": ["made_up"]})
    assert bad.status_code == 400 and "unknown indicator made_up" in bad.text
    ana.post(f"/records/{MALAY.id}/notes", data={"csrf_token": csrf(ana),
                                                 "text": "<i>same phone as MM post</i>"})
    html = ana.get(f"/records/{MALAY.id}").text
    assert "&lt;i&gt;same phone as MM post&lt;/i&gt;" in html


def test_bulk_decisions_report_conflicts(env: Env) -> None:
    ana = env.client("ana")
    page = ana.get("/bulk").text
    assert f'value="{CHINESE.id}:0"' in page
    env.store.decide(INDONESIAN.id, decision("bea"), 0)  # changed behind ana's back
    response = ana.post("/bulk", data={"csrf_token": csrf(ana), "action": "legitimate",
                                       "selected": [f"{CHINESE.id}:0", f"{INDONESIAN.id}:0"]})
    assert response.status_code == 200
    assert "Applied to 1" in response.text and INDONESIAN.id in response.text
    assert env.store.get(CHINESE.id).review_state is ReviewState.dismissed_legitimate  # type: ignore[union-attr]


def test_claims_releases_and_takeovers_are_audit_events(env: Env) -> None:
    ana, bea = env.client("ana"), env.client("bea")
    ana.post(f"/records/{MALAY.id}/claim", data={"csrf_token": csrf(ana)})
    ana.post(f"/records/{MALAY.id}/claim", data={"csrf_token": csrf(ana)})  # a renewal
    ana.post(f"/records/{MALAY.id}/release", data={"csrf_token": csrf(ana)})
    env.db.claim(THAI.id, "ana", lifetime_s=-1)  # a claim that has run out
    bea.post(f"/records/{THAI.id}/claim", data={"csrf_token": csrf(bea)})
    events = [(e.actor, e.action, e.target) for e in env.db.audit_entries()
              if e.action in ("claim", "release")]
    assert events == [("bea", "claim", THAI.id), ("ana", "claim", THAI.id),
                      ("ana", "release", MALAY.id), ("ana", "claim", MALAY.id)]
    assert "ana's claim had expired" in env.db.audit_entries(action="claim")[0].detail
