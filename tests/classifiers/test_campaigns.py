"""Contact graph, campaign scores, cluster templates, and the store-level rebuild.

The store tests run on SQLite and on the live OpenSearch node (marker ``opensearch``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from classifiers.campaigns import (
    CampaignIndex,
    burstiness,
    contact_groups,
    link_groups,
    link_keys,
    relink_store,
    stored_campaign,
    stored_campaigns,
    summarise,
)
from classifiers.cluster import NearDuplicateIndex
from classifiers.templates import cluster_template, stored_cluster_template
from index.base import Store
from index.query import SearchFilters
from index.sqlite import SQLiteStore
from lurewatch.record import Ad, Contacts, Label, ReviewState

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TEMPLATE = (
    "Kilang di {city} perlukan {count} pekerja segera. Gaji {salary} sebulan, kerja 12 jam, "
    "OT dibayar. Asrama percuma disediakan. Tiada kelayakan diperlukan, umur 18 hingga 35 "
    "tahun. Serahkan salinan pasport semasa temuduga. Hubungi Kak Ros {phone} sekarang juga."
)


def make_ad(number: int, text: str = "", *, hours: float = 0, source: str = "board_a",
            country: str | None = "MY", label: Label | None = None, score: float | None = None,
            employer: str | None = None, **contacts: list[str]) -> Ad:
    return Ad(source=source, url=f"https://{source}.example/ads/{number}", title="", text=text,
              posted_at=START + timedelta(hours=hours), country=country, language="ms",
              risk_label=label, risk_score=score, employer=employer,
              contacts=Contacts(**contacts))


def test_link_keys_normalise_and_skip_what_links_nothing() -> None:
    ad = make_ad(1, phones=["+60123456789"], whatsapp=["+60199999999"],
                 telegram=["@Kerja_Cepat"], emails=["HR@Agency.example.my"],
                 urls=["https://jobs.agency.com.my/apply", "https://wa.me/60123",
                       "https://board_a.example/other"],
                 employer="Maju Jaya Sdn. Bhd.")
    assert link_keys(ad) == {
        "phone:+60123456789", "phone:+60199999999", "handle:telegram:@kerja_cepat",
        "email:hr@agency.example.my", "domain:agency.com.my", "employer:maju jaya",
    }
    assert link_keys(make_ad(2, employer="Confidential")) == set()


def test_groups_follow_shared_contacts_and_clusters() -> None:
    ads = [
        make_ad(1, phones=["+60111111111"]),
        make_ad(2, phones=["+60111111111"], emails=["a@x.example"]),
        make_ad(3, emails=["a@x.example"]),
        make_ad(4, phones=["+60122222222"]),
        make_ad(5).model_copy(update={"cluster_id": "nd-1"}),
        make_ad(6, phones=["+60122222222"]).model_copy(update={"cluster_id": "nd-1"}),
    ]
    by_contacts = link_groups(ads, by_cluster=False, min_size=2)
    assert sorted(g.size for g in by_contacts) == [2, 3]
    three = next(g for g in by_contacts if g.size == 3)
    assert three.id == "cmp-" + ads[0].id
    assert three.links == {"phone:+60111111111": 2, "email:a@x.example": 2}
    campaigns = link_groups(ads, by_cluster=True)
    assert sorted(g.size for g in campaigns) == [3, 3]


def test_burstiness_tells_bursts_from_a_steady_rhythm() -> None:
    steady = [START + timedelta(days=d) for d in range(10)]
    bursts = [START + timedelta(days=d, minutes=m) for d in (0, 9, 20) for m in range(5)]
    assert burstiness(steady) == 0.0
    assert burstiness(bursts) > 0.3
    assert burstiness(steady[:2]) == 0.0


def test_campaign_score_rises_with_flags_spread_and_bursts() -> None:
    quiet = [make_ad(n, hours=24 * n, source="board_a", phones=["+60111"]) for n in range(4)]
    assert summarise(quiet).score == 0.0  # nothing flagged: nothing to triage
    flagged = [ad.model_copy(update={"risk_label": Label.deceptive_recruitment,
                                     "risk_score": 0.8}) for ad in quiet]
    calm = summarise(flagged)
    spread = summarise([ad.model_copy(update={"source": f"board_{n}", "country": c,
                                              "posted_at": START + timedelta(minutes=n)})
                        for n, (ad, c) in enumerate(zip(flagged, ["MY", "TH", "SG", "ID"],
                                                        strict=True))])
    assert 0 < calm.score < spread.score <= 1
    assert spread.score_parts["spread"] > calm.score_parts["spread"]
    naive = quiet[3].model_copy(update={"posted_at": datetime(2026, 3, 9, 8, 0)})
    assert summarise([*quiet[:3], naive]).last_seen == START + timedelta(days=7)
    half = summarise(flagged[:2] + quiet[2:])
    assert half.flagged_share == 0.5 and half.score < calm.score
    dismissed = flagged[0].model_copy(update={"review_state": ReviewState.dismissed_legitimate})
    confirmed = quiet[1].model_copy(update={"review_state": ReviewState.confirmed_tip})
    reviewed = summarise([dismissed, confirmed])
    assert reviewed.flagged_share == 0.5 and reviewed.score_parts["evidence"] > 0.7


def test_template_shows_fixed_text_and_slots() -> None:
    values = [("Ipoh", "20", "RM3,500", "+60 12-345 6789"),
              ("Klang", "50", "RM4,200", "+60 17-555 0101"),
              ("Kuching", "20", "RM3,800", "+60 19-222 3333")]
    ads = [make_ad(n, TEMPLATE.format(city=c, count=k, salary=s, phone=p))
           for n, (c, k, s, p) in enumerate(values)]
    ads.append(make_ad(9, "🔥🔥 " + ads[0].text.upper().replace(". ", ".\n\n")))
    template = cluster_template(ads)
    assert "Asrama percuma disediakan" in template.template
    kinds = {slot.kind: slot.values for slot in template.slots}
    assert set(kinds) == {"text", "number", "salary", "phone"}
    assert kinds["salary"] == {"RM3,500": 2, "RM4,200": 1, "RM3,800": 1}
    assert set(kinds["text"]) == {"Ipoh", "IPOH", "Klang", "Kuching"}
    assert kinds["phone"] == {"12-345 6789": 2, "17-555 0101": 1, "19-222 3333": 1}
    assert "Hubungi Kak Ros +60 {slot4} sekarang" in template.template


def test_incremental_campaigns_merge_and_agree_with_a_rebuild(tmp_path: Path) -> None:
    first = make_ad(1, hours=0, phones=["+60111"])
    second = make_ad(2, hours=1, emails=["x@y.example"])
    bridge = make_ad(3, hours=2, phones=["+60111"], emails=["x@y.example"])
    clustered = make_ad(4, hours=3).model_copy(update={"cluster_id": "nd-shared"})
    clustered_too = make_ad(5, hours=4).model_copy(update={"cluster_id": "nd-shared"})
    with CampaignIndex(tmp_path / "links.sqlite") as index:
        assert index.assign(first) == "cmp-" + first.id
        assert index.assign(second) == "cmp-" + second.id
        assert index.assign(bridge) == "cmp-" + first.id  # the earliest campaign survives
        assert index.resolve("cmp-" + second.id) == "cmp-" + first.id
        assert index.assign(second) == "cmp-" + first.id  # a re-fetch finds the merged one
        assert index.assign(clustered) == index.assign(clustered_too) == "cmp-" + clustered.id
    rebuilt = {g.id: set(g.record_ids)
               for g in link_groups([first, second, bridge, clustered, clustered_too])}
    assert rebuilt == {"cmp-" + first.id: {first.id, second.id, bridge.id},
                       "cmp-" + clustered.id: {clustered.id, clustered_too.id}}


@pytest.fixture
def sqlite_store_factory(tmp_path: Path) -> Callable[[], Store]:
    return lambda: SQLiteStore(tmp_path / "store.db")


@pytest.fixture(params=[pytest.param("sqlite"),
                        pytest.param("opensearch", marks=pytest.mark.opensearch)])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    backend: Store = request.getfixturevalue(f"{request.param}_store_factory")()
    yield backend
    backend.close()


def test_rebuild_gives_every_record_its_cluster_and_campaign(store: Store,
                                                             tmp_path: Path) -> None:
    reposts = [make_ad(n, TEMPLATE.format(city=c, count=20, salary="RM3,500",
                                          phone=f"+60 12-345 67{n:02d}"),
                       hours=n, source=f"board_{n % 2}", label=Label.deceptive_recruitment,
                       score=0.9)
               for n, c in enumerate(["Ipoh", "Klang", "Penang"])]
    linked = make_ad(10, "Pembantu rumah ke Singapura, gaji lumayan.", hours=30,
                     phones=["+60123456700"])
    linked_too = make_ad(11, "Driver lori, lesen GDL, Johor Bahru.", hours=40,
                         phones=["+60123456700"], label=Label.smuggling_offer, score=0.7)
    loner = make_ad(12, "Akauntan bertauliah diperlukan, Petaling Jaya.", hours=50)
    reposts[0] = reposts[0].model_copy(update={"contacts": Contacts(phones=["+60123456700"])})
    store.upsert([*reposts, linked, linked_too, loner])

    path = tmp_path / "links.sqlite"
    with NearDuplicateIndex(path) as clusters, CampaignIndex(path) as campaigns:
        report = relink_store(store, clusters, campaigns)
        assert (report.records, report.clusters, report.campaigns) == (6, 4, 2)
        assert report.updated == 6
        # stable: a second rebuild changes nothing
        assert relink_store(store, clusters, campaigns).updated == 0
        # the crawl pipeline's incremental stages carry on from the rebuilt state
        newcomer = make_ad(13, TEMPLATE.format(city="Muar", count=20, salary="RM3,500",
                                               phone="+60 12-345 6799"), hours=60)
        newcomer.cluster_id = clusters.assign(newcomer)
        assert newcomer.cluster_id == "nd-" + reposts[0].id
        assert campaigns.assign(newcomer) == "cmp-" + reposts[0].id

    records = {ad.id: ad for ad in store.scan()}
    assert all(ad.cluster_id and ad.campaign_id for ad in records.values())
    assert {records[ad.id].cluster_id for ad in reposts} == {"nd-" + reposts[0].id}
    campaign_id = "cmp-" + reposts[0].id
    members = {ad.id for ad in [*reposts, linked, linked_too]}
    assert {i for i, ad in records.items() if ad.campaign_id == campaign_id} == members
    assert records[loner.id].campaign_id == "cmp-" + loner.id

    campaign = stored_campaign(store, campaign_id)
    assert campaign is not None and campaign.size == 5 and campaign.score > 0
    assert campaign.sources == ["board_0", "board_1", "board_a"]
    assert [c.id for c in stored_campaigns(store, min_size=2)] == [campaign_id]
    assert store.campaign_sizes(SearchFilters(), 2) == {campaign_id: 5}
    assert store.campaign_sizes(SearchFilters(), 1)["cmp-" + loner.id] == 1
    board_0 = SearchFilters(sources=("board_0",))  # the sizes count matching members only
    assert store.campaign_sizes(board_0, 1) == {campaign_id: 2}
    assert store.campaign_sizes(board_0, 3) == {}
    [only_board_0] = stored_campaigns(store, board_0, min_size=2)
    assert only_board_0.id == campaign_id and only_board_0.size == 2
    assert stored_campaign(store, "cmp-nothing") is None
    groups = contact_groups(store)
    assert [sorted(g.record_ids) for g in groups] == [sorted([reposts[0].id, linked.id,
                                                              linked_too.id])]
    template = stored_cluster_template(store, "nd-" + reposts[0].id)
    assert template is not None and template.members == 3
    assert {"Ipoh", "Klang", "Penang"} in [set(s.values) for s in template.slots]
    pivot = store.pivot("cluster", "nd-" + reposts[0].id)
    assert [hit.record.id for hit in pivot.hits] == [ad.id for ad in reposts]


@pytest.mark.slow  # importing the whole command line (every component) takes a while
def test_commands_rebuild_list_show_and_template(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from lurewatch.cli import load_commands
    app = load_commands()

    monkeypatch.setenv("LUREWATCH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LUREWATCH_STORE__PATH", str(tmp_path / "store.db"))
    ads = [make_ad(n, TEMPLATE.format(city=c, count=20, salary="RM3,500", phone="+60 12-345"),
                   hours=n, label=Label.deceptive_recruitment, score=0.9, phones=["+60111"])
           for n, c in enumerate(["Ipoh", "Klang"])]
    with SQLiteStore(tmp_path / "store.db") as store:
        store.upsert(ads)
    runner = CliRunner()
    rebuilt = runner.invoke(app, ["cluster", "rebuild", "--json"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert json.loads(rebuilt.output) | {"seconds": 0} == {
        "records": 2, "clusters": 1, "campaigns": 1, "updated": 2, "seconds": 0,
        "index": str(tmp_path / "clusters.sqlite")}
    listed = json.loads(runner.invoke(app, ["campaigns", "list", "--json"]).output)
    assert [c["id"] for c in listed] == ["cmp-" + ads[0].id]
    assert listed[0]["links"] == {"phone:+60111": 2}
    shown = runner.invoke(app, ["campaigns", "show", "cmp-" + ads[0].id])
    assert shown.exit_code == 0 and "phone:+60111 (2)" in shown.output
    template = json.loads(runner.invoke(
        app, ["cluster", "template", "nd-" + ads[0].id, "--json"]).output)
    assert [set(s["values"]) for s in template["slots"]] == [{"Ipoh", "Klang"}]
    missing = runner.invoke(app, ["campaigns", "show", "cmp-none"])
    assert missing.exit_code == 2 and "no stored record" in missing.output
