"""Search in the region's languages, filters, paging, a store that is down, pivots, trends."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from tests.review_ui.conftest import (
    Env,
    make_env,
)
from tests.review_ui.seed import (
    BURMESE,
    CHINESE,
    MALAY,
    MALAY_COPY,
    RECORDS,
    SHARED_PHONE,
    THAI,
    records,
)


@pytest.mark.parametrize(("query", "expected", "absent"), [
    ("นวด", THAI, MALAY), ("gaji", MALAY, THAI), ("护照", CHINESE, THAI),
    ("ပတ်စပို့", BURMESE, MALAY)])
def test_search_in_the_region_languages(any_env: Env, query: str, expected, absent) -> None:
    env = any_env
    html = env.client("ivan").get("/search", params={"q": query}).text
    assert f"/records/{expected.id}" in html and f"/records/{absent.id}" not in html
    assert f"<mark>{query}</mark>" in html


def test_search_filters_facets_and_bad_input(env: Env) -> None:
    ivan = env.client("ivan")
    html = ivan.get("/search", params={"language": "ms", "label": "deceptive_recruitment"}).text
    assert f"/records/{MALAY.id}" in html and f"/records/{THAI.id}" not in html
    assert re.search(r'id="result-count">4 records', html)
    assert re.search(r">th</a> <span class=\"n\">1</span>", ivan.get("/search").text)
    bad = ivan.get("/search", params={"score_min": "high", "from": "yesterday", "page": "x"})
    assert bad.status_code == 200
    for message in ("score_min: 'high' is not a number", "from: 'yesterday' is not a date",
                    "page: 'x' is not a page number from 1 to 400"):
        assert message.replace("'", "&#39;") in bad.text
    # hostile text in the highlight fragment stays text
    xss = ivan.get("/search", params={"q": "window"}).text
    assert "<script>window" not in xss and "<mark>window</mark>" in xss


def test_paging_stops_at_the_result_window_on_every_store(any_env: Env) -> None:
    """Past the first 10,000 results the engines refuse a page; every store stops there,
    with a message instead of an error page."""
    ivan = any_env.client("ivan")
    last = ivan.get("/search", params={"page": "400"})  # 400 pages of 25: the last one
    assert last.status_code == 200 and "is not a page number" not in last.text
    beyond = ivan.get("/search", params={"page": "401"})
    assert beyond.status_code == 200
    assert "only the first 10,000 results can be paged through" in beyond.text
    queue = any_env.client("ana").get("/queue", params={"page": "201"})  # pages of 50
    assert queue.status_code == 200 and "from 1 to 200" in queue.text
    assert ivan.get("/alerts", params={"offset": "9900"}).status_code == 200
    assert ivan.get("/alerts", params={"offset": "9901"}).status_code == 400


def test_a_store_that_is_down_gives_a_clear_page_and_changes_nothing(
        tmp_path: Path) -> None:
    """A search engine that does not answer (nothing listens on the discard port)."""
    from index.engine.clients import OpenSearchStore
    from tests.support.opensearch.fixtures import engine_settings

    down = OpenSearchStore.from_settings(
        engine_settings("http://127.0.0.1:9", tmp_path, bulk_max_retries=0))
    env = make_env(tmp_path, down)  # its records wait in the spool
    ana = env.client("ana")
    for path in ("/queue", "/search?q=gaji", f"/records/{MALAY.id}", "/trends", "/alerts"):
        response = ana.get(path)
        assert response.status_code == 503, path
        assert "The record store is not answering just now" in response.text
        assert "Traceback" not in response.text
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert down.spool is not None and len(down.spool) == len(records())
    down.close()


def test_pivot_on_a_shared_phone_with_timeline(any_env: Env) -> None:
    env = any_env
    html = env.client("ivan").get("/pivot", params={"kind": "phone", "value": SHARED_PHONE}).text
    assert 'id="pivot-count">3 records share this phone' in html
    assert html.index(MALAY.id) < html.index(MALAY_COPY.id) < html.index(BURMESE.id)
    assert "<svg" in html and "<polyline" in html
    bad = env.client("ivan").get("/pivot", params={"kind": "shoe", "value": "x"})
    assert bad.status_code == 400 and "A pivot needs a kind" in bad.text


def test_trends_csv_and_gender_view(any_env: Env) -> None:
    env = any_env
    ivan = env.client("ivan")
    assert "<polyline" in ivan.get("/trends?split=indicator&interval=month").text
    data = ivan.get("/trends/data.csv?split=label&interval=month").text
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[0] == ["period", "label", "count"]
    assert sum(int(r[2]) for r in rows[1:]) == len(RECORDS)
    gender = {r["sector"]: r for r in csv.DictReader(io.StringIO(
        ivan.get("/trends/gender.csv?interval=month").text))}
    assert gender["massage"]["aimed_at_women_or_girls"] == "1"
    assert gender["massage"]["share_age_or_appearance"] == "1.000"
    assert gender["manufacturing"]["aimed_at_women_or_girls"] == "0"
    assert ivan.get("/trends?split=shoe").status_code == 200  # one clear error, label used
    assert "split: &#39;shoe&#39; is not one of" in ivan.get("/trends?split=shoe").text
