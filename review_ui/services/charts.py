"""Charts drawn on the server as SVG geometry (no chart script, nothing from a CDN), the
gender view, and every chart's data as CSV."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from index.base import Store
from index.query import Interval, SearchFilters, TrendBucket
from lurewatch.record import FLAGGED_LABELS

MAX_SERIES = 8  # more lines than this cannot be told apart; the rest are summed as "other"
WIDTH, HEIGHT, MARGIN_LEFT, MARGIN_BOTTOM = 760, 260, 48, 28


@dataclass
class Series:
    key: str
    css_class: str
    total: int
    points: str  # "x,y x,y …" for an SVG polyline
    dots: list[tuple[float, float, str, int]]  # x, y, period, count (for titles)


@dataclass
class Chart:
    width: int
    height: int
    series: list[Series]
    x_labels: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    periods: list[str]
    percent: bool = False  # values are shares: a series has no meaningful total

    @property
    def empty(self) -> bool:
        return not self.series


def line_chart(buckets: Iterable[TrendBucket], *, percent: bool = False) -> Chart:
    """One line per key over the periods; keys beyond the largest few are summed into
    "other" (or, for shares, left out)."""
    counts: dict[str, dict[str, float]] = defaultdict(dict)
    for bucket in buckets:
        counts[bucket.key][bucket.period] = counts[bucket.key].get(bucket.period, 0) + bucket.count
    periods = sorted({p for per_key in counts.values() for p in per_key})
    ranked = sorted(counts, key=lambda k: (-sum(counts[k].values()), k))
    if len(ranked) > MAX_SERIES and percent:
        ranked = ranked[:MAX_SERIES]  # shares cannot be summed into an "other" line
    elif len(ranked) > MAX_SERIES:
        other: dict[str, float] = defaultdict(float)
        for key in ranked[MAX_SERIES - 1:]:
            for period, n in counts[key].items():
                other[period] += n
        ranked = [*ranked[:MAX_SERIES - 1], "other"]
        counts["other"] = dict(other)
    top = max((n for k in ranked for n in counts[k].values()), default=0) or 1
    plot_w, plot_h = WIDTH - MARGIN_LEFT - 8, HEIGHT - MARGIN_BOTTOM - 8

    def x(i: int) -> float:
        return round(MARGIN_LEFT + (plot_w * i / (len(periods) - 1) if len(periods) > 1
                                    else plot_w / 2), 1)

    def y(n: float) -> float:
        return round(8 + plot_h * (1 - n / top), 1)

    series = []
    for number, key in enumerate(ranked):
        dots = [(x(i), y(counts[key].get(p, 0)), p, int(counts[key].get(p, 0)))
                for i, p in enumerate(periods)]
        series.append(Series(key, f"s{number}", int(sum(counts[key].values())),
                             " ".join(f"{dx},{dy}" for dx, dy, _, _ in dots), dots))
    step = max(1, len(periods) // 8)
    x_labels = [(x(i), p) for i, p in enumerate(periods) if i % step == 0]
    y_ticks = [(y(top * f), f"{top * f:.0f}{'%' if percent else ''}") for f in (0, 0.5, 1)]
    return Chart(WIDTH, HEIGHT, series, x_labels, y_ticks, periods, percent)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_safe(v) for v in row])
    return out.getvalue()


def _csv_safe(value: object) -> object:
    """Crawled values that a spreadsheet would run as a formula are quoted with a ``'``."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


# --- the gender view ---------------------------------------------------------------

WOMEN = "targets_women_girls"
AGE_OR_LOOKS = "age_or_appearance_requirements"


@dataclass(frozen=True)
class GenderRow:
    sector: str
    flagged: int
    women: int
    age_or_looks: int

    @property
    def women_share(self) -> float:
        return self.women / self.flagged if self.flagged else 0.0

    @property
    def age_share(self) -> float:
        return self.age_or_looks / self.flagged if self.flagged else 0.0


@dataclass
class GenderView:
    rows: list[GenderRow]
    share_chart: Chart  # share of flagged ads aimed at women or girls, over time, by sector


def _flagged(filters: SearchFilters, indicator: str | None = None) -> SearchFilters:
    labels = tuple(sorted(str(label) for label in FLAGGED_LABELS))
    return SearchFilters(
        labels=tuple(lab for lab in filters.labels if lab in labels) or labels,
        indicators=(indicator,) if indicator else filters.indicators,
        languages=filters.languages, sources=filters.sources, countries=filters.countries,
        posted_from=filters.posted_from, posted_to=filters.posted_to,
    )


def gender_view(store: Store, filters: SearchFilters, interval: Interval) -> GenderView:
    """Per sector: flagged ads, those aimed at women or girls, those with age or appearance
    demands; and the share aimed at women or girls over time."""
    flagged = store.trends(_flagged(filters), "sector", interval)
    women = store.trends(_flagged(filters, WOMEN), "sector", interval)
    looks = store.trends(_flagged(filters, AGE_OR_LOOKS), "sector", interval)

    def per_sector(buckets: list[TrendBucket]) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for b in buckets:
            totals[b.key] += b.count
        return totals

    flagged_by, women_by, looks_by = per_sector(flagged), per_sector(women), per_sector(looks)
    rows = sorted((GenderRow(sector, n, women_by.get(sector, 0), looks_by.get(sector, 0))
                   for sector, n in flagged_by.items()), key=lambda r: (-r.women, r.sector))
    all_flagged = {(b.period, b.key): b.count for b in flagged}
    shares = [TrendBucket(b.period, b.key, round(100 * b.count / all_flagged[(b.period, b.key)]))
              for b in women if all_flagged.get((b.period, b.key))]
    return GenderView(rows, line_chart(shares, percent=True))
