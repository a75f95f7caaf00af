"""A campaign's page: its records, size, first and last seen, and a timeline. Alerts about
a campaign (``lurewatch.monitor``) link here."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from index.base import Interval, NotFoundError, TrendBucket
from lurewatch.record import Ad
from review_ui.deps import Reader, StoreDep
from review_ui.services import charts
from review_ui.templating import render

router = APIRouter(prefix="/campaigns")
MAX_RECORDS = 500
DAILY_UP_TO = timedelta(days=45)  # longer campaigns are charted by week


def _period(when: datetime, interval: Interval) -> str:
    day = when.date()
    return (day - timedelta(days=day.weekday()) if interval == "week" else day).isoformat()


def timeline(ads: list[Ad], interval: Interval) -> list[TrendBucket]:
    """Records per day or week (by posting date, else fetch date) and risk label: the same
    buckets the store's trends give, for a set of records no filter selects."""
    counts = Counter((_period(ad.posted_at or ad.fetched_at, interval),
                      ad.risk_label.value if ad.risk_label else "unscored") for ad in ads)
    return [TrendBucket(period, label, n) for (period, label), n in sorted(counts.items())]


@router.get("/{campaign_id}")
def campaign(request: Request, user: Reader, store: StoreDep, campaign_id: str) -> Response:
    group = store.campaign(campaign_id)
    if group is None:
        raise NotFoundError(f"no campaign {campaign_id}")
    ads = [ad for ad in (store.get(i) for i in group.record_ids[:MAX_RECORDS]) if ad is not None]
    ads.sort(key=lambda ad: ad.posted_at or ad.fetched_at)
    interval: Interval = "day" if group.last_seen - group.first_seen <= DAILY_UP_TO else "week"
    return render(request, "campaign.html", page_title=f"Campaign {campaign_id}",
                  group=group, records=ads, interval=interval, max_records=MAX_RECORDS,
                  chart=charts.line_chart(timeline(ads, interval)))
