"""The review application's pages for what the monitor links to: a campaign, a source
and the list of sources, and the alerts page's links to them. Everything crawled or
reported is shown escaped."""

from __future__ import annotations

from datetime import timedelta

from crawlers.stats import SourceStats
from index.alerts import NewAlert
from index.base import Store
from index.runs import Health
from tests.review_ui.conftest import Env
from tests.review_ui.seed import XSS_TITLE, records

CAMPAIGN = 'camp-"<b>1'  # ids come from the clustering stage; still escaped everywhere


def test_campaign_page_lists_its_records_with_links_size_dates_and_timeline(
        any_env: Env) -> None:
    env = any_env
    members = [ad.model_copy(update={"campaign_id": CAMPAIGN, "posted_at": ad.posted_at
                                     + timedelta(days=30 * n)})
               for n, ad in enumerate(records()[:3])]
    hostile = records()[-1].model_copy(update={"campaign_id": CAMPAIGN})
    env.store.upsert([*members, hostile])
    client = env.client("ana")

    page = client.get("/campaigns/" + CAMPAIGN.replace('"', "%22").replace("<", "%3C"))
    assert page.status_code == 200, page.text[:500]
    html = page.text
    assert "<strong>4</strong> records" in html
    for ad in [*members, hostile]:
        assert f'href="/records/{ad.id}"' in html
    first = min(ad.posted_at for ad in [*members, hostile] if ad.posted_at)
    assert f"first seen {first:%Y-%m-%d %H:%M} UTC" in html
    assert "<polyline" in html and "records per week, by label" in html
    assert XSS_TITLE not in html and "&lt;script&gt;window.__xss" in html
    assert CAMPAIGN not in html and "camp-&#34;&lt;b&gt;1" in html
    assert client.get("/campaigns/no-such-campaign").status_code == 404


def finished_run(store: Store, source: str, monitor: str, health: Health,
                 problems: list[str], **counts: int) -> None:
    run_id = store.start_run(source, monitor)
    store.finish_run(run_id, outcome="ok", health=health,
                     counts=SourceStats(source=source, **counts).to_dict(), problems=problems)


def test_source_pages_show_runs_counts_health_and_records_per_run(env: Env) -> None:
    # Two monitor processes on other machines crawled the source; the pages read the store.
    finished_run(env.store, "kerjahub", "monitor-a", "healthy", [], pages_fetched=12,
                 records_extracted=30, new=30, stored=30)
    finished_run(env.store, "kerjahub", "monitor-b", "healthy", [], pages_fetched=12,
                 records_extracted=4, new=4, already_seen=26, stored=4)
    finished_run(env.store, "kerjahub", "monitor-a", "unhealthy",
                 ["12 pages fetched but no records found <script>x()</script>"],
                 pages_fetched=12)
    client = env.client("ivan")

    listing = client.get("/sources")
    assert listing.status_code == 200
    assert 'href="/sources/kerjahub"' in listing.text
    assert "iklan-jawatan" in listing.text  # configured, never run: listed without a link
    assert 'href="/sources/iklan-jawatan"' not in listing.text

    page = client.get("/sources/kerjahub")
    assert page.status_code == 200
    html = page.text
    assert 'id="source-health" class="health-unhealthy">unhealthy' in html
    assert html.count("<tr>") == 1 + 3  # header and three runs, newest first
    assert html.index("health-unhealthy\">unhealthy</td>") < html.index("healthy</td>")
    assert "<script>x()" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html
    assert html.count("<polyline") == 3  # records extracted, new, already seen
    assert html.count("<td>monitor-a</td>") == 2 and html.count("<td>monitor-b</td>") == 1
    assert client.get("/sources/no-such-source").status_code == 404
    assert env.client().get("/sources/kerjahub").status_code == 303  # login first


def test_alerts_link_to_their_record_campaign_or_source_page(env: Env) -> None:
    for subject_type, subject_id in (("record", records()[0].id), ("campaign", CAMPAIGN),
                                     ("source", "kerjahub")):
        env.store.add_alert(NewAlert(
            key=f"rule:{subject_type}:{subject_id}", rule="rule", kind="high_score",
            subject_type=subject_type, subject_id=subject_id,  # type: ignore[arg-type]
            summary="summary", link="", details={}), ["webhook"])
    html = env.client("ana").get("/alerts").text
    assert f'href="/records/{records()[0].id}"' in html
    assert 'href="/campaigns/camp-%22%3Cb%3E1"' in html
    assert 'href="/sources/kerjahub"' in html
