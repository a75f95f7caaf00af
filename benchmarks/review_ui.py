"""Response times of the review application's queue and search pages over a large store.

Builds (or reuses) a SQLite store of synthetic but realistic records in the region's
languages, then times each page through the full application stack (routing, session,
CSRF middleware, store query, template rendering) with FastAPI's in-process test client,
so the figures are server time without network. The first request of each page is
reported on its own ("first ms": facet counts are computed then and cached for 60 s);
p50/p95 are over the following requests. Prints a table; ``--json PATH`` writes the
figures.

    .venv/bin/python -m benchmarks.review_ui --records 100000 --json out.json
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from benchmarks.machine import announce, write_figures
from index import open_store
from index.base import Store
from index.sqlite import SQLiteStore
from lurewatch.config import Settings, StoreSettings
from lurewatch.record import Ad, Contacts, Indicator, Label, Span
from review_ui.appdb import ReviewDB
from review_ui.main import create_app
from review_ui.security import hash_password

TEMPLATES = [
    ("ms", "MY", "Kerja kilang di {place}, gaji RM{pay} sebulan, tiada pengalaman diperlukan. "
     "Yuran proses RM{fee} dipotong dari gaji. Hubungi WhatsApp sahaja.",
     [("unrealistic_pay", "gaji RM"), ("worker_pays_fees", "Yuran proses")]),
    ("th", "TH", "รับสมัครพนักงานนวดหญิง อายุ 18-25 ปี ทำงานที่{place} รายได้ {pay} บาท "
     "ไม่ต้องมีประสบการณ์ ติดต่อไลน์เท่านั้น",
     [("targets_women_girls", "พนักงานนวดหญิง"), ("age_or_appearance_requirements", "อายุ 18-25 ปี")]),
    ("id", "ID", "Dicari pembantu rumah tangga untuk {place}, gaji {pay}, biaya visa RM{fee} "
     "dipotong dari gaji, paspor disimpan majikan.",
     [("debt_or_advance", "dipotong dari gaji"), ("passport_retained", "paspor disimpan")]),
    ("en", "MY", "Software engineer in {place}, 3 years Python experience, salary RM{pay}, "
     "EPF and SOCSO provided. Apply via the company site.", []),
    ("zh", "KH", "高薪招聘网络客服，{place}，月薪{pay}，包吃包住，公司保管护照，限女性，急招",
     [("scam_compound_pattern", "网络客服"), ("passport_retained", "公司保管护照")]),
    ("my", "MM", "ပတ်စပို့မလိုဘဲ {place} သို့ ပို့ပေးမည်။ လစာ {pay}",
     [("no_passport_needed", "ပတ်စပို့မလိုဘဲ")]),
]
PLACES = ["Johor", "Penang", "Kuala Lumpur", "Selangor", "Sabah", "Sarawak", "Melaka"]
SOURCES = ["jobboard_my", "fb_group_th", "telegram_mm", "mastodon_id", "rss_sg"]


def synthetic_records(n: int, seed: int = 7) -> Iterator[Ad]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(n):
        language, country, template, evidence = TEMPLATES[i % len(TEMPLATES)]
        text = template.format(place=rng.choice(PLACES), pay=rng.randrange(1500, 9000, 100),
                               fee=rng.randrange(500, 3000, 100)) + f" #{i}"
        indicators = []
        for indicator, phrase in evidence:
            at = text.find(phrase)
            if at >= 0:
                indicators.append(Indicator(id=indicator, score=round(rng.uniform(0.5, 1), 2),
                                            spans=[Span(start=at, end=at + len(phrase))]))
        label = Label.legitimate if not evidence else rng.choice(
            [Label.deceptive_recruitment, Label.deceptive_recruitment, Label.smuggling_offer,
             Label.legitimate])
        yield Ad(source=rng.choice(SOURCES), url=f"https://bench.example/ad/{i}",
                 posted_at=start + timedelta(minutes=5 * i), title=text[:40], text=text,
                 language=language, country=country, risk_label=label,
                 risk_score=round(rng.random(), 3), model_version="bench-1",
                 indicators=indicators, cluster_id=f"c{i % 5000}",
                 contacts=Contacts(phones=[f"+6012{i % 20000:07d}"]))


def build_store(store: Store, n: int) -> Store:
    have = store.count()
    if have < n:
        batch: list[Ad] = []
        for ad in synthetic_records(n):
            batch.append(ad)
            if len(batch) == 2000:
                store.upsert(batch)
                batch.clear()
        if batch:
            store.upsert(batch)
    return store


PAGES = {
    "queue (by score)": "/queue?sort=score",
    "queue facet counts (htmx)": "/queue/facets?sort=score",
    "queue (by age, language=ms)": "/queue?sort=age&language=ms",
    "queue page 20": "/queue?sort=score&page=20",
    "search 'gaji'": "/search?q=gaji",
    "search 'นวด' (Thai)": "/search?q=%E0%B8%99%E0%B8%A7%E0%B8%94",
    "search + filters": "/search?q=kilang&label=deceptive_recruitment&country=MY",
    "search, no text, facets": "/search",
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--store", type=Path, default=None,
                        help="SQLite file to build or reuse (default: a temporary one)")
    parser.add_argument("--opensearch-url", default=None,
                        help="time an OpenSearch store at this URL instead of SQLite "
                             "(index prefix lurewatch-bench, filled if short of --records)")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()
    machine = announce()

    work = Path(tempfile.mkdtemp(prefix="lurewatch-bench-"))
    if args.opensearch_url:
        kind = "opensearch"
        store: Store = open_store(StoreSettings(kind="opensearch", url=args.opensearch_url,
                                                index_prefix="lurewatch-bench",
                                                spool_path=work / "spool.db"))
    else:
        kind = "sqlite"
        store = SQLiteStore(args.store or work / "records.db")
    started = time.perf_counter()
    store = build_store(store, args.records)
    build_s = time.perf_counter() - started
    db = ReviewDB(work / "review.db")
    db.add_user("bench", hash_password("benchmark password"), "admin")
    client = TestClient(create_app(Settings(data_dir=work), store, db))
    client.get("/login")
    client.post("/login", data={"username": "bench", "password": "benchmark password",
                                "csrf_token": client.cookies.get("lw_csrf")})

    results = []
    for name, url in PAGES.items():
        t0 = time.perf_counter()
        client.get(url)  # the first request fills the facet cache; timed on its own
        cold_ms = (time.perf_counter() - t0) * 1000
        times = []
        for _ in range(args.requests):
            t0 = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url}: HTTP {response.status_code}")
        results.append({"page": name, "url": url, "requests": len(times),
                        "first_ms": round(cold_ms, 1),
                        "p50_ms": round(statistics.median(times), 1),
                        "p95_ms": round(percentile(times, 0.95), 1),
                        "max_ms": round(max(times), 1)})

    records = store.count()
    print(f"review UI over {records} records on {kind} (store ready in {build_s:.1f} s)")
    print(f"{'page':<32} {'first ms':>9} {'n':>4} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}")
    for row in results:
        print(f"{row['page']:<32} {row['first_ms']:>9} {row['requests']:>4} {row['p50_ms']:>9} "
              f"{row['p95_ms']:>9} {row['max_ms']:>9}")
    write_figures(args.json, {"store": kind, "records": records,
                              "store_build_s": round(build_s, 1), "pages": results,
                              "machine": machine})
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
