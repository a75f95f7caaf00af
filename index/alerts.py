"""The alerts aggregate: alerts the monitors raised and their deliveries per channel.

They live with the records so that every monitor process (on any machine) shares one
de-duplication, and the review application lists them.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

AlertSubject = Literal["record", "campaign", "source"]
DeliveryStatus = Literal["pending", "sent", "failed"]


@dataclass(frozen=True)
class NewAlert:
    """An alert the monitor wants raised. ``key`` names the condition it is about (rule and
    subject, e.g. ``high-risk-my:record:<id>``): the store keeps one alert per key."""

    key: str
    rule: str
    kind: str
    subject_type: AlertSubject
    subject_id: str
    summary: str
    link: str
    details: dict[str, Any]


@dataclass(frozen=True)
class Alert(NewAlert):
    """An alert as kept: what it says, its link into the review application and each
    channel's delivery status. Never holds the ad's text."""

    created_at: datetime
    deliveries: dict[str, DeliveryStatus] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """An alert is known by its de-duplication key."""
        return self.key


@dataclass(frozen=True)
class PendingDelivery:
    """One alert still to send on one channel, and how many sends failed so far."""

    alert: Alert
    channel: str
    attempts: int


class AlertStore(abc.ABC):
    """Alerts and their deliveries, shared by every monitor."""

    @abc.abstractmethod
    def add_alert(self, alert: NewAlert, channels: Sequence[str]) -> Alert | None:
        """Keep ``alert`` with one pending delivery per channel, atomically: None (and
        nothing written) when an alert with the same key exists, even if another process
        adds it at the same moment."""

    @abc.abstractmethod
    def alert_keys(self, prefix: str) -> set[str]:
        """The keys of the alerts kept that start with ``prefix``."""

    @abc.abstractmethod
    def alerts(self, limit: int = 100, offset: int = 0) -> list[Alert]:
        """Alerts kept, newest first, within the first :data:`MAX_RESULT_WINDOW` (a
        ``ValueError`` past it)."""

    @abc.abstractmethod
    def pending_deliveries(self, channel: str, limit: int) -> list[PendingDelivery]:
        """Deliveries still to make on ``channel`` that nobody holds a claim on, oldest
        alert first."""

    @abc.abstractmethod
    def claim_delivery(self, alert_id: str, channel: str, lease: timedelta) -> bool:
        """Take the pending delivery for ``lease`` before sending it; False when another
        process holds it or it is no longer pending. Of several monitors that found the
        same pending delivery, one sends it. :meth:`record_delivery` ends the claim; a
        claim never ended (the sender died) lapses after ``lease``."""

    @abc.abstractmethod
    def release_delivery(self, alert_id: str, channel: str) -> None:
        """End a claim without an attempt: the delivery is pending for anyone again."""

    @abc.abstractmethod
    def deliveries_spent_since(self, channel: str, since: datetime) -> int:
        """How much of ``channel``'s rate limit is spent: alerts sent since ``since``, and
        those claimed now (being sent by some monitor)."""

    @abc.abstractmethod
    def record_delivery(self, alert_id: str, channel: str, status: DeliveryStatus,
                        error: str | None = None) -> None:
        """One attempt to send ``alert_id`` on ``channel`` and where it left the delivery."""
