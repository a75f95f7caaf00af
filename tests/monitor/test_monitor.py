"""The monitor: health judgement, schedules, alert rules and their delivery over real
local SMTP and HTTP receivers."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawlers.health import assess
from crawlers.stats import SourceStats
from index.base import Store
from index.engine.clients import open_engine_store
from index.runs import ABANDONED_RUN_ERROR, Run
from index.sqlite import SQLiteStore
from lurewatch.config import HealthThresholds, Settings, Source
from lurewatch.record import Ad, Indicator, Label, Span
from monitor import metrics
from monitor.alerts import Alerter
from monitor.scheduler import CrawlSlots, Monitor, first_run_time
from monitor.state import MonitorState
from tests.monitor.conftest import HttpReceiver, Mailbox, Outage
from tests.support.opensearch.fixtures import engine_settings

LIMITS = HealthThresholds()


def crawled(**counts: object) -> SourceStats:
    return SourceStats(source="board", **counts)  # type: ignore[arg-type]


USUAL = crawled(pages_fetched=12, records_extracted=40, new=5, already_seen=35, no_date=4)

# --- health ------------------------------------------------------------------------------


def test_a_normal_crawl_is_healthy() -> None:
    report = assess(USUAL, [USUAL, USUAL], LIMITS)
    assert (report.health, report.problems) == ("healthy", [])


def test_pages_without_records_is_a_silent_layout_change() -> None:
    report = assess(crawled(pages_fetched=12, records_extracted=0), [USUAL], LIMITS)
    assert report.health == "unhealthy"
    assert "12 pages fetched but no records found" in report.problems[0]


def test_an_incremental_crawl_with_nothing_new_is_healthy() -> None:
    nothing_new = crawled(pages_fetched=2, records_extracted=0, already_seen=40)
    assert assess(nothing_new, [USUAL], LIMITS).health == "healthy"


def test_nothing_fetched_is_unhealthy() -> None:
    assert assess(crawled(), [], LIMITS).health == "unhealthy"


@pytest.mark.parametrize(("bans", "health"), [(3, "degraded"), (9, "unhealthy")])
def test_bans_and_captcha_pages(bans: int, health: str) -> None:
    counts = crawled(pages_fetched=10, records_extracted=30, http_status={"429": bans - 1},
                     rejected={"bot_challenge": 1})
    report = assess(counts, [USUAL], LIMITS)
    assert report.health == health
    assert any("bans" in problem for problem in report.problems)


def test_more_records_without_text_than_usual_is_degraded() -> None:
    counts = crawled(pages_fetched=12, records_extracted=40, empty_text=30)
    report = assess(counts, [USUAL] * 3, LIMITS)
    assert report.health == "degraded"
    assert report.problems == ["75% of records have empty text (usually 0%)"]


def test_a_source_that_never_has_dates_is_not_flagged_for_it() -> None:
    dateless = crawled(pages_fetched=5, records_extracted=20, no_date=20)
    assert assess(dateless, [dateless] * 3, LIMITS).health == "healthy"
    assert assess(dateless, [USUAL] * 3, LIMITS).health == "degraded"


def test_far_fewer_records_than_usual_is_degraded() -> None:
    report = assess(crawled(pages_fetched=12, records_extracted=3, already_seen=4),
                    [USUAL] * 4, LIMITS)
    assert report.health == "degraded"
    assert report.problems == ["7 records found, usually 75"]


# --- schedules ---------------------------------------------------------------------------

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_after_downtime_an_overdue_source_runs_once_now() -> None:
    hourly = IntervalTrigger(hours=1)
    assert first_run_time(hourly, None, NOW) == NOW
    assert first_run_time(hourly, NOW - timedelta(days=3), NOW) == NOW
    assert first_run_time(hourly, NOW - timedelta(minutes=20), NOW) == NOW + timedelta(minutes=40)
    nightly = CronTrigger.from_crontab("0 3 * * *", timezone="UTC")
    assert first_run_time(nightly, NOW - timedelta(days=2), NOW) == NOW
    assert first_run_time(nightly, NOW - timedelta(hours=2), NOW) == datetime(
        2026, 11, 28, 3, 0, tzinfo=UTC)


def test_a_store_that_is_down_skips_the_crawl_and_the_monitor_goes_on(tmp_path: Path) -> None:
    """A search engine that does not answer (nothing listens on the discard port): the
    crawl waits for it, as it waits for Redis, and is counted as skipped."""
    source = Source(name="papan", kind="jsonld", start_urls=["https://example.org/jobs"])
    crawls: list[str] = []

    def crawl(source: Source, settings: Settings, store: Store) -> SourceStats:
        crawls.append(source.name)
        return SourceStats(source=source.name)

    skipped = {"source": "papan", "outcome": "skipped_no_store"}
    before = metrics.REGISTRY.get_sample_value("lurewatch_crawls_total", skipped) or 0
    down = engine_settings("http://127.0.0.1:9", tmp_path, bulk_max_retries=0)
    with open_engine_store(down) as store:
        monitor = Monitor(Settings(data_dir=tmp_path), [source], store, crawl=crawl)
        monitor.run_source("papan")
    assert crawls == []
    assert metrics.REGISTRY.get_sample_value("lurewatch_crawls_total", skipped) == before + 1


@pytest.mark.opensearch
def test_a_crawl_that_outlives_the_store_is_recorded_when_the_store_is_back(
        tmp_path: Path, store_link: Outage) -> None:
    """The search engine goes down while a crawl runs: the crawl's end waits in the
    monitor and is written, judged, at the next alert check once the engine answers."""
    source = Source(name="papan", kind="jsonld", start_urls=["https://example.org/jobs"])

    def crawl(source: Source, settings: Settings, store: Store) -> SourceStats:
        store_link.cut()
        return USUAL

    settings = engine_settings(store_link.url, tmp_path, bulk_max_retries=0)
    with open_engine_store(settings) as store:
        monitor = Monitor(Settings(data_dir=tmp_path), [source], store, crawl=crawl)
        monitor.run_source("papan")
        store_link.restore()
        assert [run.outcome for run in store.recent_runs("papan", 5)] == ["running"]

        monitor.check_alerts()
        runs = store.recent_runs("papan", 5)
        assert [(run.outcome, run.health) for run in runs] == [("ok", "healthy")]
        assert runs[0].counts["records_extracted"] == USUAL.records_extracted
        assert runs[0].problems == ["not compared with earlier runs (store unavailable)"]
        monitor.check_alerts()  # written once: nothing waits any more
        assert len(store.recent_runs("papan", 5)) == 1


@pytest.mark.opensearch
def test_a_run_end_the_store_missed_before_shutdown_is_recorded_at_the_next_start(
        tmp_path: Path, store_link: Outage) -> None:
    """The engine goes down mid-crawl and the monitor is stopped before it is back: the
    run's end waits in the monitor database, and the next start records it as it was
    (not as an abandoned crawl)."""
    source = Source(name="papan", kind="jsonld", start_urls=["https://example.org/jobs"],
                    interval_minutes=60)
    crawls: list[str] = []

    def crawl(source: Source, settings: Settings, store: Store) -> SourceStats:
        crawls.append(source.name)
        store_link.cut()
        return USUAL

    settings = Settings(data_dir=tmp_path, monitor={"metrics_port": None})
    with open_engine_store(engine_settings(store_link.url, tmp_path,
                                           bulk_max_retries=0)) as store:
        stopped = Monitor(settings, [source], store, crawl=crawl)
        stopped.run_source("papan")
        stopped.stop()
        store_link.restore()
        assert [run.outcome for run in store.recent_runs("papan", 5)] == ["running"]

        restarted = Monitor(settings, [source], store, crawl=crawl)
        restarted.start()
        restarted.stop()
        [run] = store.recent_runs("papan", 5)
        assert (run.outcome, run.health, run.error) == ("ok", "healthy", None)
        assert run.counts["records_extracted"] == USUAL.records_extracted
        assert crawls == ["papan"]  # just finished: not crawled again at the restart
        assert MonitorState.for_settings(settings).unrecorded_runs() == []


def test_waiting_crawls_start_by_priority_and_give_up_on_shutdown() -> None:
    slots = CrawlSlots(1)
    assert slots.acquire(priority=0)
    started: list[int] = []

    def wait_for_slot(priority: int) -> None:
        if slots.acquire(priority):
            started.append(priority)
            slots.release()

    waiters = [threading.Thread(target=wait_for_slot, args=(p,)) for p in (1, 5, 3)]
    for waiter in waiters:
        waiter.start()
        time.sleep(0.05)
    assert slots.waiting == 3
    slots.release()
    for waiter in waiters:
        waiter.join(5)
    assert started == [5, 3, 1]

    assert slots.acquire(priority=0)
    late = threading.Thread(target=wait_for_slot, args=(9,))
    late.start()
    time.sleep(0.05)
    slots.close()
    late.join(5)
    assert not late.is_alive() and started == [5, 3, 1]


# --- alerts ------------------------------------------------------------------------------

AD_TEXT = ("Kerja kilang di Johor, gaji RM9000 sebulan. Yuran visa RM3000 potong gaji. "
           "Passport disimpan majikan. WhatsApp +60 12-345 6789 sahaja.")


def high_risk_ad(n: int, **changes: object) -> Ad:
    fields: dict[str, object] = dict(
        source="board", url=f"https://jobs.example.my/iklan/{n}", title="Kerja kilang Johor",
        text=AD_TEXT, language="ms", country="MY", risk_label=Label.deceptive_recruitment,
        risk_score=0.96,
        indicators=[Indicator(id="worker_pays_fees", score=0.9,
                              spans=[Span(start=44, end=70, text=AD_TEXT[44:70])])])
    fields.update(changes)
    return Ad(**fields)  # type: ignore[arg-type]


def alert_settings(tmp_path: Path, mailbox: Mailbox | None, receiver: HttpReceiver | None,
                   rules: list[dict[str, object]], **alerts: object) -> Settings:
    channels: dict[str, object] = {}
    if mailbox:
        channels["email"] = {"host": mailbox.host, "port": mailbox.port, "starttls": False,
                             "sender": "lurewatch@example.org",
                             "recipients": ["analysts@example.org"]}
    if receiver:
        channels["webhook"] = {"url": f"{receiver.base_url}/hook", "secret": "s3cret"}
        channels["telegram"] = {"api_base": receiver.base_url, "bot_token": "123:abc",
                                "chat_id": "-100200"}
    return Settings(data_dir=tmp_path, review={"base_url": "https://review.example.org/"},
                    alerts={"rules": rules, **channels, **alerts})


HIGH_SCORE_MY = {"name": "high-risk-my", "kind": "high_score", "score_min": 0.9,
                 "countries": ["MY"]}


def test_high_score_record_alerts_once_on_every_channel_without_the_ad_text(
        tmp_path: Path, smtp_server: Mailbox, http_receiver: HttpReceiver) -> None:
    settings = alert_settings(tmp_path, smtp_server, http_receiver, [HIGH_SCORE_MY])
    store = SQLiteStore(tmp_path / "store.db")
    ad = high_risk_ad(1)
    store.upsert([ad, high_risk_ad(2, country="TH"), high_risk_ad(3, risk_score=0.5)])
    alerter = Alerter(settings, store)

    raised = alerter.check_records()
    assert [a.subject_id for a in raised] == [ad.id]
    assert alerter.deliver() == 3
    link = f"https://review.example.org/records/{ad.id}"

    [mail] = smtp_server.messages
    body = mail.get_content()
    assert mail["Subject"] == ("[Lurewatch] High-risk record (deceptive_recruitment, score 0.96)"
                               " from board in MY: worker_pays_fees")
    assert link in body and "worker_pays_fees" in body
    [hook] = http_receiver.posts[:1]
    path, headers, payload = hook
    assert path == "/hook" and payload["link"] == link and payload["subject_id"] == ad.id
    signed = hmac.new(b"s3cret", json.dumps(payload).encode(), hashlib.sha256).hexdigest()
    assert headers["X-Lurewatch-Signature"] == f"sha256={signed}"
    [telegram] = http_receiver.bodies("/bot123:abc/sendMessage")
    assert telegram["chat_id"] == "-100200" and link in telegram["text"]
    everything_sent = str(body) + json.dumps(http_receiver.posts)
    for private in ("Passport disimpan", "+60 12-345 6789", "Kerja kilang Johor", ad.url):
        assert private not in everything_sent

    # The same record again (re-crawled, re-scored): no second alert anywhere.
    store.upsert([high_risk_ad(1, risk_score=0.99)])
    assert alerter.check_records() == []
    assert alerter.deliver() == 0
    assert len(smtp_server.messages) == 1 and len(http_receiver.posts) == 2
    [kept] = store.alerts()
    assert kept.deliveries == {"email": "sent", "webhook": "sent", "telegram": "sent"}


def test_two_monitors_sharing_a_store_raise_and_send_each_alert_once(
        tmp_path: Path, http_receiver: HttpReceiver) -> None:
    """Two monitor processes, each with its own monitor database, one store: the alerts
    and their de-duplication live in the store, so the second monitor raises nothing."""
    settings = alert_settings(tmp_path, None, http_receiver,
                              [{**HIGH_SCORE_MY, "channels": ["webhook"]}])
    SQLiteStore(tmp_path / "store.db").upsert([high_risk_ad(1), high_risk_ad(2)])
    monitors = [Alerter(settings, SQLiteStore(tmp_path / "store.db")) for _ in range(2)]
    assert len(monitors[0].check_records()) == 2
    assert monitors[1].check_records() == []
    assert monitors[1].deliver() == 2 and monitors[0].deliver() == 0
    assert len(http_receiver.bodies("/hook")) == 2


def test_two_monitors_sending_together_stay_within_the_hourly_budget(
        tmp_path: Path, http_receiver: HttpReceiver) -> None:
    """The second monitor reads the budget while the first is sending (a slow receiver):
    the first one's claims count against it, so together they send no more than it."""
    settings = alert_settings(tmp_path, None, http_receiver,
                              [{**HIGH_SCORE_MY, "channels": ["webhook"]}], max_per_hour=3)
    SQLiteStore(tmp_path / "store.db").upsert([high_risk_ad(n) for n in range(6)])
    monitors = [Alerter(settings, SQLiteStore(tmp_path / "store.db")) for _ in range(2)]
    assert len(monitors[0].check_records()) == 6
    http_receiver.delay = 0.3
    sent: list[int] = []
    first = threading.Thread(target=lambda: sent.append(monitors[0].deliver()))
    first.start()
    time.sleep(0.15)  # the first send is under way
    sent.append(monitors[1].deliver())
    first.join()
    assert sum(sent) == 3 and len(http_receiver.bodies("/hook")) == 3
    assert monitors[0].deliver() + monitors[1].deliver() == 0  # the hour's budget is spent
    statuses = sorted(a.deliveries["webhook"] for a in monitors[0].store.alerts())
    assert statuses == ["pending"] * 3 + ["sent"] * 3


def test_rate_limited_alerts_wait_their_turn_and_failed_sends_are_retried(
        tmp_path: Path, http_receiver: HttpReceiver) -> None:
    settings = alert_settings(tmp_path, None, http_receiver,
                              [{**HIGH_SCORE_MY, "channels": ["webhook"]}], max_per_hour=2)
    store = SQLiteStore(tmp_path / "store.db")
    store.upsert([high_risk_ad(n) for n in range(3)])
    alerter = Alerter(settings, store)
    assert len(alerter.check_records()) == 3

    http_receiver.fail_with = 503
    assert alerter.deliver() == 0
    assert [a.deliveries for a in store.alerts()] == [{"webhook": "pending"}] * 3
    http_receiver.fail_with = None
    assert alerter.deliver() == 2  # the hourly budget
    assert alerter.deliver() == 0
    statuses = sorted(a.deliveries["webhook"] for a in store.alerts())
    assert statuses == ["pending", "sent", "sent"]


def test_campaign_growth_alerts_once_a_day(tmp_path: Path, http_receiver: HttpReceiver) -> None:
    rule = {"name": "campaign-surge", "kind": "campaign_growth", "growth_per_day": 3,
            "channels": ["webhook"]}
    settings = alert_settings(tmp_path, None, http_receiver, [rule])
    store = SQLiteStore(tmp_path / "store.db")
    recent = datetime.now(UTC) - timedelta(hours=2)
    old = datetime.now(UTC) - timedelta(days=5)
    store.upsert([high_risk_ad(n, campaign_id="camp-a", posted_at=recent) for n in range(4)]
                 + [high_risk_ad(10 + n, campaign_id="camp-b", posted_at=recent)
                    for n in range(3)]
                 + [high_risk_ad(20 + n, campaign_id="camp-c", posted_at=old)
                    for n in range(9)])
    alerter = Alerter(settings, store)
    [alert] = alerter.check_records()
    assert alert.subject_id == "camp-a" and alert.details["added_last_24h"] == 4
    assert alert.link == "https://review.example.org/campaigns/camp-a"
    store.upsert([high_risk_ad(5, campaign_id="camp-a", posted_at=recent)])
    assert alerter.check_records() == []
    assert alerter.deliver() == 1


def test_a_rule_naming_an_unset_channel_is_a_config_error(tmp_path: Path) -> None:
    from lurewatch.config import ConfigError

    settings = alert_settings(tmp_path, None, None, [{**HIGH_SCORE_MY, "channels": ["email"]}])
    with pytest.raises(ConfigError, match="channel email is not configured"):
        Alerter(settings, SQLiteStore(tmp_path / "s.db"))


def test_an_unhealthy_streak_alerts_once_and_a_new_streak_again(tmp_path: Path) -> None:
    from lurewatch.config import AlertRule
    from monitor.alerts import unhealthy_source_alert

    rule = AlertRule(name="broken", kind="source_unhealthy", unhealthy_runs=2)
    settings = Settings(data_dir=tmp_path)

    def runs(*healths: str) -> list[Run]:  # oldest first in, newest first out
        return [Run(id=str(n), source="board", monitor="monitor-a",
                    started_at=NOW + timedelta(minutes=n), finished_at=NOW + timedelta(minutes=n),
                    outcome="interrupted" if h == "interrupted" else "ok",
                    counts={}, health="unknown" if h == "interrupted" else h,  # type: ignore[arg-type]
                    problems=["no pages fetched"], error=None)
                for n, h in enumerate(healths, start=1)][::-1]

    assert unhealthy_source_alert(rule, "board", runs("healthy", "unhealthy"), settings) is None
    first = unhealthy_source_alert(rule, "board", runs("healthy", "unhealthy", "unhealthy"),
                                   settings)
    assert first is not None and first.link == "http://127.0.0.1:8000/sources/board"
    longer = unhealthy_source_alert(
        rule, "board", runs("healthy", "unhealthy", "unhealthy", "interrupted", "unhealthy"),
        settings)
    assert longer is not None and longer.key == first.key  # same streak
    again = unhealthy_source_alert(
        rule, "board", runs("healthy", "unhealthy", "unhealthy", "healthy", "unhealthy",
                            "unhealthy"), settings)
    assert again is not None and again.key != first.key


def test_status_shows_last_run_counts_health_and_next_run(tmp_path: Path) -> None:
    from rich.console import Console

    from monitor.status import status_rows, status_table

    settings = Settings(data_dir=tmp_path, store={"path": tmp_path / "store.db"})
    store = SQLiteStore(settings.store.path)
    store.finish_run(store.start_run("iklan-jawatan", "monitor-a"), outcome="ok",
                     health="healthy", counts=USUAL.to_dict(), problems=[])
    # The latest crawl was another machine's monitor: this machine shows it all the same.
    store.finish_run(store.start_run("iklan-jawatan", "monitor-b"), outcome="ok",
                     health="unhealthy", counts=crawled(pages_fetched=1).to_dict(),
                     problems=["1 pages fetched but no records found (layout changed?)"])
    MonitorState.for_settings(settings).set_next_run(
        "iklan-jawatan", datetime.now(UTC) + timedelta(minutes=30))

    rows = {row["source"]: row for row in json.loads(json.dumps(status_rows(settings, store)))}
    assert rows["kerjahub"]["last_run"] is None and rows["kerjahub"]["health"] == "unknown"
    broken = rows["iklan-jawatan"]
    assert broken["last_run"]["monitor"] == "monitor-b"
    assert (broken["health"], broken["counts"]["pages_fetched"]) == ("unhealthy", 1)
    assert broken["schedule"] == "every 60 min" and broken["next_run"]
    console = Console(record=True, width=200)
    console.print(status_table(list(rows.values())))
    table = console.export_text()
    assert "iklan-jawatan" in table and "layout changed?" in table and "in 30 min" in table


def test_runs_in_an_older_monitor_database_move_into_the_store_once(tmp_path: Path) -> None:
    """Before runs lived in the store, each monitor kept them in its monitor.db: the first
    start after the upgrade copies them over and drops them there, losing no history."""
    import sqlite3

    old = tmp_path / "monitor.db"
    with sqlite3.connect(old) as db:  # the runs table as the older monitor created it
        db.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT"
                   " NOT NULL, started_at TEXT NOT NULL, finished_at TEXT, outcome TEXT NOT"
                   " NULL, counts TEXT NOT NULL DEFAULT '{}', health TEXT NOT NULL DEFAULT"
                   " 'unknown', problems TEXT NOT NULL DEFAULT '[]', error TEXT)")
        db.executemany("INSERT INTO runs (source, started_at, finished_at, outcome, counts,"
                       " health, problems) VALUES (?, ?, ?, 'ok', ?, ?, ?)", [
                           ("board", (NOW + timedelta(hours=n)).isoformat(),
                            (NOW + timedelta(hours=n, minutes=3)).isoformat(),
                            json.dumps(USUAL.to_dict()), health, json.dumps(problems))
                           for n, (health, problems) in enumerate(
                               [("healthy", []), ("unhealthy", ["no pages fetched"])])])
    store = SQLiteStore(tmp_path / "store.db")
    newer = store.start_run("board", "monitor-b")  # another monitor already uses the store
    state = MonitorState(old)

    assert state.move_runs_to(store, "monitor-a") == 2
    assert state.move_runs_to(store, "monitor-a") == 0  # the old table is gone
    with sqlite3.connect(old) as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'runs'").fetchall() == []
    runs = store.recent_runs("board", 10)
    assert [(r.monitor, r.health) for r in runs] == [
        ("monitor-b", "unknown"), ("monitor-a", "unhealthy"), ("monitor-a", "healthy")]
    assert runs[0].id == newer and runs[1].problems == ["no pages fetched"]
    assert runs[2].started_at == NOW and runs[2].counts == USUAL.to_dict()
    assert store.last_finished_at("board") == NOW + timedelta(hours=1, minutes=3)


def test_two_monitors_on_one_host_each_mark_only_their_own_runs_abandoned(
        tmp_path: Path) -> None:
    """Two monitors on one machine, each with its own data folder, one store: starting
    one never marks the other's running crawl interrupted; restarting the first does."""
    store = SQLiteStore(tmp_path / "store.db")
    source = Source(name="papan", kind="jsonld", start_urls=["https://example.org/jobs"],
                    interval_minutes=60)

    def monitor(folder: str) -> Monitor:
        return Monitor(Settings(data_dir=tmp_path / folder, monitor={"metrics_port": None}),
                       [source], store, crawl=lambda *_: USUAL)

    first, second = monitor("a"), monitor("b")
    assert first.name != second.name
    assert first.name.startswith(socket.gethostname())
    assert monitor("a").name == first.name  # kept in its monitor database
    alive = store.start_run("papan", first.name)  # the first monitor's crawl, under way

    second.start()
    second.stop()
    assert {run.id: run.outcome for run in store.recent_runs("papan", 10)}[alive] == "running"

    restarted = monitor("a")
    restarted.start()
    restarted.stop()
    left = {run.id: run for run in store.recent_runs("papan", 10)}[alive]
    assert (left.outcome, left.error) == ("interrupted", ABANDONED_RUN_ERROR)
