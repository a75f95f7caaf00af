"""The store contract: every backend passes these tests unchanged."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from index.alerts import NewAlert
from index.base import Store
from index.errors import ConflictError, NotFoundError
from index.query import SearchFilters, SearchQuery
from index.runs import Health, Run
from lurewatch.record import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    Ad,
    Contacts,
    Decision,
    Indicator,
    Label,
    ReviewState,
    Span,
)

BASE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def make_ad(n: int, **fields: object) -> Ad:
    defaults: dict[str, object] = {
        "source": "sample-board",
        "url": f"https://jobs.example.my/ads/{n}",
        "title": f"Kerja kilang {n}",
        "text": "Kerja kilang di Johor, gaji RM1800 sebulan, hubungi pejabat.",
        "language": "ms",
        "country": "MY",
        "posted_at": BASE + timedelta(days=n),
        "risk_label": Label.legitimate,
        "risk_score": 0.1,
        "model_version": "test-1",
    }
    defaults.update(fields)
    return Ad(**defaults)  # type: ignore[arg-type]


def tip_ad(n: int, **fields: object) -> Ad:
    text = ("Cari gadis cantik umur 18-25 kerja karaoke KL, gaji RM8000, tiket ditanggung."
            " WA sahaja.")
    defaults: dict[str, object] = {
        "title": "Kerja mudah gaji besar",
        "text": text,
        "risk_label": Label.deceptive_recruitment,
        "risk_score": 0.9,
        "contacts": Contacts(phones=["+60123456789"], whatsapp=["+60123456789"]),
        "indicators": [
            Indicator(id="targets_women_girls", score=0.8,
                      spans=[Span(start=5, end=16, text=text[5:16])]),
            Indicator(id="high_risk_sector", score=0.7),
        ],
    }
    defaults.update(fields)
    return make_ad(n, **defaults)


def ids(result: object) -> set[str]:
    return {hit.record.id for hit in result.hits}  # type: ignore[attr-defined]


def test_upsert_then_get_round_trips(store: Store) -> None:
    ad = tip_ad(1)
    result = store.upsert([ad])
    assert result.created == 1
    got = store.get(ad.id)
    assert got is not None
    assert got.model_dump(exclude={"fetched_at"}) == ad.model_dump(exclude={"fetched_at"})
    assert store.get("no-such-id") is None


def test_reupsert_changes_nothing(store: Store) -> None:
    ad = tip_ad(1)
    store.upsert([ad])
    refetched = ad.model_copy(update={"fetched_at": ad.fetched_at + timedelta(hours=5)})
    result = store.upsert([ad, refetched])
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert store.count() == 1
    got = store.get(ad.id)
    assert got is not None and got.review_version == 0


def test_changed_content_updates_but_keeps_review_work(store: Store) -> None:
    ad = tip_ad(1)
    store.upsert([ad])
    store.decide(ad.id, Decision(reviewer="aisyah", state=ReviewState.confirmed_tip), 0)
    edited = ad.model_copy(update={"text": ad.text + " Segera!", "content_hash": ""})
    edited = Ad.model_validate(edited.model_dump())  # re-derive the content hash
    assert store.upsert([edited]).updated == 1
    got = store.get(ad.id)
    assert got is not None
    assert got.text.endswith("Segera!")
    assert got.review_state == ReviewState.confirmed_tip
    assert got.review_version == 1
    assert [d.reviewer for d in got.decisions] == ["aisyah"]


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("招聘女服务员，月薪8000，包吃包住，无需经验", "女服务员"),
        ("招聘女服务员，月薪8000，包吃包住，无需经验", "包住"),  # two characters
        ("รับสมัครพนักงานนวดหญิง รายได้ดี ที่พักฟรี", "พนักงานนวด"),
        ("မလေးရှားမှာ စက်ရုံအလုပ် လစာကောင်း ပတ်စပို့မလို", "စက်ရုံအလုပ်"),
        ("ត្រូវការបុគ្គលិកបម្រើអតិថិជន ប្រាក់ខែខ្ពស់", "បុគ្គលិក"),
        ("Lowongan kerja pabrik di Malaysia, gaji besar", "pabrik"),
    ],
)
def test_full_text_finds_words_in_unspaced_scripts(store: Store, text: str, word: str) -> None:
    target, other = make_ad(1, text=text), make_ad(2)
    store.upsert([target, other])
    result = store.search(SearchQuery(text=word))
    assert ids(result) == {target.id}
    assert result.total == 1


def test_search_highlights_matches_with_marks(store: Store) -> None:
    ad = tip_ad(1)
    store.upsert([ad])
    hit = store.search(SearchQuery(text="karaoke")).hits[0]
    fragments = " ".join(hit.highlights.get("text", []))
    assert f"{HIGHLIGHT_START}karaoke{HIGHLIGHT_END}" in fragments


def test_control_characters_in_search_text_are_no_error(store: Store) -> None:
    ad = tip_ad(1)
    store.upsert([ad])
    assert ids(store.search(SearchQuery(text="karaoke\x00"))) == {ad.id}
    assert store.search(SearchQuery(text="zqxv\x00wqzk\x1b\x7f")).total == 0


def test_crawled_text_cannot_forge_highlight_marks(store: Store) -> None:
    forged = f"Gaji {HIGHLIGHT_START}<b>boleh</b>{HIGHLIGHT_END} karaoke"
    ad = make_ad(1, text=forged, title=f"{HIGHLIGHT_START}x{HIGHLIGHT_END}")
    store.upsert([ad])
    hit = store.search(SearchQuery(text="karaoke")).hits[0]
    fragments = " ".join(hit.highlights.get("text", []))
    # the only marks left are the store's own, around the word searched for
    assert fragments.count(HIGHLIGHT_START) == fragments.count(HIGHLIGHT_END) == 1
    assert f"{HIGHLIGHT_START}karaoke{HIGHLIGHT_END}" in fragments
    stored = store.get(ad.id)
    assert HIGHLIGHT_START not in stored.text + stored.title
    assert len(stored.text) == len(forged)  # one code point for one: offsets stay true


def test_search_is_case_insensitive_and_needs_every_term(store: Store) -> None:
    a = make_ad(1, text="Kilang elektronik Penang perlukan operator")
    b = make_ad(2, text="Kilang perabot Johor perlukan operator")
    store.upsert([a, b])
    assert ids(store.search(SearchQuery(text="KILANG penang"))) == {a.id}
    assert ids(store.search(SearchQuery(text="operator"))) == {a.id, b.id}


def test_filters_and_facets(store: Store) -> None:
    legit = make_ad(1)
    tip = tip_ad(2)
    som = make_ad(3, risk_label=Label.smuggling_offer, risk_score=0.8, language="my",
                  country="MM", source="tg-channel",
                  indicators=[Indicator(id="no_passport_needed", score=0.9)],
                  campaign_id="cmp-1")
    thai = make_ad(4, language="th", country="TH", risk_score=0.3, campaign_id="cmp-1")
    store.upsert([legit, tip, som, thai])

    def found(**filters: object) -> set[str]:
        query = SearchQuery(filters=SearchFilters(**filters), size=50)  # type: ignore[arg-type]
        return ids(store.search(query))

    assert found(labels=("deceptive_recruitment", "smuggling_offer")) == {tip.id, som.id}
    assert found(indicators=("no_passport_needed",)) == {som.id}
    assert found(languages=("th",)) == {thai.id}
    assert found(sources=("tg-channel",)) == {som.id}
    assert found(countries=("MY",)) == {legit.id, tip.id}
    assert found(score_min=0.5) == {tip.id, som.id}
    assert found(score_min=0.2, score_max=0.5) == {thai.id}
    assert found(posted_from=BASE + timedelta(days=2), posted_to=BASE + timedelta(days=3)) == {
        tip.id, som.id}
    assert found(review_states=("unreviewed",)) == {legit.id, tip.id, som.id, thai.id}
    assert found(campaign_ids=("cmp-1",)) == {som.id, thai.id}

    result = store.search(SearchQuery(size=0))
    assert result.total == 4
    assert result.facets["label"] == {"legitimate": 2, "deceptive_recruitment": 1,
                                      "smuggling_offer": 1}
    assert result.facets["language"] == {"ms": 2, "my": 1, "th": 1}
    assert result.facets["indicator"] == {"targets_women_girls": 1, "high_risk_sector": 1,
                                          "no_passport_needed": 1}
    assert result.facets["review_state"] == {"unreviewed": 4}
    narrowed = store.search(SearchQuery(filters=SearchFilters(countries=("MY",)), size=0))
    assert narrowed.facets["label"] == {"legitimate": 1, "deceptive_recruitment": 1}


def test_sort_by_score_and_by_age(store: Store) -> None:
    ads = [make_ad(n, risk_score=score) for n, score in ((1, 0.5), (2, 0.9), (3, 0.2))]
    store.upsert(ads)
    by_score = store.search(SearchQuery(sort="score", facets=()))
    assert [h.record.risk_score for h in by_score.hits] == [0.9, 0.5, 0.2]
    by_age = store.search(SearchQuery(sort="age", facets=()))
    assert [h.record.id for h in by_age.hits] == [a.id for a in ads]
    page = store.search(SearchQuery(sort="age", size=1, offset=1, facets=()))
    assert [h.record.id for h in page.hits] == [ads[1].id]


def test_trends_by_week_and_split(store: Store) -> None:
    ads = [tip_ad(0), tip_ad(1), make_ad(8), tip_ad(9)]  # weeks of 2 Mar and 9 Mar
    store.upsert(ads)
    buckets = {(b.period[:10], b.key): b.count
               for b in store.trends(SearchFilters(), split_by="label", interval="week")}
    assert buckets == {
        ("2026-03-02", "deceptive_recruitment"): 2,
        ("2026-03-09", "legitimate"): 1,
        ("2026-03-09", "deceptive_recruitment"): 1,
    }
    by_indicator = store.trends(SearchFilters(labels=("deceptive_recruitment",)),
                                split_by="indicator", interval="month")
    assert {(b.key, b.count) for b in by_indicator} == {("targets_women_girls", 3),
                                                         ("high_risk_sector", 3)}


def test_decide_applies_and_refuses_stale_writes(store: Store) -> None:
    ad = tip_ad(1)
    store.upsert([ad])
    first = Decision(reviewer="aisyah", state=ReviewState.confirmed_tip, note="classic lure",
                     indicators_added=["passport_retained"],
                     indicators_removed=["high_risk_sector"])
    decided = store.decide(ad.id, first, expected_version=0)
    assert decided.review_state == ReviewState.confirmed_tip
    assert decided.review_version == 1
    assert "passport_retained" in decided.indicator_ids()
    assert "high_risk_sector" not in decided.indicator_ids()
    with pytest.raises(ConflictError):
        store.decide(ad.id, Decision(reviewer="budi", state=ReviewState.dismissed_legitimate), 0)
    got = store.get(ad.id)
    assert got is not None and got.review_state == ReviewState.confirmed_tip
    history = store.history(ad.id)
    assert [(h.actor, h.outcome) for h in history] == [("aisyah", "applied"), ("budi", "conflict")]
    assert store.search(SearchQuery(filters=SearchFilters(
        review_states=("confirmed_tip",)))).total == 1
    with pytest.raises(NotFoundError):
        store.decide("missing", first, 0)


def test_concurrent_decisions_one_wins_one_conflicts(store: Store) -> None:
    ad = tip_ad(1)
    store.upsert([ad])
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def review(name: str, state: ReviewState) -> None:
        barrier.wait()
        try:
            store.decide(ad.id, Decision(reviewer=name, state=state), expected_version=0)
            outcomes[name] = "applied"
        except ConflictError:
            outcomes[name] = "conflict"

    threads = [threading.Thread(target=review, args=("aisyah", ReviewState.confirmed_tip)),
               threading.Thread(target=review, args=("budi", ReviewState.dismissed_legitimate))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["applied", "conflict"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "applied")
    got = store.get(ad.id)
    assert got is not None and got.review_version == 1
    assert [d.reviewer for d in got.decisions] == [winner]
    assert sorted((h.actor, h.outcome) for h in store.history(ad.id)) == sorted(
        outcomes.items())


def test_pivots_on_shared_contacts_employer_and_cluster(store: Store) -> None:
    a = tip_ad(1, employer="Maju Jaya Sdn. Bhd.", cluster_id="c1",
               contacts=Contacts(phones=["+60123456789"], telegram=["@kerjamudah"]))
    b = tip_ad(2, employer="MAJU JAYA", cluster_id="c1",
               contacts=Contacts(phones=["+60123456789"], emails=["HR@majujaya.example"]))
    c = make_ad(3, employer="Other Co", contacts=Contacts(emails=["hr@majujaya.example"]))
    store.upsert([a, b, c])
    assert ids(store.pivot("phone", "+60123456789")) == {a.id, b.id}
    assert ids(store.pivot("handle", "telegram:@kerjamudah")) == {a.id}
    assert ids(store.pivot("email", "hr@majujaya.example")) == {b.id, c.id}
    assert ids(store.pivot("employer", "Maju Jaya")) == {a.id, b.id}
    assert ids(store.pivot("cluster", "c1")) == {a.id, b.id}
    assert [h.record.id for h in store.pivot("phone", "+60123456789").hits] == [a.id, b.id]


def test_scan_and_count(store: Store) -> None:
    ads = [make_ad(n) for n in range(25)] + [tip_ad(100)]
    store.upsert(ads)
    assert store.count() == 26
    assert store.count(SearchFilters(labels=("deceptive_recruitment",))) == 1
    scanned = [ad.id for ad in store.scan(batch_size=7)]
    assert sorted(scanned) == sorted(ad.id for ad in ads)
    assert len(scanned) == len(set(scanned))


# --- alerts ----------------------------------------------------------------------------


def new_alert(key: str, subject_id: str = "rec-1") -> NewAlert:
    return NewAlert(key=key, rule="high-risk-my", kind="high_score", subject_type="record",
                    subject_id=subject_id, summary=f"High-risk record {subject_id}",
                    link=f"https://review.example.org/records/{subject_id}",
                    details={"score": 0.97, "indicators": ["worker_pays_fees"]})


def test_alert_is_kept_once_per_key_with_pending_deliveries(store: Store) -> None:
    kept = store.add_alert(new_alert("high-risk-my:record:rec-1"), ["email", "webhook"])
    assert kept is not None and kept.id == "high-risk-my:record:rec-1"
    assert (kept.subject_type, kept.subject_id, kept.details["score"]) == ("record", "rec-1", 0.97)
    assert kept.deliveries == {"email": "pending", "webhook": "pending"}
    assert store.add_alert(new_alert("high-risk-my:record:rec-1", "other"), ["email"]) is None
    [listed] = store.alerts()
    assert listed == kept


def test_alerts_list_newest_first_with_paging_and_keys_by_prefix(store: Store) -> None:
    for n in range(5):
        store.add_alert(new_alert(f"rule-a:record:{n}", str(n)), ["webhook"])
    store.add_alert(new_alert("rule-b:record:9", "9"), ["webhook"])
    assert [a.id for a in store.alerts(limit=3)] == [
        "rule-b:record:9", "rule-a:record:4", "rule-a:record:3"]
    assert [a.id for a in store.alerts(limit=3, offset=3)] == [
        "rule-a:record:2", "rule-a:record:1", "rule-a:record:0"]
    assert store.alerts(offset=6) == []
    assert store.alert_keys("rule-a:") == {f"rule-a:record:{n}" for n in range(5)}
    assert store.alert_keys("rule-b:record:9") == {"rule-b:record:9"}
    assert store.alert_keys("rule-c:") == set()


def test_alert_deliveries_pending_sent_failed_and_the_hourly_count(store: Store) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    for n in range(3):
        store.add_alert(new_alert(f"r:record:{n}", str(n)), ["email", "webhook"])
    pending = store.pending_deliveries("email", limit=2)
    assert [(p.alert.id, p.channel, p.attempts) for p in pending] == [
        ("r:record:0", "email", 0), ("r:record:1", "email", 0)]
    store.record_delivery("r:record:0", "email", "sent")
    store.record_delivery("r:record:1", "email", "pending", error="connection refused")
    assert [(p.alert.id, p.attempts) for p in store.pending_deliveries("email", 10)] == [
        ("r:record:1", 1), ("r:record:2", 0)]
    store.record_delivery("r:record:1", "email", "failed", error="connection refused")
    assert store.deliveries_spent_since("email", since) == 1
    assert store.deliveries_spent_since("webhook", since) == 0
    assert store.deliveries_spent_since("email", datetime.now(UTC) + timedelta(minutes=1)) == 0
    by_id = {a.id: a.deliveries for a in store.alerts()}
    assert by_id["r:record:0"] == {"email": "sent", "webhook": "pending"}
    assert by_id["r:record:1"] == {"email": "failed", "webhook": "pending"}
    assert len(store.pending_deliveries("webhook", 10)) == 3
    with pytest.raises(NotFoundError):
        store.record_delivery("no-such-alert", "email", "sent")


def test_alert_writers_racing_on_one_key_keep_exactly_one(store: Store) -> None:
    writers = 6
    barrier = threading.Barrier(writers)
    kept: list[bool] = []

    def raise_alert(n: int) -> None:
        barrier.wait()
        kept.append(store.add_alert(new_alert("race:record:1", f"writer-{n}"),
                                    ["webhook"]) is not None)

    threads = [threading.Thread(target=raise_alert, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(kept) == [False] * (writers - 1) + [True]
    [alert] = store.alerts()
    assert alert.deliveries == {"webhook": "pending"}


def test_alert_delivery_claim_is_held_until_recorded_or_the_lease_lapses(store: Store) -> None:
    store.add_alert(new_alert("r:record:1", "1"), ["email", "webhook"])
    assert store.claim_delivery("r:record:1", "email", timedelta(minutes=10))
    assert not store.claim_delivery("r:record:1", "email", timedelta(minutes=10))
    assert store.pending_deliveries("email", 10) == []  # held: nobody else picks it up
    assert len(store.pending_deliveries("webhook", 10)) == 1  # other channels unaffected
    store.record_delivery("r:record:1", "email", "pending", error="timed out")
    [retry] = store.pending_deliveries("email", 10)  # the claim ended with the attempt
    assert retry.attempts == 1
    assert store.claim_delivery("r:record:1", "email", timedelta(seconds=-1))  # lapsed at once
    assert len(store.pending_deliveries("email", 10)) == 1
    assert store.claim_delivery("r:record:1", "email", timedelta(minutes=10))
    store.record_delivery("r:record:1", "email", "sent")
    assert not store.claim_delivery("r:record:1", "email", timedelta(minutes=10))


def test_a_claimed_delivery_spends_the_budget_until_released(store: Store) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    store.add_alert(new_alert("r:record:1", "1"), ["webhook"])
    store.add_alert(new_alert("r:record:2", "2"), ["webhook"])
    assert store.deliveries_spent_since("webhook", since) == 0
    assert store.claim_delivery("r:record:1", "webhook", timedelta(minutes=10))
    assert store.deliveries_spent_since("webhook", since) == 1  # being sent: counted
    store.release_delivery("r:record:1", "webhook")
    assert store.deliveries_spent_since("webhook", since) == 0
    assert [p.attempts for p in store.pending_deliveries("webhook", 10)] == [0, 0]
    assert store.claim_delivery("r:record:1", "webhook", timedelta(seconds=-1))  # lapsed
    assert store.deliveries_spent_since("webhook", since) == 0
    store.record_delivery("r:record:2", "webhook", "sent")
    store.release_delivery("r:record:2", "webhook")  # too late: it stays sent
    assert store.deliveries_spent_since("webhook", since) == 1


def test_alert_senders_racing_on_one_delivery_one_claims_it(store: Store) -> None:
    store.add_alert(new_alert("r:record:1", "1"), ["webhook"])
    senders = 6
    barrier = threading.Barrier(senders)
    claimed: list[bool] = []

    def claim() -> None:
        barrier.wait()
        claimed.append(store.claim_delivery("r:record:1", "webhook", timedelta(minutes=10)))

    threads = [threading.Thread(target=claim) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == [False] * (senders - 1) + [True]


# --- crawl runs --------------------------------------------------------------------------


def finish_ok(store: Store, run_id: str, records: int, health: Health = "healthy") -> None:
    store.finish_run(run_id, outcome="ok", counts={"records_extracted": records},
                     health=health, problems=[] if health == "healthy" else ["zero records"])


def test_runs_are_started_finished_and_listed_newest_first(store: Store) -> None:
    assert store.recent_runs("board", 5) == [] and store.last_runs() == {}
    assert store.last_finished_at("board") is None
    first = store.start_run("board", "monitor-a")
    finish_ok(store, first, 12)
    second = store.start_run("board", "monitor-a")
    store.finish_run(second, outcome="failed", counts={}, health="unhealthy",
                     problems=["crawl failed: timeout"], error="timeout")
    third = store.start_run("board", "monitor-a")
    other = store.start_run("forum", "monitor-a")
    finish_ok(store, other, 3, health="unhealthy")

    runs = store.recent_runs("board", 5)
    assert [r.id for r in runs] == [third, second, first]
    assert len({first, second, third, other}) == 4
    assert [r.id for r in store.recent_runs("board", 2)] == [third, second]
    newest, failed, oldest = runs
    assert (newest.outcome, newest.finished_at, newest.health) == ("running", None, "unknown")
    assert (failed.outcome, failed.health, failed.problems, failed.error) == (
        "failed", "unhealthy", ["crawl failed: timeout"], "timeout")
    assert oldest.counts == {"records_extracted": 12} and oldest.monitor == "monitor-a"
    assert oldest.started_at <= oldest.finished_at <= failed.started_at  # type: ignore[operator]
    assert {s: r.id for s, r in store.last_runs().items()} == {"board": third, "forum": other}
    assert store.last_runs()["forum"].problems == ["zero records"]
    assert store.last_finished_at("board") == failed.finished_at  # 'running' does not count
    with pytest.raises(NotFoundError):
        store.finish_run("no-such-run", outcome="ok", counts={}, health="healthy", problems=[])


def test_runs_of_two_monitors_are_shared_and_each_marks_only_its_own_abandoned(
        store: Store) -> None:
    finish_ok(store, store.start_run("board", "monitor-a"), 10)
    a_running = store.start_run("board", "monitor-a")
    b_running = store.start_run("forum", "monitor-b")
    assert {r.monitor for r in store.last_runs().values()} == {"monitor-a", "monitor-b"}
    assert [r.monitor for r in store.recent_runs("board", 5)] == ["monitor-a", "monitor-a"]

    assert store.mark_abandoned_runs("monitor-a") == 1  # monitor-a restarted
    [abandoned, finished] = store.recent_runs("board", 5)
    assert abandoned.id == a_running and abandoned.outcome == "interrupted"
    assert abandoned.finished_at is not None and abandoned.error
    assert finished.outcome == "ok"
    [alive] = store.recent_runs("forum", 5)  # monitor-b's crawl may well be running still
    assert (alive.id, alive.outcome, alive.finished_at) == (b_running, "running", None)
    assert store.mark_abandoned_runs("monitor-a") == 0
    finish_ok(store, b_running, 4)
    assert store.last_runs()["forum"].outcome == "ok"


def test_imported_runs_keep_their_times_and_a_repeated_import_adds_nothing(
        store: Store) -> None:
    current = store.start_run("board", "monitor-a")
    earlier = [Run(id=f"monitor-a-old-{n}", source="board", monitor="monitor-a",
                   started_at=BASE + timedelta(hours=n),
                   finished_at=BASE + timedelta(hours=n, minutes=5), outcome="ok",
                   counts={"records_extracted": n}, health="healthy", problems=[], error=None)
               for n in range(3)]
    assert store.import_runs(earlier) == 3
    assert store.import_runs(earlier) == 0
    runs = store.recent_runs("board", 10)
    assert [r.id for r in runs] == [current, "monitor-a-old-2", "monitor-a-old-1",
                                    "monitor-a-old-0"]
    assert runs[1] == earlier[2]
    assert store.last_runs()["board"].id == current
    assert store.last_finished_at("board") == BASE + timedelta(hours=2, minutes=5)
