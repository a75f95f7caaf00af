"""Index design shared by Elasticsearch and OpenSearch: names, analysis, mapping, template.

Records live in versioned indices (``<prefix>-ads-v1``, ``-v2``…) behind one alias
(``<prefix>-ads``) that every read and write goes through, so a mapping change is a copy
into a new index and an atomic alias swap (see :mod:`index.engine.reindex`).

Text analysis uses only what ``analysis-common`` ships. Chinese, Thai, Burmese and Khmer
are written without spaces between words, so ``title`` and ``text`` carry a ``grams``
subfield indexed as overlapping character bigrams; a phrase query over bigrams is a
substring match in any script (positions are consecutive because every gram has the same
length). The main field keeps the standard analyser for relevance and highlighting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Written by the store next to the record's own fields; stripped again on read.
KEYS_FIELD = "keys"


@dataclass(frozen=True)
class IndexNames:
    """Every name one Lurewatch deployment uses on the engine, derived from a prefix."""

    prefix: str

    @property
    def alias(self) -> str:
        return f"{self.prefix}-ads"

    @property
    def template(self) -> str:
        return f"{self.prefix}-ads"

    @property
    def pattern(self) -> str:
        return f"{self.prefix}-ads-v*"

    @property
    def audit(self) -> str:
        return f"{self.prefix}-audit"

    @property
    def alerts(self) -> str:
        return f"{self.prefix}-alerts"

    @property
    def runs(self) -> str:
        return f"{self.prefix}-runs"

    def versioned(self, version: int) -> str:
        return f"{self.prefix}-ads-v{version}"

    def version_of(self, index: str) -> int:
        head = f"{self.prefix}-ads-v"
        if not index.startswith(head) or not index[len(head):].isdigit():
            raise ValueError(f"{index!r} is not a versioned Lurewatch index")
        return int(index[len(head):])


ANALYSIS: dict[str, Any] = {
    "tokenizer": {
        "lw_bigram": {"type": "ngram", "min_gram": 2, "max_gram": 2, "token_chars": []},
    },
    "analyzer": {
        "lw_text": {"type": "custom", "tokenizer": "standard",
                    "filter": ["lowercase", "asciifolding"]},
        "lw_grams": {"type": "custom", "tokenizer": "lw_bigram", "filter": ["lowercase"]},
    },
    "normalizer": {
        "lw_lower": {"type": "custom", "filter": ["lowercase"]},
    },
}


def _text() -> dict[str, Any]:
    return {
        "type": "text",
        "analyzer": "lw_text",
        "fields": {"grams": {"type": "text", "analyzer": "lw_grams"}},
    }


# Crawled content is hostile: a keyword longer than Lucene's term limit (32766 bytes)
# would make the whole record fail to index, so longer values are kept but not indexed.
_KEYWORD = {"type": "keyword", "ignore_above": 1024}
_DATE = {"type": "date"}


def mappings() -> dict[str, Any]:
    """The record mapping. Fields not listed stay in ``_source`` unindexed (dynamic off),
    so a new record field never breaks indexing; map it here and reindex to query it."""
    return {
        "dynamic": False,
        "properties": {
            "schema_version": {"type": "integer"},
            "id": _KEYWORD,
            "source": _KEYWORD,
            "url": {"type": "keyword", "ignore_above": 2048},
            "platform": _KEYWORD,
            "post_id": _KEYWORD,
            "fetched_at": _DATE,
            "posted_at": _DATE,
            "title": _text(),
            "text": _text(),
            "language": _KEYWORD,
            "languages_present": _KEYWORD,
            "country": _KEYWORD,
            "location": {"type": "text", "fields": {"raw": {"type": "keyword",
                                                            "ignore_above": 256}}},
            "employer": {"type": "text", "fields": {"raw": {"type": "keyword",
                                                            "ignore_above": 256}}},
            "sector": _KEYWORD,
            "contacts": {"properties": {
                name: _KEYWORD for name in
                ("phones", "whatsapp", "telegram", "line", "wechat", "emails", "urls")
            }},
            # Kept for the review application's image proxy; a keyword, so records showing
            # the same picture can be found.
            "images": {"type": "keyword", "ignore_above": 2048},
            "salary": {"properties": {
                "text": {"type": "text"},
                "amount_min": {"type": "double"},
                "amount_max": {"type": "double"},
                "currency": _KEYWORD,
                "period": _KEYWORD,
                "monthly_usd": {"type": "double"},
            }},
            "content_hash": _KEYWORD,
            "snapshot_sha256": _KEYWORD,  # raw_ref stays in _source, unindexed
            "cluster_id": _KEYWORD,
            "campaign_id": _KEYWORD,
            "risk_label": _KEYWORD,
            "risk_score": {"type": "float"},
            "indicators": {"type": "nested", "properties": {
                "id": _KEYWORD,
                "score": {"type": "float"},
                "source": _KEYWORD,
                "rule": _KEYWORD,
                "spans": {"properties": {
                    "start": {"type": "integer"},
                    "end": {"type": "integer"},
                    "text": {"type": "text", "analyzer": "lw_text"},
                }},
            }},
            "model_version": _KEYWORD,
            "review_state": _KEYWORD,
            "review_version": {"type": "integer"},
            "decisions": {"type": "object", "enabled": False},
            "versions": {"type": "object", "enabled": False},
            "taken_down_at": _DATE,
            KEYS_FIELD: {"properties": {
                # One value per record for each facet/pivot, normalised as pivots compare.
                "indicator": _KEYWORD,
                "phone": _KEYWORD,
                "handle": _KEYWORD,
                "email": {"type": "keyword", "normalizer": "lw_lower", "ignore_above": 1024},
                "employer": _KEYWORD,
                "event_at": _DATE,  # posted_at, else fetched_at: what trends count by
                "written_at": _DATE,  # when the store last wrote it: reindex catch-up
            }},
        },
    }


def index_settings(shards: int = 1) -> dict[str, Any]:
    return {
        "number_of_shards": shards,
        # One replica wherever a second node exists, none on a single test node (so it
        # stays green); a three-node cluster keeps a copy of every shard on another node.
        "auto_expand_replicas": "0-1",
        "analysis": ANALYSIS,
    }


def index_template(names: IndexNames) -> dict[str, Any]:
    """The composable index template every versioned index is created from."""
    return {
        "index_patterns": [names.pattern],
        "template": {"settings": index_settings(), "mappings": mappings()},
        "priority": 100,
        "_meta": {"managed_by": "lurewatch"},
    }


AUDIT_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "record_id": _KEYWORD,
        "actor": _KEYWORD,
        "action": _KEYWORD,
        "outcome": _KEYWORD,
        "from_version": {"type": "integer"},
        "state": _KEYWORD,
        "note": {"type": "text"},
        "at": _DATE,
        "recorded_at": {"type": "long"},  # ns clock: orders attempts made within one ms
    },
}


# One document per alert; its id is the alert's de-duplication key, so creating it
# (``op_type=create``) is the de-duplication, whichever process gets there first.
ALERT_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "key": _KEYWORD,
        "rule": _KEYWORD,
        "kind": _KEYWORD,
        "subject_type": _KEYWORD,
        "subject_id": _KEYWORD,
        "summary": {"type": "keyword", "index": False},
        "link": {"type": "keyword", "index": False},
        "details": {"type": "object", "enabled": False},
        "created_at": _DATE,
        "created_ns": {"type": "long"},  # orders alerts raised within one millisecond
        "deliveries": {"type": "nested", "properties": {
            "channel": _KEYWORD,
            "status": _KEYWORD,
            "attempts": {"type": "integer"},
            "last_error": {"type": "keyword", "index": False},
            "sent_at": _DATE,
            "claimed_until": _DATE,
        }},
    },
}


# One document per crawl run, by any monitor process; its id is the run's id.
RUN_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "id": _KEYWORD,
        "source": _KEYWORD,
        "monitor": _KEYWORD,
        "started_at": _DATE,
        "started_ns": {"type": "long"},  # orders runs started within one millisecond
        "finished_at": _DATE,
        "outcome": _KEYWORD,
        "counts": {"type": "object", "enabled": False},
        "health": _KEYWORD,
        "problems": {"type": "keyword", "index": False},
        "error": {"type": "keyword", "index": False},
    },
}
