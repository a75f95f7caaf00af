"""Alerts and their deliveries in the embedded store."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from index.alerts import Alert, AlertStore, DeliveryStatus, NewAlert, PendingDelivery
from index.errors import NotFoundError
from index.query import check_result_window
from index.sqlite.schema import iso
from lurewatch.sqlite import Database


class SQLiteAlerts(AlertStore):
    """The ``alerts`` and ``alert_deliveries`` tables."""

    db: Database

    def add_alert(self, alert: NewAlert, channels: Sequence[str]) -> Alert | None:
        with self.db.write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO alerts (key, rule, kind, subject_type, subject_id,"
                " summary, link, details, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (alert.key, alert.rule, alert.kind, alert.subject_type, alert.subject_id,
                 alert.summary, alert.link, json.dumps(alert.details, ensure_ascii=False),
                 iso(datetime.now(UTC))))
            if cursor.rowcount == 0:
                return None
            seq = int(cursor.lastrowid or 0)
            db.executemany("INSERT INTO alert_deliveries (alert_seq, channel, status)"
                           " VALUES (?, ?, 'pending')", [(seq, c) for c in channels])
        return self._alerts("WHERE a.seq = ?", (seq,), limit=1)[0]

    def alert_keys(self, prefix: str) -> set[str]:
        rows = self.db.execute("SELECT key FROM alerts WHERE substr(key, 1, ?) = ?",
                                (len(prefix), prefix)).fetchall()
        return {row[0] for row in rows}

    def alerts(self, limit: int = 100, offset: int = 0) -> list[Alert]:
        check_result_window(offset, limit)
        return self._alerts("", (), limit=limit, offset=offset)

    def _alerts(self, where: str, params: tuple[Any, ...], *, limit: int,
                offset: int = 0) -> list[Alert]:
        rows = self.db.execute(
            f"SELECT * FROM alerts a {where} ORDER BY a.seq DESC LIMIT ? OFFSET ?",
            (*params, limit, offset)).fetchall()
        deliveries: dict[int, dict[str, DeliveryStatus]] = {row["seq"]: {} for row in rows}
        marks = ",".join("?" * len(deliveries))
        for row in self.db.execute("SELECT alert_seq, channel, status FROM alert_deliveries"
                                    f" WHERE alert_seq IN ({marks})", list(deliveries)):
            deliveries[row["alert_seq"]][row["channel"]] = row["status"]
        return [Alert(key=row["key"], rule=row["rule"], kind=row["kind"],
                      subject_type=row["subject_type"], subject_id=row["subject_id"],
                      summary=row["summary"], link=row["link"],
                      details=json.loads(row["details"]),
                      created_at=datetime.fromisoformat(row["created_at"]),
                      deliveries=deliveries[row["seq"]])
                for row in rows]

    def pending_deliveries(self, channel: str, limit: int) -> list[PendingDelivery]:
        rows = self.db.execute(
            "SELECT d.attempts, a.key FROM alert_deliveries d JOIN alerts a"
            " ON a.seq = d.alert_seq WHERE d.channel = ? AND d.status = 'pending'"
            " AND (d.claimed_until IS NULL OR d.claimed_until < ?)"
            " ORDER BY d.alert_seq LIMIT ?", (channel, iso(datetime.now(UTC)), limit)).fetchall()
        keys = [row["key"] for row in rows]
        by_key = {alert.key: alert for alert in self._alerts(
            f"WHERE a.key IN ({','.join('?' * len(keys))})", tuple(keys), limit=len(keys))}
        return [PendingDelivery(by_key[row["key"]], channel, row["attempts"]) for row in rows]

    def claim_delivery(self, alert_id: str, channel: str, lease: timedelta) -> bool:
        now = datetime.now(UTC)
        with self.db.write() as db:
            cursor = db.execute(
                "UPDATE alert_deliveries SET claimed_until = ? WHERE channel = ?"
                " AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < ?)"
                " AND alert_seq = (SELECT seq FROM alerts WHERE key = ?)",
                (iso(now + lease), channel, iso(now), alert_id))
            return cursor.rowcount == 1

    def release_delivery(self, alert_id: str, channel: str) -> None:
        with self.db.write() as db:
            db.execute("UPDATE alert_deliveries SET claimed_until = NULL WHERE channel = ?"
                       " AND status = 'pending'"
                       " AND alert_seq = (SELECT seq FROM alerts WHERE key = ?)",
                       (channel, alert_id))

    def deliveries_spent_since(self, channel: str, since: datetime) -> int:
        return int(self.db.execute(
            "SELECT count(*) FROM alert_deliveries WHERE channel = ?"
            " AND ((status = 'sent' AND sent_at >= ?)"
            " OR (status = 'pending' AND claimed_until >= ?))",
            (channel, iso(since), iso(datetime.now(UTC)))).fetchone()[0])

    def record_delivery(self, alert_id: str, channel: str, status: DeliveryStatus,
                        error: str | None = None) -> None:
        sent_at = iso(datetime.now(UTC)) if status == "sent" else None
        with self.db.write() as db:
            cursor = db.execute(
                "UPDATE alert_deliveries SET status = ?, attempts = attempts + 1,"
                " last_error = ?, sent_at = ?, claimed_until = NULL WHERE channel = ?"
                " AND alert_seq = (SELECT seq FROM alerts WHERE key = ?)",
                (status, error, sent_at, channel, alert_id))
            if cursor.rowcount == 0:
                raise NotFoundError(f"no delivery of alert {alert_id} on {channel}")
