"""What every backend does alike with a record's document before it keeps it.

* :func:`record_keys`: the keyword values a record is filtered and pivoted on, normalised
  once (the SQLite store keeps them in ``record_terms``, the engines in a keys object);
* :func:`merge_crawled`: crawl data never overwrites review work, so a re-crawled record
  keeps the stored review state, version and decisions; a re-crawl that changed the ad
  also keeps what it said before, in ``versions``;
* :func:`same_content`: a re-crawl that changes nothing but the fetch time is 'unchanged'.
"""

from __future__ import annotations

from typing import Any

from lurewatch.record import MAX_VERSIONS, Ad, AdVersion, normalise_employer

REVIEW_FIELDS = ("review_state", "review_version", "decisions")
KEY_NAMES = ("indicator", "phone", "handle", "email", "employer")


def record_keys(ad: Ad) -> dict[str, list[str]]:
    """Each key name (:data:`KEY_NAMES`) and the record's values for it."""
    employer = normalise_employer(ad.employer) if ad.employer else ""
    return {"indicator": ad.indicator_ids(), "phone": list(ad.contacts.phones),
            "handle": ad.contacts.handles(), "email": [e.lower() for e in ad.contacts.emails],
            "employer": [employer] if employer else []}


def merge_crawled(incoming: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """``incoming`` (a crawled record's document) with the stored review work and earlier
    versions kept. The stored versions win over any the incoming document carries: the
    crawler never knows them, so only the store can be trusted to have them all."""
    return {**incoming, **{name: stored.get(name) for name in REVIEW_FIELDS},
            "versions": versions_after(incoming, stored)}


_VERSION_FIELDS = tuple(name for name in AdVersion.model_fields if name != "seen_at")


def versions_after(incoming: dict[str, Any], stored: dict[str, Any]) -> list[dict[str, Any]]:
    """The stored versions, plus the stored content as one more when ``incoming`` says
    something else (another content hash), the oldest dropped past ``MAX_VERSIONS``."""
    versions = list(stored.get("versions") or [])
    if incoming.get("content_hash") != stored.get("content_hash"):
        earlier = AdVersion.model_validate(
            {**{name: stored[name] for name in _VERSION_FIELDS if name in stored},
             "seen_at": stored.get("fetched_at")})
        versions.append(earlier.model_dump(mode="json"))
    return versions[-MAX_VERSIONS:]


def same_content(incoming: dict[str, Any], stored: dict[str, Any],
                 ignored: tuple[str, ...] = ()) -> bool:
    """Whether two documents differ only in the fetch time (and the ``ignored`` fields a
    backend adds of its own)."""
    skip = {"fetched_at", *ignored}
    return ({k: v for k, v in incoming.items() if k not in skip}
            == {k: v for k, v in stored.items() if k not in skip})
