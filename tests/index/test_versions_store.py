"""Every store keeps a changed ad's earlier versions and a takedown mark, never losing
review work (``index.documents.merge_crawled``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from index.base import Store
from lurewatch.record import MAX_VERSIONS, Ad, Decision, Label, ReviewState
from tests.index.test_store_contract import make_ad, tip_ad


def edited(ad: Ad, n: int, **fields: object) -> Ad:
    """``ad`` as a re-crawl finds it after its n-th edit, fetched n hours later."""
    changed = ad.model_copy(update={"text": f"{ad.text} Edit {n}.", "content_hash": "",
                                    "fetched_at": ad.fetched_at + timedelta(hours=n),
                                    **fields})
    return Ad.model_validate(changed.model_dump())  # re-derive the content hash


def test_changed_ad_keeps_its_earlier_version_and_review_work(store: Store) -> None:
    ad = tip_ad(1, snapshot_sha256="a" * 64, raw_ref="snap.warc.gz#0")
    store.upsert([ad])
    store.decide(ad.id, Decision(reviewer="aisyah", state=ReviewState.confirmed_tip), 0)
    store.upsert([edited(ad, 1, risk_label=Label.legitimate, risk_score=0.2)])
    got = store.get(ad.id)
    assert got is not None and got.text.endswith("Edit 1.")
    assert got.review_state == ReviewState.confirmed_tip and got.review_version == 1
    assert [d.reviewer for d in got.decisions] == ["aisyah"]
    [old] = got.versions
    assert (old.title, old.text, old.content_hash) == (ad.title, ad.text, ad.content_hash)
    assert (old.risk_label, old.risk_score) == (Label.deceptive_recruitment, 0.9)
    assert (old.snapshot_sha256, old.raw_ref) == ("a" * 64, "snap.warc.gz#0")
    assert old.seen_at == ad.fetched_at


def test_unchanged_or_rescored_ad_adds_no_version(store: Store) -> None:
    ad = make_ad(2)
    store.upsert([ad])
    store.upsert([ad.model_copy(update={"fetched_at": ad.fetched_at + timedelta(days=1)})])
    store.upsert([ad.model_copy(update={"risk_score": 0.4})])
    got = store.get(ad.id)
    assert got is not None and got.versions == [] and got.risk_score == 0.4


def test_versions_are_capped_oldest_dropped(store: Store) -> None:
    ad = make_ad(3)
    store.upsert([ad])
    for n in range(1, MAX_VERSIONS + 3):
        store.upsert([edited(ad, n)])
    got = store.get(ad.id)
    assert got is not None and len(got.versions) == MAX_VERSIONS
    assert got.versions[0].text.endswith("Edit 2.")  # the original and edit 1 dropped
    assert got.versions[-1].text.endswith(f"Edit {MAX_VERSIONS + 1}.")


def test_takedown_mark_is_kept_and_cleared_by_a_recrawl(store: Store) -> None:
    ad = tip_ad(4)
    store.upsert([ad])
    gone_at = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    store.upsert([ad.model_copy(update={"taken_down_at": gone_at})])
    got = store.get(ad.id)
    assert got is not None and got.taken_down_at == gone_at and got.text == ad.text
    assert got.versions == []
    store.upsert([ad])  # crawled again: the ad is back
    back = store.get(ad.id)
    assert back is not None and back.taken_down_at is None
