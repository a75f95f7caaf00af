"""Alerts and their deliveries in an engine store (one document per alert, its
deliveries nested; every change is written over the version read)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from index.alerts import Alert, DeliveryStatus, NewAlert, PendingDelivery
from index.engine.base import CONFLICT_ATTEMPTS, EngineBase, EngineRequestError
from index.errors import NotFoundError, StoreError
from index.query import check_result_window


def _alert(source: dict[str, Any]) -> Alert:
    return Alert(key=source["key"], rule=source["rule"], kind=source["kind"],
                 subject_type=source["subject_type"], subject_id=source["subject_id"],
                 summary=source["summary"], link=source["link"], details=source["details"],
                 created_at=datetime.fromisoformat(source["created_at"]),
                 deliveries={d["channel"]: d["status"] for d in source["deliveries"]})


class EngineAlerts(EngineBase):
    """The alerts index."""

    def add_alert(self, alert: NewAlert, channels: Sequence[str]) -> Alert | None:
        self.ensure_index()
        now = datetime.now(UTC)
        body = {"key": alert.key, "rule": alert.rule, "kind": alert.kind,
                "subject_type": alert.subject_type, "subject_id": alert.subject_id,
                "summary": alert.summary, "link": alert.link, "details": alert.details,
                "created_at": now.isoformat(), "created_ns": time.time_ns(),
                "deliveries": [{"channel": c, "status": "pending", "attempts": 0}
                               for c in channels]}
        try:
            # create-only on the key as id: of two processes racing on one key, one wins.
            self.request(self.client.index, index=self.names.alerts, id=alert.key,
                         op_type="create", refresh="true", body=body)
        except EngineRequestError as exc:
            if exc.status == 409:
                return None
            raise
        return _alert(body)

    def alert_keys(self, prefix: str) -> set[str]:
        self.ensure_index()
        body: dict[str, Any] = {"query": {"prefix": {"key": prefix}}, "_source": False,
                                "size": 1000, "sort": [{"key": "asc"}],
                                "track_total_hits": False}
        keys: set[str] = set()
        while True:
            found = self.request(self.client.search, index=self.names.alerts, body=body)
            hits = found["hits"]["hits"]
            keys.update(hit["_id"] for hit in hits)
            if len(hits) < body["size"]:
                return keys
            body["search_after"] = hits[-1]["sort"]

    def alerts(self, limit: int = 100, offset: int = 0) -> list[Alert]:
        check_result_window(offset, limit)
        self.ensure_index()
        found = self.request(self.client.search, index=self.names.alerts, body={
            "query": {"match_all": {}}, "from": offset, "size": limit,
            "sort": [{"created_ns": "desc"}, {"key": "asc"}]})
        return [_alert(hit["_source"]) for hit in found["hits"]["hits"]]

    @staticmethod
    def _delivery_query(channel: str, status: str, *, sent_since: datetime | None = None,
                        claimed_at: datetime | None = None,
                        unclaimed_at: datetime | None = None) -> dict[str, Any]:
        filters: list[dict[str, Any]] = [{"term": {"deliveries.channel": channel}},
                                         {"term": {"deliveries.status": status}}]
        if sent_since is not None:
            filters.append({"range": {"deliveries.sent_at": {"gte": sent_since.isoformat()}}})
        if claimed_at is not None:
            filters.append({"range": {"deliveries.claimed_until": {
                "gte": claimed_at.isoformat()}}})
        claimed: list[dict[str, Any]] = []
        if unclaimed_at is not None:
            claimed.append({"range": {"deliveries.claimed_until": {
                "gte": unclaimed_at.isoformat()}}})
        return {"nested": {"path": "deliveries", "query": {"bool": {
            "filter": filters, "must_not": claimed}}}}

    def pending_deliveries(self, channel: str, limit: int) -> list[PendingDelivery]:
        self.ensure_index()
        found = self.request(self.client.search, index=self.names.alerts, body={
            "query": self._delivery_query(channel, "pending", unclaimed_at=datetime.now(UTC)),
            "size": limit,
            "sort": [{"created_ns": "asc"}, {"key": "asc"}]})
        pending = []
        for hit in found["hits"]["hits"]:
            attempts = next(d["attempts"] for d in hit["_source"]["deliveries"]
                            if d["channel"] == channel)
            pending.append(PendingDelivery(_alert(hit["_source"]), channel, attempts))
        return pending

    def deliveries_spent_since(self, channel: str, since: datetime) -> int:
        self.ensure_index()
        found = self.request(self.client.count, index=self.names.alerts, body={
            "query": {"bool": {"should": [
                self._delivery_query(channel, "sent", sent_since=since),
                self._delivery_query(channel, "pending", claimed_at=datetime.now(UTC))],
                "minimum_should_match": 1}}})
        return int(found["count"])

    def claim_delivery(self, alert_id: str, channel: str, lease: timedelta) -> bool:
        self.ensure_index()
        found, delivery = self._delivery(alert_id, channel)
        now = datetime.now(UTC)
        claimed_until = delivery.get("claimed_until")
        if delivery["status"] != "pending" or (
                claimed_until and datetime.fromisoformat(claimed_until) >= now):
            return False
        delivery["claimed_until"] = (now + lease).isoformat()
        try:
            self._write_delivery(alert_id, found)
        except EngineRequestError as exc:
            if exc.status == 409:
                return False  # someone changed it since we read it: theirs, then
            raise
        return True

    def record_delivery(self, alert_id: str, channel: str, status: DeliveryStatus,
                        error: str | None = None) -> None:
        def attempted(delivery: dict[str, Any]) -> None:
            delivery.update(status=status, attempts=delivery["attempts"] + 1,
                            last_error=error, claimed_until=None,
                            sent_at=datetime.now(UTC).isoformat() if status == "sent" else None)

        self._change_delivery(alert_id, channel, attempted)

    def release_delivery(self, alert_id: str, channel: str) -> None:
        def released(delivery: dict[str, Any]) -> None:
            if delivery["status"] == "pending":
                delivery["claimed_until"] = None

        self._change_delivery(alert_id, channel, released)

    def _change_delivery(self, alert_id: str, channel: str,
                         change: Callable[[dict[str, Any]], None]) -> None:
        """Apply ``change`` to the delivery over the version read, again on a conflict."""
        self.ensure_index()
        for _attempt in range(CONFLICT_ATTEMPTS):
            found, delivery = self._delivery(alert_id, channel)
            change(delivery)
            try:
                self._write_delivery(alert_id, found)
                return
            except EngineRequestError as exc:
                if exc.status != 409:
                    raise
        raise StoreError(f"alert {alert_id} kept changing; delivery on {channel} not recorded")

    def _delivery(self, alert_id: str, channel: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The alert document as read (with its version) and its delivery on ``channel``."""
        try:
            found = self.request(self.client.get, index=self.names.alerts, id=alert_id)
        except EngineRequestError as exc:
            if exc.status == 404:
                raise NotFoundError(f"no alert {alert_id}") from None
            raise
        delivery = next((d for d in found["_source"]["deliveries"]
                         if d["channel"] == channel), None)
        if delivery is None:
            raise NotFoundError(f"no delivery of alert {alert_id} on {channel}")
        return found, delivery

    def _write_delivery(self, alert_id: str, found: dict[str, Any]) -> None:
        # Only over the version read (409 otherwise): no other write is ever lost.
        self.request(self.client.index, index=self.names.alerts, id=alert_id,
                     body=found["_source"], if_seq_no=found["_seq_no"],
                     if_primary_term=found["_primary_term"], refresh="true")
