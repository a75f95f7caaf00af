"""Trends over time by indicator, label, country, sector, source and language; the gender
view; each chart's data as CSV."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from index.query import TREND_SPLITS, SearchFilters
from review_ui.deps import Reader, StoreDep
from review_ui.forms import Parsed, search_filters
from review_ui.services import charts
from review_ui.templating import render

router = APIRouter(prefix="/trends")
INTERVALS = ("day", "week", "month")


def _read(request: Request) -> tuple[Parsed, SearchFilters, str, str]:
    parsed = Parsed()
    params = request.query_params
    filters = search_filters(params, parsed)
    split = parsed.choice(params, "split", TREND_SPLITS, "label")
    interval = parsed.choice(params, "interval", INTERVALS, "week")
    return parsed, filters, split, interval


def _csv(body: str, name: str) -> Response:
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("")
def trends(request: Request, user: Reader, store: StoreDep) -> Response:
    parsed, filters, split, interval = _read(request)
    buckets = store.trends(filters, split, interval)  # type: ignore[arg-type]
    return render(request, "trends.html", page_title="Trends", chart=charts.line_chart(buckets),
                  split=split, splits=TREND_SPLITS, interval=interval, intervals=INTERVALS,
                  errors=parsed.errors, query=request.url.query)


@router.get("/data.csv")
def trends_csv(request: Request, user: Reader, store: StoreDep) -> Response:
    parsed, filters, split, interval = _read(request)
    buckets = store.trends(filters, split, interval)  # type: ignore[arg-type]
    body = charts.to_csv(("period", split, "count"),
                         ((b.period, b.key, b.count) for b in buckets))
    return _csv(body, f"lurewatch-trends-{split}-{interval}.csv")


@router.get("/gender")
def gender(request: Request, user: Reader, store: StoreDep) -> Response:
    parsed, filters, _, interval = _read(request)
    view = charts.gender_view(store, filters, interval)  # type: ignore[arg-type]
    return render(request, "gender.html", page_title="Gender view", view=view,
                  interval=interval, intervals=INTERVALS, errors=parsed.errors,
                  query=request.url.query)


@router.get("/gender.csv")
def gender_csv(request: Request, user: Reader, store: StoreDep) -> Response:
    parsed, filters, _, interval = _read(request)
    view = charts.gender_view(store, filters, interval)  # type: ignore[arg-type]
    body = charts.to_csv(
        ("sector", "flagged", "aimed_at_women_or_girls", "share_women_or_girls",
         "age_or_appearance_demands", "share_age_or_appearance"),
        ((r.sector, r.flagged, r.women, f"{r.women_share:.3f}", r.age_or_looks,
          f"{r.age_share:.3f}") for r in view.rows))
    return _csv(body, "lurewatch-gender-by-sector.csv")
