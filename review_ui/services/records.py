"""What the focus view shows around one record: its links to other records."""

from __future__ import annotations

from dataclasses import dataclass

from index.base import Store
from lurewatch.record import Ad


@dataclass
class Link:
    """Other records sharing one value (a phone, handle, e-mail, employer or cluster)."""

    kind: str
    value: str
    total: int
    records: list[Ad]


def pivot_values(ad: Ad) -> list[tuple[str, str]]:
    """(pivot kind, value) for everything in the record that other records can share."""
    values = [("phone", p) for p in ad.contacts.phones]
    values += [("handle", h) for h in ad.contacts.handles()]
    values += [("email", e) for e in ad.contacts.emails]
    if ad.employer:
        values.append(("employer", ad.employer))
    if ad.cluster_id:
        values.append(("cluster", ad.cluster_id))
    return values


def links(store: Store, ad: Ad, per_value: int = 10) -> list[Link]:
    """For each shared value, the other records that carry it (only values shared)."""
    found = []
    for kind, value in pivot_values(ad):
        result = store.pivot(kind, value, size=per_value + 1)
        others = [hit.record for hit in result.hits if hit.record.id != ad.id][:per_value]
        if others:
            found.append(Link(kind, value, result.total - 1, others))
    return found
