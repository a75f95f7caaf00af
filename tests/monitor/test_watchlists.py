"""Watchlists end to end: an entry made through the review application's API, a matching
record stored, and the alert raised once and delivered through the real channels to
their local receivers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from crawlers.stats import SourceStats
from index.base import Store
from lurewatch.config import Settings, Source
from lurewatch.record import Ad, Contacts
from monitor.alerts import Alerter
from monitor.scheduler import Monitor
from review_ui.api.tokens import issue_token
from tests.monitor.conftest import HttpReceiver, Mailbox
from tests.monitor.test_monitor import alert_settings
from tests.review_ui.conftest import Env, make_env
from tests.review_ui.seed import SHARED_PHONE


def _env(tmp_path: Path, mailbox: Mailbox, receiver: HttpReceiver) -> Env:
    channels = alert_settings(tmp_path, mailbox, receiver, []).alerts.model_dump()
    return make_env(tmp_path, review={"base_url": "https://review.example.org/"},
                    alerts=channels)


def _new_ad(n: int, phone: str, text: str = "Kerja kilang di Johor, hubungi kami.") -> Ad:
    return Ad(source="jobboard_my", url=f"https://jobs.example.my/new/{n}", title=f"Ad {n}",
              text=text, language="ms", country="MY", fetched_at=datetime.now(UTC),
              contacts=Contacts(phones=[phone]))


def _api(env: Env, username: str) -> TestClient:
    client = env.client()
    client.headers["Authorization"] = f"Bearer {issue_token(env.db, username)[1]}"
    return client


def test_watchlist_made_through_the_api_fires_once_for_a_matching_new_record(
        tmp_path: Path, smtp_server: Mailbox, http_receiver: HttpReceiver) -> None:
    env = _env(tmp_path, smtp_server, http_receiver)
    api = _api(env, "ivan")
    made = api.post("/api/v1/watchlists", json={"kind": "phone", "value": SHARED_PHONE})
    assert made.status_code == 201, made.text
    entry = made.json()
    assert entry["owner"] == "ivan" and entry["paused"] is False
    alerter = Alerter(env.settings, env.store)

    # The seeded records with that phone were stored before the entry: no alert.
    assert alerter.check_watchlists() == []
    # A new record with the number matches; one with another number does not.
    matching = _new_ad(1, SHARED_PHONE)
    env.store.upsert([matching, _new_ad(2, "+60199990000")])
    [alert] = alerter.check_watchlists()
    assert alert.subject_id == matching.id and alert.rule == "watchlist"
    assert alert.details["watchlist_id"] == entry["id"]
    assert alerter.deliver() == 3

    # Stored again, changed or not, and checked again: nothing more anywhere.
    env.store.upsert([_new_ad(1, SHARED_PHONE, text="Kerja kilang, gaji RM5000.")])
    assert alerter.check_watchlists() == []
    assert alerter.deliver() == 0
    [mail] = smtp_server.messages
    assert f"https://review.example.org/records/{matching.id}" in mail.get_content()
    [hook] = http_receiver.bodies("/hook")
    assert hook["subject_id"] == matching.id
    assert len(http_receiver.bodies("/bot123:abc/sendMessage")) == 1
    sent = mail.get_content() + json.dumps(http_receiver.posts)
    for private in (SHARED_PHONE, "Kerja kilang"):
        assert private not in sent
    env.store.close()


def test_paused_entries_and_saved_searches(tmp_path: Path, smtp_server: Mailbox,
                                           http_receiver: HttpReceiver) -> None:
    env = _env(tmp_path, smtp_server, http_receiver)
    api = _api(env, "ana")
    phone = api.post("/api/v1/watchlists", json={"kind": "phone", "value": "+60111111111"})
    search = api.post("/api/v1/watchlists", json={"kind": "search",
                                                  "value": "?q=kilang&country=MY"})
    assert search.status_code == 201, search.text
    assert api.post(f"/api/v1/watchlists/{phone.json()['id']}/pause").json()["paused"]
    alerter = Alerter(env.settings, env.store)

    ad = _new_ad(1, "+60111111111")
    env.store.upsert([ad, _new_ad(2, "+60122222222", text="Restaurant work in Penang.")])
    raised = alerter.check_watchlists()
    assert [(a.subject_id, a.details["watchlist_id"]) for a in raised] == [
        (ad.id, search.json()["id"])]
    # Resumed, the phone entry alerts on what was stored while it was paused, once.
    assert api.post(f"/api/v1/watchlists/{phone.json()['id']}/resume").status_code == 200
    assert [a.details["watchlist_id"] for a in alerter.check_watchlists()] == [
        phone.json()["id"]]
    assert alerter.check_watchlists() == []
    env.store.close()


def test_the_monitor_checks_watchlists_after_a_crawl(tmp_path: Path, smtp_server: Mailbox,
                                                     http_receiver: HttpReceiver) -> None:
    """The monitor's own wiring: it reads the entries from the review application's
    database and alerts after the crawl that stored the matching record."""
    env = _env(tmp_path, smtp_server, http_receiver)
    assert _api(env, "bea").post("/api/v1/watchlists", json={
        "kind": "phone", "value": "+60133333333"}).status_code == 201
    ad = _new_ad(1, "+60133333333")

    def crawl(source: Source, settings: Settings, store: Store) -> SourceStats:
        store.upsert([ad])
        return SourceStats(source=source.name)

    source = Source(name="papan", kind="jsonld", start_urls=["https://example.org/jobs"])
    monitor = Monitor(env.settings, [source], env.store, crawl=crawl)
    monitor.run_source("papan")
    [hook] = http_receiver.bodies("/hook")
    assert (hook["rule"], hook["subject_id"]) == ("watchlist", ad.id)
    monitor.run_source("papan")
    assert len(http_receiver.bodies("/hook")) == 1 and len(smtp_server.messages) == 1
    env.store.close()
