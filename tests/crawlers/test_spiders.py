"""Every spider against the sample sites: fields, hostile pages, politeness, stats."""

from __future__ import annotations

from crawlers.extract.common import parse_datetime
from crawlers.sample_sites.server import (
    HOSTILE_PAGES,
    board_content,
    social_content,
)
from tests.crawlers.conftest import (
    READABLE_HOSTILE,
    Crawled,
    sources_for,
)

# --- the JSON-LD board ----------------------------------------------------------------

def test_jsonld_board_every_posting_extracted_with_its_fields(crawled: Crawled) -> None:
    board = board_content()
    records = {r.title: r for r in crawled.records("kerjahub")}
    expected = len(board["postings"]) + len(board["multi"]["postings"]) + len(READABLE_HOSTILE)
    assert len(records) == expected
    for posting in board["postings"]:
        ad = records[posting["title"]]
        assert ad.posted_at == parse_datetime(posting["date"])
        assert ad.country == posting["locations"][0]["country"]
        assert posting["locations"][0]["locality"] in (ad.location or "")
        employer = posting.get("employer")
        expected_employer = employer.get("name") if isinstance(employer, dict) else employer
        assert ad.employer == expected_employer
        assert "<" not in ad.text and ad.text  # HTML stripped, escaped HTML decoded once
        salary = posting.get("salary")
        if isinstance(salary, dict):
            assert ad.salary is not None and ad.salary.currency == salary["currency"]
            assert ad.salary.amount_max == salary.get("max", salary.get("value"))
        elif isinstance(salary, str):
            assert ad.salary is not None and ad.salary.text == salary
        image = posting.get("image")
        assert ad.images == ([crawled.site.base_url + image] if image else [])


def test_jsonld_board_several_postings_on_one_page_get_distinct_ids(crawled: Crawled) -> None:
    titles = {p["title"] for p in board_content()["multi"]["postings"]}
    multi = [r for r in crawled.records("kerjahub") if r.title in titles]
    assert len({r.id for r in multi}) == len(titles) == len(multi)


def test_hostile_pages_counted_with_reasons_and_odd_charsets_read(crawled: Crawled) -> None:
    stats = crawled.stats.sources["kerjahub"]
    assert stats.rejected == {"bad_jsonld": 2, "no_job_posting": 1, "not_html": 1,
                              "too_large": 1}
    titles = {r.title for r in crawled.records("kerjahub")}
    assert {"พนักงานขายหน้าร้าน กรุงเทพฯ", "仓库管理员（新山）", "介護スタッフ（特定技能）",
            "Pemandu Grab sambilan – Melaka", "แม่บ้านทำความสะอาด ภูเก็ต"} <= titles
    assert len(HOSTILE_PAGES) == len(READABLE_HOSTILE) + sum(stats.rejected.values())


def test_politeness_robots_user_agent_and_retry_after(crawled: Crawled) -> None:
    hits = crawled.site.hits
    assert hits["/robots.txt"] >= 1
    assert not any(path.startswith("/board/private/") for path in hits)  # disallowed
    stats = crawled.stats.sources["kerjahub"]
    assert stats.http_status == {"429": 1}
    assert hits["/board/jobs?page=2"] == 2  # answered 429 with Retry-After: 1, then retried
    assert hits["/board/jobs?page=3"] == 1


# --- the other spiders ------------------------------------------------------------------

def test_selectors_board(crawled: Crawled) -> None:
    ads = {r.title: r for r in crawled.records("iklan-jawatan")}
    expected = social_content()["classifieds"]
    assert len(ads) == len(expected)
    for item in expected:
        ad = ads[item["title"]]
        assert ad.employer == item.get("employer")
        assert ad.location == item["location"]
        assert ad.posted_at is not None and ad.posted_at.date().isoformat() == item["posted"]
        assert item["body"].split()[0] in ad.text


def test_telegram_channel_paged_back_with_views_and_forwards(crawled: Crawled) -> None:
    content = social_content()["telegram"]
    ads = {r.post_id: r for r in crawled.records("tg-kerja-luar-negara")}
    assert set(ads) == {f"{content['channel']}/{p['id']}" for p in content["posts"]}
    assert any(path.startswith("/telegram/s/kerja_luar_negara?before=")
               for path in crawled.site.hits)
    post = ads[f"{content['channel']}/204"]
    assert post.forwarded_from == "Jalur Aman Malaysia"
    assert post.views == 5100
    assert post.url == f"https://t.me/{content['channel']}/204"
    assert post.posted_at == parse_datetime("2026-10-23T22:45:00+00:00")


def test_mastodon_hashtags_paged_with_link_header(crawled: Crawled) -> None:
    statuses = social_content()["mastodon"]["statuses"]
    ads = crawled.records("mastodon-sosial")
    assert len(ads) == len(statuses)
    assert any("max_id=" in path for path in crawled.site.hits)
    by_text = {a.text: a for a in ads}
    for status in statuses:
        ad = next(a for text, a in by_text.items() if status["text"][:30] in text)
        assert ad.language == status["lang"] and ad.platform == "mastodon"
        image = status.get("image")
        assert ad.images == ([f"{crawled.site.base_url}/board/images/{image}"] if image else [])


def test_rss_feed(crawled: Crawled) -> None:
    items = social_content()["rss"]["items"]
    ads = {r.post_id: r for r in crawled.records("kerjarss")}
    assert set(ads) == {i["guid"] for i in items}
    assert all(ad.posted_at is not None and ad.text for ad in ads.values())
    for item in items:  # image enclosures
        assert ads[item["guid"]].images == ([f"{crawled.site.base_url}/board/images/"
                                             f"{item['image']}"] if "image" in item else [])


def test_stats_are_json_ready_and_add_up(crawled: Crawled) -> None:
    data = crawled.stats.to_dict()
    totals = data["totals"]
    assert totals["stored"] == crawled.store.count()
    assert totals["new"] == totals["stored"]
    assert totals["already_seen"] == 0  # a page linked twice in one run is not "seen"
    assert set(data["sources"]) == {s.name for s in sources_for(crawled.site)} | {"fb-page"}
    assert all(s["finish_reason"] == "finished" for s in data["sources"].values())
