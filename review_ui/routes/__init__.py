"""One router per resource; ``ROUTERS`` is what the app factory mounts."""

from review_ui.routes import (
    admin,
    alerts,
    auth,
    bulk,
    campaigns,
    cases,
    maintain,
    models,
    pivots,
    queue,
    records,
    search,
    sources,
    trends,
    watchlists,
)

ROUTERS = (
    auth.router,
    queue.router,
    records.router,
    bulk.router,
    search.router,
    pivots.router,
    trends.router,
    alerts.router,
    watchlists.router,
    campaigns.router,
    sources.router,
    cases.router,
    maintain.router,
    models.router,
    admin.router,
)
