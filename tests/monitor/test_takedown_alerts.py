"""Alert rule kind ``taken_down``: one alert per takedown of a flagged record."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from index.sqlite import SQLiteStore
from lurewatch.record import Label
from monitor.alerts import Alerter
from tests.monitor.test_monitor import alert_settings, high_risk_ad

GONE_AT = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)


def test_flagged_record_taken_down_alerts_once_per_takedown(tmp_path: Path) -> None:
    settings = alert_settings(tmp_path, None, None,
                              [{"name": "gone", "kind": "taken_down"}])
    store = SQLiteStore(tmp_path / "store.db")
    flagged = high_risk_ad(1, taken_down_at=GONE_AT)
    store.upsert([flagged, high_risk_ad(2),  # flagged, still up
                  high_risk_ad(3, risk_label=Label.legitimate, taken_down_at=GONE_AT)])
    alerter = Alerter(settings, store, channels={})

    [alert] = alerter.check_records()
    assert (alert.kind, alert.subject_id) == ("taken_down", flagged.id)
    assert alert.summary == ("Flagged record (deceptive_recruitment) from board taken down"
                             " on 2026-03-09 12:00 UTC")
    assert flagged.text not in str(alert.details) and flagged.url not in str(alert.details)
    assert alerter.check_records() == []

    store.upsert([flagged.model_copy(update={"taken_down_at": None})])  # it came back
    assert alerter.check_records() == []
    again = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)
    store.upsert([flagged.model_copy(update={"taken_down_at": again})])
    [second] = alerter.check_records()
    assert second.details["taken_down_at"] == again.isoformat()
