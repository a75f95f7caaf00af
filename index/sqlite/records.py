"""Records and review decisions in the embedded store."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from index.documents import merge_crawled, record_keys, same_content
from index.errors import ConflictError, NotFoundError
from index.query import MAX_CAMPAIGNS, NO_FILTERS, SearchFilters
from index.records import HistoryEntry, RecordStore, UpsertResult
from index.sqlite.filters import where_clause
from index.sqlite.schema import iso
from lurewatch.record import Ad, Decision, apply_decision
from lurewatch.sqlite import Database


class SQLiteRecords(RecordStore):
    """The records table, its keys (``record_terms``), text index and review history."""

    db: Database

    def upsert(self, records: Iterable[Ad]) -> UpsertResult:
        created = updated = unchanged = 0
        with self.db.write() as db:
            for ad in records:
                row = db.execute("SELECT seq, doc FROM records WHERE id = ?", (ad.id,)).fetchone()
                incoming = json.loads(ad.to_json())
                if row is None:
                    self._insert(db, ad, incoming)
                    created += 1
                    continue
                stored = json.loads(row["doc"])
                merged = merge_crawled(incoming, stored)
                if same_content(merged, stored):
                    unchanged += 1
                    continue
                self._update(db, row["seq"], Ad.model_validate(merged), merged)
                updated += 1
        return UpsertResult(created=created, updated=updated, unchanged=unchanged)

    def _insert(self, db: sqlite3.Connection, ad: Ad, doc: dict[str, Any]) -> int:
        cursor = db.execute(
            "INSERT INTO records (id, doc, content_hash, source, label, score, language,"
            " country, sector, review_state, review_version, cluster_id, campaign_id,"
            " posted_at, fetched_at, event_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (ad.id, json.dumps(doc, ensure_ascii=False), *self._columns(ad)),
        )
        seq = int(cursor.lastrowid or 0)
        self._index_terms(db, seq, ad)
        return seq

    def _update(self, db: sqlite3.Connection, seq: int, ad: Ad, doc: dict[str, Any]) -> None:
        db.execute(
            "UPDATE records SET doc=?, content_hash=?, source=?, label=?, score=?, language=?,"
            " country=?, sector=?, review_state=?, review_version=?, cluster_id=?,"
            " campaign_id=?, posted_at=?, fetched_at=?, event_at=? WHERE seq=?",
            (json.dumps(doc, ensure_ascii=False), *self._columns(ad), seq),
        )
        db.execute("DELETE FROM record_terms WHERE seq = ?", (seq,))
        db.execute("DELETE FROM records_fts WHERE rowid = ?", (seq,))
        self._index_terms(db, seq, ad)

    @staticmethod
    def _columns(ad: Ad) -> tuple[Any, ...]:
        posted, fetched = iso(ad.posted_at), iso(ad.fetched_at)
        return (ad.content_hash, ad.source, ad.risk_label, ad.risk_score, ad.language,
                ad.country, ad.sector, ad.review_state, ad.review_version, ad.cluster_id,
                ad.campaign_id, posted, fetched, posted or fetched)

    @staticmethod
    def _index_terms(db: sqlite3.Connection, seq: int, ad: Ad) -> None:
        db.executemany("INSERT INTO record_terms (seq, field, value) VALUES (?,?,?)",
                       [(seq, key, value) for key, values in record_keys(ad).items()
                        for value in values])
        db.execute("INSERT INTO records_fts (rowid, title, text) VALUES (?,?,?)",
                   (seq, ad.title, ad.text))

    def decide(self, record_id: str, decision: Decision, expected_version: int) -> Ad:
        # A refused (stale) decision is committed too: both attempts stay in the history.
        with self.db.write(keep_on=(ConflictError,)) as db:
            row = db.execute("SELECT seq, doc, review_version FROM records WHERE id = ?",
                             (record_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no record {record_id}")
            actual = row["review_version"]
            outcome = "applied" if actual == expected_version else "conflict"
            db.execute(
                "INSERT INTO review_history (record_id, actor, action, outcome, from_version,"
                " state, note, at) VALUES (?,?,?,?,?,?,?,?)",
                (record_id, decision.reviewer, "decide", outcome, expected_version,
                 decision.state, decision.note, iso(decision.at)),
            )
            if outcome == "conflict":
                raise ConflictError(record_id, expected_version, actual)
            ad = apply_decision(Ad.model_validate_json(row["doc"]), decision)
            self._update(db, row["seq"], ad, json.loads(ad.to_json()))
        return ad

    def get(self, record_id: str) -> Ad | None:
        row = self.db.execute("SELECT doc FROM records WHERE id = ?", (record_id,)).fetchone()
        return Ad.model_validate_json(row["doc"]) if row else None

    def history(self, record_id: str) -> list[HistoryEntry]:
        rows = self.db.execute(
            "SELECT * FROM review_history WHERE record_id = ? ORDER BY n", (record_id,)
        ).fetchall()
        return [
            HistoryEntry(record_id=r["record_id"], actor=r["actor"], action=r["action"],
                         outcome=r["outcome"], from_version=r["from_version"],
                         state=r["state"], note=r["note"],
                         at=datetime.fromisoformat(r["at"]))
            for r in rows
        ]

    def count(self, filters: SearchFilters = NO_FILTERS) -> int:
        where, params = where_clause(filters, "")
        return int(self.db.execute(
            f"SELECT count(*) FROM records r WHERE {where}", params).fetchone()[0])

    def scan(self, filters: SearchFilters = NO_FILTERS,
             batch_size: int = 500) -> Iterator[Ad]:
        where, params = where_clause(filters, "")
        after = 0
        while True:
            rows = self.db.execute(
                f"SELECT seq, doc FROM records r WHERE {where} AND r.seq > ?"
                " ORDER BY r.seq LIMIT ?", [*params, after, batch_size]).fetchall()
            if not rows:
                return
            for row in rows:
                yield Ad.model_validate_json(row["doc"])
            after = rows[-1]["seq"]

    def campaign_sizes(self, filters: SearchFilters, min_size: int) -> dict[str, int]:
        where, params = where_clause(filters, "")
        rows = self.db.execute(
            f"SELECT r.campaign_id AS id, count(*) AS n FROM records r WHERE {where}"
            " AND r.campaign_id IS NOT NULL GROUP BY r.campaign_id HAVING n >= ?"
            " ORDER BY n DESC, id LIMIT ?", [*params, min_size, MAX_CAMPAIGNS])
        return {row["id"]: row["n"] for row in rows}
