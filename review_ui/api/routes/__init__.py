"""One router per resource, as the pages have; :data:`router` collects them under
``/api/v1``."""

from fastapi import APIRouter

from review_ui.api.routes import (
    alerts,
    campaigns,
    cases,
    docs,
    models,
    pivots,
    records,
    sources,
    watchlists,
)
from review_ui.deps import API_PREFIX

router = APIRouter(prefix=API_PREFIX)
for module in (records, pivots, campaigns, cases, alerts, sources, models, watchlists,
               docs):
    router.include_router(module.router)
