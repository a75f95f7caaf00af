"""A campaign's page: its records, size, first and last seen, and a timeline. Alerts about
a campaign (``monitor``) link here."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from classifiers.campaigns import stored_campaign
from index.errors import NotFoundError
from index.query import Interval, SearchFilters, SearchQuery
from review_ui.deps import Reader, StoreDep
from review_ui.services import charts
from review_ui.templating import render

router = APIRouter(prefix="/campaigns")
MAX_RECORDS = 500
DAILY_UP_TO = timedelta(days=45)  # longer campaigns are charted by week


@router.get("/{campaign_id}")
def campaign(request: Request, user: Reader, store: StoreDep, campaign_id: str) -> Response:
    group = stored_campaign(store, campaign_id)
    if group is None:
        raise NotFoundError(f"no campaign {campaign_id}")
    filters = SearchFilters(campaign_ids=(campaign_id,))
    members = store.search(SearchQuery(filters=filters, sort="age", size=MAX_RECORDS,
                                       facets=()))
    interval: Interval = "day" if group.last_seen - group.first_seen <= DAILY_UP_TO else "week"
    return render(request, "campaign.html", page_title=f"Campaign {campaign_id}",
                  group=group, records=[hit.record for hit in members.hits],
                  interval=interval, max_records=MAX_RECORDS,
                  chart=charts.line_chart(store.trends(filters, "label", interval)))
