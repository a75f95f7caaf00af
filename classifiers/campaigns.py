"""Campaigns: records linked by shared contacts and near-duplicate clusters, and their risk.

Two records are linked when they share a phone number (E.164; WhatsApp numbers count as
phones), a messaging handle, an e-mail address, the registered domain of a URL they
state, or an employer name (normalised), or, for campaigns, a near-duplicate cluster.
Connected groups of linked records are *contact groups* (contacts only) or *campaigns*
(contacts and clusters). A campaign's id is ``cmp-<id of its first record>``, so it stays
the same while its first record does; every record, even one linked to nothing, gets one.

Campaign score, in [0, 1], for triage (each part is kept in ``score_parts``)::

    evidence     = sqrt(flagged share) * mean strength of the flagged members
    organisation = mean(size, source/country spread, burstiness)
    score        = evidence * (0.5 + 0.5 * organisation)

A member's flag strength is 1 when a reviewer confirmed TIP or SOM, 0 when a reviewer
dismissed it, else its ``risk_score`` when the model flagged it. Size is ``1 - 1/n``;
spread is ``1 - 1/k`` averaged over distinct sources and countries; burstiness is the
Goh-Barabasi coefficient of the gaps between posts, floored at 0 (posts in bursts score
high, evenly spaced ones 0). A group with nothing flagged scores 0 however organised.
"""

from __future__ import annotations

import math
import sqlite3
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import tldextract

from classifiers.cluster import NearDuplicateIndex, seen_at
from index.base import Store
from index.query import NO_FILTERS, SearchFilters
from lurewatch.record import Ad, ReviewState, normalise_employer
from lurewatch.sqlite import Database

CAMPAIGN_PREFIX = "cmp-"
# URLs on these hosts name a platform, not a recruiter: sharing one links nothing.
SHARED_DOMAINS = frozenset({
    "facebook.com", "fb.com", "fb.me", "instagram.com", "t.me", "telegram.me", "wa.me",
    "whatsapp.com", "line.me", "wechat.com", "weixin.qq.com", "qq.com", "tiktok.com",
    "youtube.com", "youtu.be", "twitter.com", "x.com", "linkedin.com", "google.com",
    "forms.gle", "goo.gl", "bit.ly", "tinyurl.com", "linktr.ee", "gmail.com", "yahoo.com",
    "outlook.com", "hotmail.com", "jobstreet.com", "indeed.com", "mastodon.social",
    "reddit.com", "wordpress.com", "blogspot.com",
})
# Names that stand for "not stated"; sharing one links nothing.
_NO_EMPLOYER = frozenset({
    "", "confidential", "private", "anonymous", "undisclosed", "na", "n a", "none", "hr",
    "agency", "employer", "hiring", "recruiter", "private advertiser", "direct employer",
})
_DOMAINS = tldextract.TLDExtract(suffix_list_urls=())  # the bundled list: no network


def url_domain(url: str) -> str | None:
    """Registered domain of a URL (``jobs.acme.com.my`` -> ``acme.com.my``), if any."""
    parts = _DOMAINS(url.strip())
    if not parts.domain or not parts.suffix:
        return None
    return f"{parts.domain}.{parts.suffix}".lower()


def link_keys(ad: Ad) -> set[str]:
    """What a record can share with another: ``phone:+6012…``, ``handle:telegram:@x``,
    ``email:a@b``, ``domain:acme.com.my``, ``employer:acme manpower``. Every kind but
    ``domain`` is also a :data:`index.base.PIVOT_KINDS` pivot with the same value."""
    contacts = ad.contacts
    keys = {f"phone:{p.replace(' ', '')}" for p in contacts.phones}
    keys |= {f"phone:{w.replace(' ', '')}" for w in contacts.whatsapp if w.startswith("+")}
    keys |= {f"handle:{h.casefold()}" for h in contacts.handles()
             if not h.startswith("whatsapp:+")}
    keys |= {f"email:{e.strip().casefold()}" for e in contacts.emails}
    own_domain = url_domain(ad.url)
    for url in contacts.urls:
        domain = url_domain(url)
        if domain and domain != own_domain and domain not in SHARED_DOMAINS:
            keys.add(f"domain:{domain}")
    employer = normalise_employer(ad.employer or "")
    if employer not in _NO_EMPLOYER and len(employer) >= 3:
        keys.add(f"employer:{employer}")
    return keys


def flag_strength(ad: Ad) -> float:
    """How strongly a record counts as flagged: reviewers' word first, then the model's."""
    if ad.review_state in (ReviewState.confirmed_tip, ReviewState.confirmed_som):
        return 1.0
    if ad.review_state in (ReviewState.dismissed_legitimate, ReviewState.dismissed_not_job):
        return 0.0
    if ad.flagged:
        return ad.risk_score if ad.risk_score is not None else 0.5
    return 0.0


@dataclass(frozen=True)
class _Member:
    """What a group needs to know of one record (kept small: rebuilds hold all of them)."""

    record_id: str
    source: str
    language: str | None
    country: str | None
    seen: datetime
    strength: float
    keys: frozenset[str]
    cluster_id: str | None
    campaign_id: str | None


def _member(ad: Ad) -> _Member:
    return _Member(ad.id, ad.source, ad.language, ad.country, seen_at(ad), flag_strength(ad),
                   frozenset(link_keys(ad)), ad.cluster_id, ad.campaign_id)


def burstiness(times: list[datetime]) -> float:
    """Goh-Barabasi burstiness of the gaps between posts, floored at 0 (0 for < 3 posts)."""
    ordered = sorted(t.timestamp() for t in times)
    gaps = [b - a for a, b in zip(ordered, ordered[1:], strict=False)]
    if len(gaps) < 2:
        return 0.0
    mean, spread = statistics.fmean(gaps), statistics.pstdev(gaps)
    if mean + spread == 0:
        return 1.0  # every post at the same moment: one burst
    return max(0.0, (spread - mean) / (spread + mean))


@dataclass
class RecordGroup:
    """A contact group or campaign, as investigators triage it."""

    id: str
    record_ids: list[str]
    sources: list[str]
    languages: list[str]
    countries: list[str]
    cluster_ids: list[str]
    first_seen: datetime
    last_seen: datetime
    flagged_share: float
    # Shared contacts and how many members carry each, most shared first.
    links: dict[str, int]
    score: float
    score_parts: dict[str, float] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.record_ids)

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "size": self.size, "record_ids": self.record_ids,
            "sources": self.sources, "languages": self.languages, "countries": self.countries,
            "cluster_ids": self.cluster_ids, "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(), "flagged_share": self.flagged_share,
            "links": self.links, "score": self.score, "score_parts": self.score_parts,
        }


def _summarise(members: list[_Member]) -> RecordGroup:
    members = sorted(members, key=lambda m: (m.seen, m.record_id))
    sources = sorted({m.source for m in members})
    countries = sorted({m.country for m in members if m.country})
    flagged = [m.strength for m in members if m.strength > 0]
    share = len(flagged) / len(members)
    evidence = math.sqrt(share) * statistics.fmean(flagged) if flagged else 0.0
    parts = {
        "evidence": evidence,
        "size": 1 - 1 / len(members),
        "spread": ((1 - 1 / len(sources)) + (1 - 1 / max(len(countries), 1))) / 2,
        "burstiness": burstiness([m.seen for m in members]),
    }
    organisation = statistics.fmean([parts["size"], parts["spread"], parts["burstiness"]])
    key_counts = Counter(k for m in members for k in m.keys)
    return RecordGroup(
        id=CAMPAIGN_PREFIX + members[0].record_id,
        record_ids=[m.record_id for m in members],
        sources=sources,
        languages=sorted({m.language for m in members if m.language}),
        countries=countries,
        cluster_ids=sorted({m.cluster_id for m in members if m.cluster_id}),
        first_seen=members[0].seen,
        last_seen=members[-1].seen,
        flagged_share=share,
        links={k: n for k, n in key_counts.most_common() if n > 1},
        score=round(evidence * (0.5 + 0.5 * organisation), 4),
        score_parts={k: round(v, 4) for k, v in parts.items()},
    )


def _connected(members: list[_Member], by_cluster: bool) -> list[list[_Member]]:
    parent = list(range(len(members)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]  # path halving keeps the trees flat
            i = parent[i]
        return i

    first_with_key: dict[str, int] = {}
    for i, member in enumerate(members):
        keys = set(member.keys)
        if by_cluster and member.cluster_id:
            keys.add(f"cluster:{member.cluster_id}")
        for key in keys:
            j = first_with_key.setdefault(key, i)
            parent[root(i)] = root(j)
    groups: dict[int, list[_Member]] = defaultdict(list)
    for i, member in enumerate(members):
        groups[root(i)].append(member)
    return list(groups.values())


def link_groups(ads: Iterable[Ad], *, by_cluster: bool = True,
                min_size: int = 1) -> list[RecordGroup]:
    """Connected groups of ``ads``: by contacts only (``by_cluster=False``: contact
    groups) or by contacts and near-duplicate clusters (campaigns); riskiest first."""
    members = [_member(ad) for ad in ads]
    groups = [_summarise(g) for g in _connected(members, by_cluster) if len(g) >= min_size]
    return sorted(groups, key=lambda g: (-g.score, -g.size, g.id))


def summarise(ads: Iterable[Ad], group_id: str | None = None) -> RecordGroup | None:
    """One group as it stands, from its records (``None`` when there are none); named
    ``group_id`` where given (a stored campaign id), else after its first record."""
    members = [_member(ad) for ad in ads]
    if not members:
        return None
    group = _summarise(members)
    if group_id:
        group.id = group_id
    return group


def campaigns_by_stored_id(ads: Iterable[Ad], min_size: int = 1) -> list[RecordGroup]:
    """Groups as the records' stored ``campaign_id`` says, riskiest first."""
    by_id: dict[str, list[_Member]] = defaultdict(list)
    for ad in ads:
        if ad.campaign_id:
            by_id[ad.campaign_id].append(_member(ad))
    groups = []
    for campaign_id, members in by_id.items():
        if len(members) >= min_size:
            group = _summarise(members)
            group.id = campaign_id  # the stored id is the one links and pages use
            groups.append(group)
    return sorted(groups, key=lambda g: (-g.score, -g.size, g.id))


def contact_groups(store: Store, filters: SearchFilters = NO_FILTERS,
                   min_size: int = 2) -> list[RecordGroup]:
    """Stored records (among those matching) linked by a shared phone, messaging handle,
    e-mail, URL domain or employer, as connected groups, riskiest first."""
    return link_groups(store.scan(filters), by_cluster=False, min_size=min_size)


def stored_campaigns(store: Store, filters: SearchFilters = NO_FILTERS, min_size: int = 2,
                     limit: int = 50) -> list[RecordGroup]:
    """Campaigns by the records' stored ``campaign_id``, riskiest first (each summary
    covers the members that match ``filters``)."""
    sizes = store.campaign_sizes(filters, min_size)
    if not sizes:
        return []
    # Ranking needs each campaign's summary, so its members are read; but only those of
    # campaigns big enough, not every record (most are a campaign of their own).
    members = store.scan(replace(filters, campaign_ids=tuple(sorted(sizes))))
    return campaigns_by_stored_id(members, min_size=min_size)[:limit]


def stored_campaign(store: Store, campaign_id: str) -> RecordGroup | None:
    """One stored campaign: its members, sources, languages, first/last seen and score."""
    return summarise(store.scan(SearchFilters(campaign_ids=(campaign_id,))),
                     group_id=campaign_id)


@dataclass(frozen=True)
class RelinkReport:
    records: int
    clusters: int
    campaigns: int
    updated: int


def _campaign_keys(record_id: str, keys: Iterable[str], cluster_id: str | None) -> set[str]:
    """Everything that ties a record to its campaign, itself included (so a re-fetch
    finds its campaign again)."""
    tied = {*keys, f"record:{record_id}"}
    if cluster_id:
        tied.add(f"cluster:{cluster_id}")
    return tied


CAMPAIGN_MIGRATIONS = ("""
CREATE TABLE IF NOT EXISTS campaign_keys (
    key TEXT PRIMARY KEY, campaign_id TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS campaign_keys_campaign ON campaign_keys (campaign_id);
CREATE TABLE IF NOT EXISTS campaigns (
    campaign_id TEXT PRIMARY KEY, first_seen REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS campaign_merges (
    campaign_id TEXT PRIMARY KEY, merged_into TEXT NOT NULL) WITHOUT ROWID;
""",)


class CampaignIndex:
    """Incremental campaign ids for the crawl pipeline (one SQLite file; it may be the
    cluster index's file).

    ``CampaignIndex(path).assign(ad)``, after the ad has its ``cluster_id``, returns the
    campaign of the records it shares a contact or cluster with, or founds
    ``cmp-<record id>``. When a record joins several campaigns they merge into the one
    with the earliest first post, as a full rebuild would name it; records stored
    earlier keep the old id until :func:`relink_store` runs (``resolve`` follows merges).
    """

    def __init__(self, path: str | Path) -> None:
        self.db = Database(path, "campaigns", CAMPAIGN_MIGRATIONS)

    def _place(self, db: sqlite3.Connection, record_id: str, seen: float,
               tied: set[str]) -> str:
        marks = ",".join("?" * len(tied))
        found = db.execute(
            f"SELECT c.campaign_id, c.first_seen FROM campaigns c WHERE c.campaign_id IN "
            f"(SELECT DISTINCT campaign_id FROM campaign_keys WHERE key IN ({marks}))",
            tuple(tied)).fetchall()
        candidates = [*found, (CAMPAIGN_PREFIX + record_id, seen)]
        survivor, first_seen = min(candidates, key=lambda c: (c[1], c[0]))
        merged = [c for c, _ in found if c != survivor]
        if merged:  # the record bridges campaigns: they become one
            marks = ",".join("?" * len(merged))
            db.execute(f"UPDATE campaign_keys SET campaign_id = ? WHERE campaign_id IN ({marks})",
                       (survivor, *merged))
            db.execute(f"DELETE FROM campaigns WHERE campaign_id IN ({marks})", merged)
            db.executemany("INSERT OR REPLACE INTO campaign_merges VALUES (?, ?)",
                           [(c, survivor) for c in merged])
        db.execute("INSERT OR REPLACE INTO campaigns VALUES (?, ?)", (survivor, first_seen))
        db.executemany("INSERT OR REPLACE INTO campaign_keys VALUES (?, ?)",
                       [(key, survivor) for key in tied])
        return survivor

    def assign(self, ad: Ad) -> str:
        """Campaign id for ``ad`` (give it its ``cluster_id`` first), storing its links."""
        member = _member(ad)
        tied = _campaign_keys(ad.id, member.keys, ad.cluster_id)
        with self.db.write() as db:
            return self._place(db, ad.id, member.seen.timestamp(), tied)

    def resolve(self, campaign_id: str) -> str:
        """The campaign an id stands for now, following merges."""
        seen = {campaign_id}
        while row := self.db.execute("SELECT merged_into FROM campaign_merges "
                                      "WHERE campaign_id = ?", (campaign_id,)).fetchone():
            campaign_id = row[0]
            if campaign_id in seen:
                break
            seen.add(campaign_id)
        return campaign_id

    def _reset(self, groups: list[list[_Member]]) -> None:
        with self.db.write() as db:
            for table in ("campaign_keys", "campaigns", "campaign_merges"):
                db.execute(f"DELETE FROM {table}")
            for group in groups:
                first = min(group, key=lambda m: (m.seen, m.record_id))
                campaign_id = CAMPAIGN_PREFIX + first.record_id
                db.execute("INSERT INTO campaigns VALUES (?, ?)",
                           (campaign_id, first.seen.timestamp()))
                db.executemany(
                    "INSERT OR REPLACE INTO campaign_keys VALUES (?, ?)",
                    [(key, campaign_id) for m in group
                     for key in _campaign_keys(m.record_id, m.keys, m.cluster_id)])

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> CampaignIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def relink_store(store: Store, clusters_index: NearDuplicateIndex,
                 campaign_index: CampaignIndex, batch_size: int = 500) -> RelinkReport:
    """Full rebuild: re-cluster every stored record, recompute campaigns, reset both
    incremental indexes to match, and write back ``cluster_id`` and ``campaign_id`` where
    they changed (nothing else in the records is touched)."""
    remembered: list[_Member] = []

    def remembering(ads: Iterable[Ad]) -> Iterable[Ad]:
        for ad in ads:  # one scan feeds both the cluster index and the campaign graph
            remembered.append(_member(ad))
            yield ad

    clusters = clusters_index.rebuild(remembering(store.scan()))
    stored = {m.record_id: (m.cluster_id, m.campaign_id) for m in remembered}
    members = [replace(m, cluster_id=clusters[m.record_id]) for m in remembered]
    groups = _connected(members, by_cluster=True)
    campaign_index._reset(groups)
    changes: dict[str, tuple[str | None, str]] = {}
    for group in groups:
        campaign_id = CAMPAIGN_PREFIX + min(group, key=lambda m: (m.seen, m.record_id)).record_id
        changes.update({m.record_id: (m.cluster_id, campaign_id) for m in group})
    changed = [rid for rid, ids in changes.items() if ids != stored[rid]]
    updated = 0
    for start in range(0, len(changed), batch_size):
        batch = []
        for record_id in changed[start:start + batch_size]:
            ad = store.get(record_id)
            if ad is not None:  # deleted meanwhile: nothing to update
                cluster_id, campaign_id = changes[record_id]
                batch.append(ad.model_copy(update={"cluster_id": cluster_id,
                                                   "campaign_id": campaign_id}))
        result = store.upsert(batch)
        updated += result.created + result.updated
    return RelinkReport(records=len(members), clusters=len(set(clusters.values())),
                        campaigns=len(groups), updated=updated)
