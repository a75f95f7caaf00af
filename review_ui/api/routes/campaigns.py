"""One campaign: its summary and member records."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from classifiers.campaigns import stored_campaign
from index.errors import NotFoundError
from index.query import SearchFilters, SearchQuery
from review_ui.api.deps import ApiReader
from review_ui.api.schemas import CampaignPublic
from review_ui.deps import StoreDep
from review_ui.routes.campaigns import MAX_RECORDS

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


@router.get("/{campaign_id}", response_model=CampaignPublic)
def campaign(campaign_id: str, user: ApiReader, store: StoreDep) -> CampaignPublic:
    group = stored_campaign(store, campaign_id)
    if group is None:
        raise NotFoundError(f"no campaign {campaign_id}")
    members = store.search(SearchQuery(filters=SearchFilters(campaign_ids=(campaign_id,)),
                                       sort="age", size=MAX_RECORDS, facets=()))
    return CampaignPublic.model_validate(
        {**asdict(group), "records": [hit.record for hit in members.hits]})
