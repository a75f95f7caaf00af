"""Alert rules, their de-duplication, and delivery by e-mail, webhook and Telegram.

Every alert a rule raises is kept in the store (:meth:`index.base.Store.add_alert`) before
anything is sent, with one delivery per channel. The store keeps one alert per
de-duplication key, atomically, so monitor processes on several machines sharing one
store never raise the same alert twice; the review application lists the alerts from
there. Deliveries go out oldest first, at most ``alerts.max_per_hour`` per channel (the
rest wait their turn, they are not dropped) and are retried up to ``alerts.max_attempts``
times. An alert names the record, campaign or source and links to it in the review
application; it never carries the ad's text, title or contacts, which may hold personal
data.

De-duplication is by a key per condition: a record alerts once per rule, a campaign once
per rule and UTC day, a source once per rule and unhealthy streak, a record once per
watchlist entry it matches (:mod:`monitor.watchlists`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from email.message import EmailMessage
from typing import Any, Protocol

import httpx

from index.alerts import Alert, NewAlert
from index.base import Store
from index.query import SearchFilters, SearchQuery
from index.runs import Run
from lurewatch.config import (
    AlertRule,
    AlertSettings,
    ConfigError,
    EmailChannel,
    Settings,
    TelegramChannel,
    WebhookChannel,
)
from lurewatch.record import FLAGGED_LABELS, Ad
from monitor import metrics
from monitor.state import utcnow
from monitor.watchlists import ReviewDbWatchlists, Watch, WatchlistSource, review_db_path

log = logging.getLogger(__name__)
# How long a monitor holds a delivery it is sending; a monitor that dies mid-send leaves
# the delivery to others after this. Far above any channel's timeout.
DELIVERY_LEASE = timedelta(minutes=10)


def review_link(settings: Settings, subject_type: str, subject_id: str) -> str:
    """Where a person opens the alert's subject in the review application."""
    base = settings.review.base_url.rstrip("/")
    path = {"record": "records", "campaign": "campaigns", "source": "sources"}[subject_type]
    return f"{base}/{path}/{subject_id}"


# --- rules ----------------------------------------------------------------------------


def _record_filters(rule: AlertRule, score_min: float | None) -> SearchFilters:
    return SearchFilters(labels=tuple(rule.labels), countries=tuple(rule.countries),
                         indicators=tuple(rule.indicators), score_min=score_min)


def high_score_alerts(rule: AlertRule, store: Store,
                      settings: Settings) -> Iterable[NewAlert]:
    """One alert per record scored at or above ``score_min`` (in the rule's countries,
    indicators and labels) that this rule has not alerted on yet."""
    prefix = f"{rule.name}:record:"
    alerted = store.alert_keys(prefix)
    for ad in store.scan(_record_filters(rule, rule.score_min)):
        key = prefix + ad.id
        if key in alerted:
            continue
        label = ad.risk_label.value if ad.risk_label else "unlabelled"
        where = f" in {ad.country}" if ad.country else ""
        indicators = ad.indicator_ids()
        summary = (f"High-risk record ({label}, score {ad.risk_score:.2f}) from {ad.source}"
                   f"{where}" + (f": {', '.join(indicators)}" if indicators else ""))
        yield NewAlert(key, rule.name, rule.kind, "record", ad.id, summary,
                       review_link(settings, "record", ad.id), _record_details(ad))


def _record_details(ad: Ad) -> dict[str, Any]:
    # Deliberately no title, text, contacts, employer or URL: those may be personal data.
    return {"source": ad.source, "label": ad.risk_label.value if ad.risk_label else None,
            "score": ad.risk_score, "country": ad.country, "language": ad.language,
            "indicators": ad.indicator_ids(), "campaign_id": ad.campaign_id}


def taken_down_alerts(rule: AlertRule, store: Store,
                      settings: Settings) -> Iterable[NewAlert]:
    """One alert per takedown of a flagged record (the rule's labels, by default the
    flagged ones): an ad that comes back and is taken down again alerts again."""
    prefix = f"{rule.name}:record:"
    alerted = store.alert_keys(prefix)
    labels = tuple(rule.labels) or tuple(sorted(FLAGGED_LABELS))
    # The store has no takedown filter, so this walks the records the rule's filters keep.
    filters = replace(_record_filters(rule, None), labels=labels)
    for ad in store.scan(filters):
        if ad.taken_down_at is None:
            continue
        key = f"{prefix}{ad.id}:taken_down:{ad.taken_down_at.isoformat()}"
        if key in alerted:
            continue
        label = ad.risk_label.value if ad.risk_label else "unlabelled"
        summary = (f"Flagged record ({label}) from {ad.source} taken down on "
                   f"{ad.taken_down_at:%Y-%m-%d %H:%M} UTC")
        yield NewAlert(key, rule.name, rule.kind, "record", ad.id, summary,
                       review_link(settings, "record", ad.id),
                       {**_record_details(ad), "taken_down_at": ad.taken_down_at.isoformat()})


def campaign_growth_alerts(rule: AlertRule, store: Store,
                           settings: Settings) -> Iterable[NewAlert]:
    """One alert per campaign and UTC day when more than ``growth_per_day`` of its records
    were posted (or, with no posting date, first fetched) in the last 24 hours."""
    now = utcnow()
    since = now - timedelta(days=1)
    grown: Counter[str] = Counter()
    # The store has no campaign facet, so this walks the records the rule's filters keep.
    for ad in store.scan(_record_filters(rule, None)):
        when = ad.posted_at or ad.fetched_at
        if ad.campaign_id and when >= since:
            grown[ad.campaign_id] += 1
    alerted = store.alert_keys(f"{rule.name}:campaign:")
    for campaign_id, added in sorted(grown.items()):
        if added <= rule.growth_per_day:
            continue
        key = f"{rule.name}:campaign:{campaign_id}:{now.date().isoformat()}"
        if key in alerted:
            continue
        summary = (f"Campaign {campaign_id} grew by {added} records in 24 hours"
                   f" (rule: more than {rule.growth_per_day})")
        yield NewAlert(key, rule.name, rule.kind, "campaign", campaign_id, summary,
                       review_link(settings, "campaign", campaign_id),
                       {"added_last_24h": added, "threshold": rule.growth_per_day})


WATCH_RULE = "watchlist"
# Newest hits looked at per entry and check: checks run minutes apart, so more new
# matches than this between two of them means a search too broad to watch.
MAX_MATCHES_PER_CHECK = 500


def watchlist_alerts(watches: Iterable[Watch], store: Store,
                     settings: Settings) -> Iterable[NewAlert]:
    """One alert per watchlist entry and record stored (new or changed: re-storing an
    unchanged record keeps its ``fetched_at``) since the entry was made, once each."""
    alerted = store.alert_keys(f"{WATCH_RULE}:")
    for watch in watches:
        found = store.search(SearchQuery(
            text=watch.query.text, filters=watch.query.filters, sort="newest",
            size=MAX_MATCHES_PER_CHECK, facets=(), highlight=False))
        what = "saved search" if watch.kind == "search" else watch.kind
        for ad in (hit.record for hit in found.hits):
            key = f"{WATCH_RULE}:{watch.id}:record:{ad.id}"
            if ad.fetched_at < watch.created_at or key in alerted:
                continue
            # The entry goes by number, not value: a pinned phone or name is personal data.
            summary = f"Watchlist entry {watch.id} ({what}, of {watch.owner}) matched a record"
            yield NewAlert(key, WATCH_RULE, WATCH_RULE, "record", ad.id, summary,
                           review_link(settings, "record", ad.id),
                           _record_details(ad) | {"watchlist_id": watch.id,
                                                  "watchlist_owner": watch.owner})


def unhealthy_source_alert(rule: AlertRule, source: str, runs: list[Run],
                           settings: Settings) -> NewAlert | None:
    """An alert when the source's latest ``unhealthy_runs`` finished crawls were all
    unhealthy; keyed by the streak's first run, so one streak alerts once. The key holds
    that run's start time, not its id: the same in a copy of the run (an older monitor
    database's runs are copied into the store under new ids)."""
    streak: list[Run] = []
    for run in runs:  # newest first
        if run.outcome in ("running", "interrupted"):
            continue
        if run.health != "unhealthy":
            break
        streak.append(run)
    if len(streak) < rule.unhealthy_runs:
        return None
    first, latest = streak[-1], streak[0]
    summary = (f"Source {source} unhealthy for {len(streak)} runs in a row: "
               + "; ".join(latest.problems or [latest.error or "crawl failed"]))
    key = f"{rule.name}:source:{source}:{first.started_at.isoformat()}"
    return NewAlert(key, rule.name, rule.kind, "source",
                    source, summary, review_link(settings, "source", source),
                    {"runs": len(streak), "since": first.started_at.isoformat(),
                     "problems": latest.problems})


# --- channels ---------------------------------------------------------------------------


class AlertChannel(Protocol):
    name: str

    def send(self, alert: Alert) -> None:
        """Deliver one alert or raise."""


def _plain_text(alert: Alert) -> str:
    lines = [alert.summary, "", f"Open: {alert.link}", ""]
    lines += [f"{key}: {value}" for key, value in alert.details.items() if value not in (None, [])]
    raised = f"{alert.created_at:%Y-%m-%d %H:%M} UTC"
    lines += ["", f"Rule {alert.rule}, alert {alert.id}, raised {raised}"]
    return "\n".join(lines)


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The JSON body webhooks receive."""
    return {"id": alert.id, "rule": alert.rule, "kind": alert.kind,
            "subject_type": alert.subject_type, "subject_id": alert.subject_id,
            "summary": alert.summary, "link": alert.link, "details": alert.details,
            "created_at": alert.created_at.isoformat()}


class EmailSender:
    name = "email"

    def __init__(self, config: EmailChannel) -> None:
        self.config = config

    def send(self, alert: Alert) -> None:
        message = EmailMessage()
        message["Subject"] = f"[Lurewatch] {alert.summary[:150]}"
        message["From"] = self.config.sender
        message["To"] = ", ".join(self.config.recipients)
        message.set_content(_plain_text(alert))
        with smtplib.SMTP(self.config.host, self.config.port,
                          timeout=self.config.timeout_seconds) as smtp:
            if self.config.starttls:
                smtp.starttls()
            if self.config.username:
                smtp.login(self.config.username, self.config.password or "")
            smtp.send_message(message)


class WebhookSender:
    name = "webhook"

    def __init__(self, config: WebhookChannel) -> None:
        self.config = config

    def send(self, alert: Alert) -> None:
        body = json.dumps(alert_payload(alert)).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.config.secret:
            digest = hmac.new(self.config.secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Lurewatch-Signature"] = f"sha256={digest}"
        response = httpx.post(self.config.url, content=body, headers=headers,
                              timeout=self.config.timeout_seconds)
        response.raise_for_status()


class TelegramSender:
    name = "telegram"

    def __init__(self, config: TelegramChannel) -> None:
        self.config = config

    def send(self, alert: Alert) -> None:
        url = f"{self.config.api_base.rstrip('/')}/bot{self.config.bot_token}/sendMessage"
        response = httpx.post(url, json={"chat_id": self.config.chat_id,
                                         "text": f"{alert.summary}\n{alert.link}",
                                         "disable_web_page_preview": True},
                              timeout=self.config.timeout_seconds)
        response.raise_for_status()
        if not response.json().get("ok", False):
            raise RuntimeError(f"Telegram refused the message: {response.text[:200]}")


def configured_channels(config: AlertSettings) -> dict[str, AlertChannel]:
    """The channels set in configuration; a rule naming one that is not set is an error."""
    channels: dict[str, AlertChannel] = {}
    if config.email:
        channels["email"] = EmailSender(config.email)
    if config.webhook:
        channels["webhook"] = WebhookSender(config.webhook)
    if config.telegram:
        channels["telegram"] = TelegramSender(config.telegram)
    for rule in config.rules:
        missing = [c for c in rule.channels if c not in channels]
        if missing:
            raise ConfigError(f"alerts.rules.{rule.name}: channel {', '.join(missing)}"
                              " is not configured (add an alerts."
                              f"{missing[0]} section)")
    return channels


# --- the engine ------------------------------------------------------------------------


class Alerter:
    """Raises alerts from the rules, keeps them in the store, and delivers them. The
    source rules judge the run history in the store, every monitor's crawls together."""

    def __init__(self, settings: Settings, store: Store,
                 channels: dict[str, AlertChannel] | None = None,
                 watchlists: WatchlistSource | None = None) -> None:
        self.settings = settings
        self.store = store
        self.channels = (configured_channels(settings.alerts)
                         if channels is None else channels)
        self.watchlists = watchlists or ReviewDbWatchlists(review_db_path(settings))

    def _raise(self, rule: AlertRule, alerts: Iterable[NewAlert]) -> list[Alert]:
        return self._keep(rule.name, rule.channels or list(self.channels), alerts)

    def _keep(self, rule_name: str, targets: list[str],
              alerts: Iterable[NewAlert]) -> list[Alert]:
        kept = []
        for new in alerts:
            alert = self.store.add_alert(new, targets)
            if alert is not None:
                metrics.ALERTS.labels(rule=rule_name).inc()
                log.info("alert %s: %s", alert.id, alert.summary)
                kept.append(alert)
        return kept

    def check_records(self) -> list[Alert]:
        """Run the record and campaign rules over the store."""
        raised = []
        for rule in self.settings.alerts.rules:
            if rule.kind == "high_score":
                raised += self._raise(rule, high_score_alerts(rule, self.store, self.settings))
            elif rule.kind == "taken_down":
                raised += self._raise(rule, taken_down_alerts(rule, self.store, self.settings))
            elif rule.kind == "campaign_growth":
                raised += self._raise(rule, campaign_growth_alerts(
                    rule, self.store, self.settings))
        return raised

    def check_watchlists(self) -> list[Alert]:
        """Alert on the records new or changed since each active watchlist entry was
        made, through every configured channel."""
        return self._keep(WATCH_RULE, list(self.channels), watchlist_alerts(
            self.watchlists.active_watches(), self.store, self.settings))

    def check_source(self, source: str) -> list[Alert]:
        """Run the source rules after a crawl of ``source``."""
        raised = []
        for rule in self.settings.alerts.rules:
            if rule.kind != "source_unhealthy":
                continue
            runs = self.store.recent_runs(source, limit=max(50, rule.unhealthy_runs * 5))
            new = unhealthy_source_alert(rule, source, runs, self.settings)
            raised += self._raise(rule, [new] if new else [])
        return raised

    def deliver(self) -> int:
        """Send what is pending, within each channel's hourly budget; returns how many
        went out. Each delivery is claimed in the store first, so monitors sharing the
        store never send it twice, and a claim counts against the budget, so together they
        never send more than it. A failed send stays pending until ``max_attempts``."""
        config = self.settings.alerts
        sent = 0
        for name, channel in self.channels.items():
            hour_ago = utcnow() - timedelta(hours=1)
            budget = config.max_per_hour - self.store.deliveries_spent_since(name, hour_ago)
            if budget <= 0:
                continue
            for pending in self.store.pending_deliveries(name, budget):
                if not self.store.claim_delivery(pending.alert.id, name, DELIVERY_LEASE):
                    continue  # another monitor is sending this one
                if self.store.deliveries_spent_since(name, hour_ago) > config.max_per_hour:
                    # Other monitors spent the budget since it was read; with every claim
                    # counted before its send, together they never go over it.
                    self.store.release_delivery(pending.alert.id, name)
                    break
                try:
                    channel.send(pending.alert)
                except Exception as exc:  # any failure of any channel: keep it and retry
                    give_up = pending.attempts + 1 >= config.max_attempts
                    log.warning("alert %s via %s failed%s: %s", pending.alert.id, name,
                                " (giving up)" if give_up else "", exc)
                    self.store.record_delivery(pending.alert.id, name,
                                               "failed" if give_up else "pending",
                                               error=str(exc)[:500])
                    metrics.ALERT_DELIVERIES.labels(channel=name, outcome="failed").inc()
                    break  # the channel is likely down: the rest wait for the next round
                self.store.record_delivery(pending.alert.id, name, "sent")
                metrics.ALERT_DELIVERIES.labels(channel=name, outcome="sent").inc()
                sent += 1
        return sent
