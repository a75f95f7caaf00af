"""The embedded store: SQLite in WAL mode, FTS5 with the trigram tokenizer for text.

FTS5's default tokenizer splits on spaces and so cannot find a word inside Chinese,
Thai, Burmese or Khmer text; the trigram tokenizer indexes every three-character run,
which finds substrings in any script. Query terms shorter than three characters (many
Chinese words are two) fall back to a LIKE scan of the same table.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from index.base import (
    ABANDONED_RUN_ERROR,
    FACET_FIELDS,
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    MAX_CAMPAIGNS,
    NO_FILTERS,
    TREND_SPLITS,
    Alert,
    ConflictError,
    DeliveryStatus,
    Health,
    HistoryEntry,
    Hit,
    Interval,
    NewAlert,
    NotFoundError,
    PendingDelivery,
    Run,
    RunOutcome,
    SearchFilters,
    SearchQuery,
    SearchResult,
    Store,
    StoreError,
    TrendBucket,
    UpsertResult,
    check_result_window,
    timestamp_ns,
)
from lurewatch.record import Ad, Decision, Indicator, normalise_employer

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    source TEXT NOT NULL,
    label TEXT,
    score REAL,
    language TEXT,
    country TEXT,
    sector TEXT,
    review_state TEXT NOT NULL,
    review_version INTEGER NOT NULL,
    cluster_id TEXT,
    campaign_id TEXT,
    posted_at TEXT,
    fetched_at TEXT NOT NULL,
    event_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_label_score ON records(label, score);
CREATE INDEX IF NOT EXISTS records_event_at ON records(event_at);
CREATE INDEX IF NOT EXISTS records_review_state ON records(review_state);
CREATE INDEX IF NOT EXISTS records_cluster ON records(cluster_id);
CREATE INDEX IF NOT EXISTS records_campaign ON records(campaign_id);
-- Counts, facets and the queue's ordering read only these columns: a covering index keeps
-- them from walking the long JSON documents.
CREATE INDEX IF NOT EXISTS records_filters
    ON records(review_state, label, score, language, country, source, event_at, seq);
CREATE TABLE IF NOT EXISTS record_terms (
    seq INTEGER NOT NULL REFERENCES records(seq) ON DELETE CASCADE,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (field, value, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS record_terms_seq ON record_terms(seq);
CREATE VIRTUAL TABLE IF NOT EXISTS records_fts USING fts5(title, text, tokenize='trigram');
CREATE TABLE IF NOT EXISTS review_history (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    from_version INTEGER NOT NULL,
    state TEXT NOT NULL,
    note TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS review_history_record ON review_history(record_id);
CREATE TRIGGER IF NOT EXISTS review_history_append_only_update
    BEFORE UPDATE ON review_history BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS review_history_append_only_delete
    BEFORE DELETE ON review_history BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TABLE IF NOT EXISTS alerts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    rule TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    summary TEXT NOT NULL,
    link TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_deliveries (
    alert_seq INTEGER NOT NULL REFERENCES alerts(seq),
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at TEXT,
    claimed_until TEXT,
    PRIMARY KEY (alert_seq, channel)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS alert_deliveries_status
    ON alert_deliveries(channel, status, alert_seq);
CREATE TABLE IF NOT EXISTS runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    monitor TEXT NOT NULL,
    started_at TEXT NOT NULL,
    started_ns INTEGER NOT NULL,  -- orders runs; imported ones arrive after newer runs
    finished_at TEXT,
    outcome TEXT NOT NULL,
    counts TEXT NOT NULL DEFAULT '{}',
    health TEXT NOT NULL DEFAULT 'unknown',
    problems TEXT NOT NULL DEFAULT '[]',
    error TEXT
);
CREATE INDEX IF NOT EXISTS runs_source ON runs(source, started_ns, seq);
CREATE INDEX IF NOT EXISTS runs_running ON runs(monitor, outcome);
"""

# Facet name -> the records column it counts; facets not listed here live in record_terms.
_COLUMN_FACETS = {"label": "label", "language": "language", "source": "source",
                  "country": "country", "review_state": "review_state", "sector": "sector"}
_SHORT_TERM = 3  # the trigram tokenizer cannot match shorter terms
_REVIEW_FIELDS = ("review_state", "review_version", "decisions")
_BUCKET_SQL = {
    "day": "date(r.event_at)",
    "week": "date(r.event_at, '-6 days', 'weekday 1')",
    "month": "strftime('%Y-%m-01', r.event_at)",
}


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def _run(row: sqlite3.Row) -> Run:
    return Run(id=row["id"], source=row["source"], monitor=row["monitor"],
               started_at=datetime.fromisoformat(row["started_at"]),
               finished_at=datetime.fromisoformat(row["finished_at"])
               if row["finished_at"] else None,
               outcome=row["outcome"], counts=json.loads(row["counts"]), health=row["health"],
               problems=json.loads(row["problems"]), error=row["error"])


def _terms(ad: Ad) -> set[tuple[str, str]]:
    """The keyword values a record is filtered and pivoted on."""
    terms = {("indicator", i) for i in ad.indicator_ids()}
    terms |= {("phone", p) for p in ad.contacts.phones}
    terms |= {("handle", h) for h in ad.contacts.handles()}
    terms |= {("email", e.lower()) for e in ad.contacts.emails}
    if ad.employer and normalise_employer(ad.employer):
        terms.add(("employer", normalise_employer(ad.employer)))
    return terms


def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored document without what a re-fetch changes anyway (the fetch time)."""
    return {k: v for k, v in doc.items() if k != "fetched_at"}


class SQLiteStore(Store):
    """The embedded default store; one file, safe for several threads and processes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._write() as db:
            db.executescript(SCHEMA)

    # -- connections -----------------------------------------------------------------

    @property
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            try:
                db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"cannot open the SQLite store {self.path}: {exc}") from exc
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA synchronous=NORMAL")
            db.row_factory = sqlite3.Row
            self._local.db = db
        return db

    def _write(self) -> _Transaction:
        return _Transaction(self._db)

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # -- writing ---------------------------------------------------------------------

    def upsert(self, records: Iterable[Ad]) -> UpsertResult:
        created = updated = unchanged = 0
        with self._write() as db:
            for ad in records:
                row = db.execute("SELECT seq, doc FROM records WHERE id = ?", (ad.id,)).fetchone()
                incoming = json.loads(ad.to_json())
                if row is None:
                    seq = self._insert(db, ad, incoming)
                    created += 1
                    continue
                stored = json.loads(row["doc"])
                for name in _REVIEW_FIELDS:  # crawl data never overwrites review work
                    incoming[name] = stored[name]
                if _comparable(incoming) == _comparable(stored):
                    unchanged += 1
                    continue
                seq = row["seq"]
                self._update(db, seq, Ad.model_validate(incoming), incoming)
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
        posted, fetched = _iso(ad.posted_at), _iso(ad.fetched_at)
        return (ad.content_hash, ad.source, ad.risk_label, ad.risk_score, ad.language,
                ad.country, ad.sector, ad.review_state, ad.review_version, ad.cluster_id,
                ad.campaign_id, posted, fetched, posted or fetched)

    @staticmethod
    def _index_terms(db: sqlite3.Connection, seq: int, ad: Ad) -> None:
        db.executemany("INSERT INTO record_terms (seq, field, value) VALUES (?,?,?)",
                       [(seq, field, value) for field, value in _terms(ad)])
        db.execute("INSERT INTO records_fts (rowid, title, text) VALUES (?,?,?)",
                   (seq, ad.title, ad.text))

    def decide(self, record_id: str, decision: Decision, expected_version: int) -> Ad:
        with self._write() as db:
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
                 decision.state, decision.note, _iso(decision.at)),
            )
            if outcome == "conflict":
                # _Transaction commits on ConflictError, so the refused attempt stays in history.
                raise ConflictError(record_id, expected_version, actual)
            ad = apply_decision(Ad.model_validate_json(row["doc"]), decision)
            self._update(db, row["seq"], ad, json.loads(ad.to_json()))
        return ad

    # -- alerts ----------------------------------------------------------------------

    def add_alert(self, alert: NewAlert, channels: Sequence[str]) -> Alert | None:
        with self._write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO alerts (key, rule, kind, subject_type, subject_id,"
                " summary, link, details, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (alert.key, alert.rule, alert.kind, alert.subject_type, alert.subject_id,
                 alert.summary, alert.link, json.dumps(alert.details, ensure_ascii=False),
                 _iso(datetime.now(UTC))))
            if cursor.rowcount == 0:
                return None
            seq = int(cursor.lastrowid or 0)
            db.executemany("INSERT INTO alert_deliveries (alert_seq, channel, status)"
                           " VALUES (?, ?, 'pending')", [(seq, c) for c in channels])
        return self._alerts("WHERE a.seq = ?", (seq,), limit=1)[0]

    def alert_keys(self, prefix: str) -> set[str]:
        rows = self._db.execute("SELECT key FROM alerts WHERE substr(key, 1, ?) = ?",
                                (len(prefix), prefix)).fetchall()
        return {row[0] for row in rows}

    def alerts(self, limit: int = 100, offset: int = 0) -> list[Alert]:
        check_result_window(offset, limit)
        return self._alerts("", (), limit=limit, offset=offset)

    def _alerts(self, where: str, params: tuple[Any, ...], *, limit: int,
                offset: int = 0) -> list[Alert]:
        rows = self._db.execute(
            f"SELECT * FROM alerts a {where} ORDER BY a.seq DESC LIMIT ? OFFSET ?",
            (*params, limit, offset)).fetchall()
        deliveries: dict[int, dict[str, DeliveryStatus]] = {row["seq"]: {} for row in rows}
        marks = ",".join("?" * len(deliveries))
        for row in self._db.execute("SELECT alert_seq, channel, status FROM alert_deliveries"
                                    f" WHERE alert_seq IN ({marks})", list(deliveries)):
            deliveries[row["alert_seq"]][row["channel"]] = row["status"]
        return [Alert(key=row["key"], rule=row["rule"], kind=row["kind"],
                      subject_type=row["subject_type"], subject_id=row["subject_id"],
                      summary=row["summary"], link=row["link"],
                      details=json.loads(row["details"]),
                      created_at=datetime.fromisoformat(row["created_at"]),
                      deliveries=deliveries[row["seq"]])
                for row in rows]

    def pending_deliveries(self, channel: str, limit: int) -> list[PendingDelivery]:
        rows = self._db.execute(
            "SELECT d.attempts, a.key FROM alert_deliveries d JOIN alerts a"
            " ON a.seq = d.alert_seq WHERE d.channel = ? AND d.status = 'pending'"
            " AND (d.claimed_until IS NULL OR d.claimed_until < ?)"
            " ORDER BY d.alert_seq LIMIT ?", (channel, _iso(datetime.now(UTC)), limit)).fetchall()
        keys = [row["key"] for row in rows]
        by_key = {alert.key: alert for alert in self._alerts(
            f"WHERE a.key IN ({','.join('?' * len(keys))})", tuple(keys), limit=len(keys))}
        return [PendingDelivery(by_key[row["key"]], channel, row["attempts"]) for row in rows]

    def claim_delivery(self, alert_id: str, channel: str, lease: timedelta) -> bool:
        now = datetime.now(UTC)
        with self._write() as db:
            cursor = db.execute(
                "UPDATE alert_deliveries SET claimed_until = ? WHERE channel = ?"
                " AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < ?)"
                " AND alert_seq = (SELECT seq FROM alerts WHERE key = ?)",
                (_iso(now + lease), channel, _iso(now), alert_id))
            return cursor.rowcount == 1

    def release_delivery(self, alert_id: str, channel: str) -> None:
        with self._write() as db:
            db.execute("UPDATE alert_deliveries SET claimed_until = NULL WHERE channel = ?"
                       " AND status = 'pending'"
                       " AND alert_seq = (SELECT seq FROM alerts WHERE key = ?)",
                       (channel, alert_id))

    def deliveries_spent_since(self, channel: str, since: datetime) -> int:
        return int(self._db.execute(
            "SELECT count(*) FROM alert_deliveries WHERE channel = ?"
            " AND ((status = 'sent' AND sent_at >= ?)"
            " OR (status = 'pending' AND claimed_until >= ?))",
            (channel, _iso(since), _iso(datetime.now(UTC)))).fetchone()[0])

    def record_delivery(self, alert_id: str, channel: str, status: DeliveryStatus,
                        error: str | None = None) -> None:
        sent_at = _iso(datetime.now(UTC)) if status == "sent" else None
        with self._write() as db:
            cursor = db.execute(
                "UPDATE alert_deliveries SET status = ?, attempts = attempts + 1,"
                " last_error = ?, sent_at = ?, claimed_until = NULL WHERE channel = ?"
                " AND alert_seq = (SELECT seq FROM alerts WHERE key = ?)",
                (status, error, sent_at, channel, alert_id))
            if cursor.rowcount == 0:
                raise NotFoundError(f"no delivery of alert {alert_id} on {channel}")

    # -- runs ------------------------------------------------------------------------

    def start_run(self, source: str, monitor: str) -> str:
        run_id = uuid.uuid4().hex
        started_at = datetime.now(UTC)
        with self._write() as db:
            db.execute("INSERT INTO runs (id, source, monitor, started_at, started_ns, outcome)"
                       " VALUES (?, ?, ?, ?, ?, 'running')",
                       (run_id, source, monitor, _iso(started_at), timestamp_ns(started_at)))
        return run_id

    def finish_run(self, run_id: str, *, outcome: RunOutcome, counts: dict[str, Any],
                   health: Health, problems: list[str], error: str | None = None) -> None:
        with self._write() as db:
            cursor = db.execute(
                "UPDATE runs SET finished_at = ?, outcome = ?, counts = ?, health = ?,"
                " problems = ?, error = ? WHERE id = ?",
                (_iso(datetime.now(UTC)), outcome, json.dumps(counts, ensure_ascii=False),
                 health, json.dumps(problems, ensure_ascii=False), error, run_id))
            if cursor.rowcount == 0:
                raise NotFoundError(f"no run {run_id}")

    def import_runs(self, runs: Iterable[Run]) -> int:
        with self._write() as db:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO runs (id, source, monitor, started_at, started_ns,"
                " finished_at, outcome, counts, health, problems, error)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [(run.id, run.source, run.monitor, _iso(run.started_at),
                  timestamp_ns(run.started_at), _iso(run.finished_at), run.outcome,
                  json.dumps(run.counts, ensure_ascii=False), run.health,
                  json.dumps(run.problems, ensure_ascii=False), run.error) for run in runs])
            return db.total_changes - before

    def recent_runs(self, source: str, limit: int) -> list[Run]:
        rows = self._db.execute("SELECT * FROM runs WHERE source = ?"
                                " ORDER BY started_ns DESC, seq DESC LIMIT ?",
                                (source, limit)).fetchall()
        return [_run(row) for row in rows]

    def last_runs(self) -> dict[str, Run]:
        rows = self._db.execute(
            "SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY source"
            " ORDER BY started_ns DESC, seq DESC) AS newest FROM runs) WHERE newest = 1"
        ).fetchall()
        return {row["source"]: _run(row) for row in rows}

    def last_finished_at(self, source: str) -> datetime | None:
        row = self._db.execute("SELECT max(finished_at) FROM runs WHERE source = ?"
                               " AND outcome IN ('ok', 'failed')", (source,)).fetchone()
        return datetime.fromisoformat(row[0]) if row[0] else None

    def mark_abandoned_runs(self, monitor: str) -> int:
        with self._write() as db:
            cursor = db.execute(
                "UPDATE runs SET outcome = 'interrupted', finished_at = ?, error = ?"
                " WHERE monitor = ? AND outcome = 'running'",
                (_iso(datetime.now(UTC)), ABANDONED_RUN_ERROR, monitor))
            return cursor.rowcount

    # -- reading ---------------------------------------------------------------------

    def get(self, record_id: str) -> Ad | None:
        row = self._db.execute("SELECT doc FROM records WHERE id = ?", (record_id,)).fetchone()
        return Ad.model_validate_json(row["doc"]) if row else None

    def history(self, record_id: str) -> list[HistoryEntry]:
        rows = self._db.execute(
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
        where, params = _where(filters, "")
        return int(self._db.execute(
            f"SELECT count(*) FROM records r WHERE {where}", params).fetchone()[0])

    def scan(self, filters: SearchFilters = NO_FILTERS,
             batch_size: int = 500) -> Iterator[Ad]:
        where, params = _where(filters, "")
        after = 0
        while True:
            rows = self._db.execute(
                f"SELECT seq, doc FROM records r WHERE {where} AND r.seq > ?"
                " ORDER BY r.seq LIMIT ?", [*params, after, batch_size]).fetchall()
            if not rows:
                return
            for row in rows:
                yield Ad.model_validate_json(row["doc"])
            after = rows[-1]["seq"]

    def search(self, query: SearchQuery) -> SearchResult:
        where, params = _where(query.filters, query.text)
        db = self._db
        total = int(db.execute(f"SELECT count(*) FROM records r WHERE {where}",
                               params).fetchone()[0])
        order = {
            "score": "r.score IS NULL, r.score DESC, r.seq",
            "age": "r.event_at, r.seq",
            "newest": "r.event_at DESC, r.seq DESC",
            "relevance": "r.score IS NULL, r.score DESC, r.event_at DESC, r.seq",
        }[query.sort]
        # The page's ids first, then their documents: sorting never carries the documents.
        page = [row["seq"] for row in db.execute(
            f"SELECT r.seq FROM records r WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, query.size, query.offset])]
        docs = {row["seq"]: row["doc"] for row in db.execute(
            f"SELECT seq, doc FROM records WHERE seq IN ({','.join('?' * len(page))})", page)}
        hits = [Hit(record=Ad.model_validate_json(docs[seq])) for seq in page]
        if query.highlight and query.text.strip():
            for hit in hits:
                hit.highlights = _highlights(hit.record, query.text)
        facets = {name: self._facet(name, where, params) for name in query.facets}
        return SearchResult(total=total, hits=hits, facets=facets)

    def _facet(self, name: str, where: str, params: list[Any]) -> dict[str, int]:
        if name in _COLUMN_FACETS:
            column = _COLUMN_FACETS[name]
            sql = (f"SELECT r.{column} AS k, count(*) AS n FROM records r WHERE {where}"
                   f" AND r.{column} IS NOT NULL GROUP BY k ORDER BY n DESC, k")
        elif name in ("indicator", "phone", "handle", "email", "employer"):
            sql = ("SELECT t.value AS k, count(*) AS n FROM record_terms t"
                   f" JOIN records r ON r.seq = t.seq WHERE t.field = '{name}' AND {where}"
                   " GROUP BY k ORDER BY n DESC, k")
        else:
            raise StoreError(f"unknown facet {name!r}; expected one of {', '.join(FACET_FIELDS)}")
        return {row["k"]: row["n"] for row in self._db.execute(sql, params)}

    def campaign_sizes(self, filters: SearchFilters, min_size: int) -> dict[str, int]:
        where, params = _where(filters, "")
        rows = self._db.execute(
            f"SELECT r.campaign_id AS id, count(*) AS n FROM records r WHERE {where}"
            " AND r.campaign_id IS NOT NULL GROUP BY r.campaign_id HAVING n >= ?"
            " ORDER BY n DESC, id LIMIT ?", [*params, min_size, MAX_CAMPAIGNS])
        return {row["id"]: row["n"] for row in rows}

    def trends(self, filters: SearchFilters, split_by: str,
               interval: Interval = "week") -> list[TrendBucket]:
        if split_by not in TREND_SPLITS:
            raise StoreError(f"cannot split trends by {split_by!r}; "
                             f"expected one of {', '.join(TREND_SPLITS)}")
        if interval not in _BUCKET_SQL:
            raise StoreError(f"unknown interval {interval!r}; expected day, week or month")
        where, params = _where(filters, "")
        bucket = _BUCKET_SQL[interval]
        if split_by == "indicator":
            sql = (f"SELECT {bucket} AS period, t.value AS k, count(*) AS n FROM records r"
                   " JOIN record_terms t ON t.seq = r.seq AND t.field = 'indicator'"
                   f" WHERE {where} GROUP BY period, k ORDER BY period, k")
        else:
            column = _COLUMN_FACETS[split_by]
            sql = (f"SELECT {bucket} AS period, coalesce(r.{column}, 'unknown') AS k,"
                   f" count(*) AS n FROM records r WHERE {where}"
                   " GROUP BY period, k ORDER BY period, k")
        return [TrendBucket(period=row["period"], key=row["k"], count=row["n"])
                for row in self._db.execute(sql, params)]


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``: writers queue on the lock instead of failing late."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if not self.db.in_transaction:
            return
        if exc_type is None or exc_type is ConflictError:  # a refusal is still recorded
            self.db.execute("COMMIT")
        else:
            self.db.execute("ROLLBACK")


def apply_decision(ad: Ad, decision: Decision) -> Ad:
    """The record after a reviewer's decision: new state and version, the decision kept,
    indicator corrections applied (added ones carry ``source='reviewer'``)."""
    removed = set(decision.indicators_removed)
    indicators = [i for i in ad.indicators if i.id not in removed]
    present = {i.id for i in indicators}
    indicators += [Indicator(id=i, score=1.0, source="reviewer")
                   for i in decision.indicators_added if i not in present]
    return ad.model_copy(update={
        "review_state": decision.state,
        "review_version": ad.review_version + 1,
        "decisions": [*ad.decisions, decision],
        "indicators": indicators,
    })


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _where(filters: SearchFilters, text: str) -> tuple[str, list[Any]]:
    """The WHERE clause (over alias ``r``) and its parameters for filters and text."""
    clauses: list[str] = ["1=1"]
    params: list[Any] = []

    def any_of(column: str, values: tuple[str, ...]) -> None:
        if values:
            clauses.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(values)

    any_of("r.label", filters.labels)
    any_of("r.language", filters.languages)
    any_of("r.source", filters.sources)
    any_of("r.country", filters.countries)
    any_of("r.review_state", filters.review_states)
    any_of("r.cluster_id", filters.cluster_ids)
    any_of("r.campaign_id", filters.campaign_ids)
    term_filters = {
        "indicator": filters.indicators, "phone": filters.phones, "handle": filters.handles,
        "email": tuple(e.lower() for e in filters.emails),
        "employer": tuple(normalise_employer(e) for e in filters.employers),
    }
    for field, values in term_filters.items():
        # Several values of one field: any of them (a record with all is not required).
        if values:
            clauses.append(
                "r.seq IN (SELECT seq FROM record_terms WHERE field = ? AND value IN"
                f" ({','.join('?' * len(values))}))")
            params.extend([field, *values])
    if filters.posted_from is not None:
        clauses.append("r.event_at >= ?")
        params.append(_iso(filters.posted_from))
    if filters.posted_to is not None:
        clauses.append("r.event_at <= ?")
        params.append(_iso(filters.posted_to))
    if filters.score_min is not None:
        clauses.append("r.score >= ?")
        params.append(filters.score_min)
    if filters.score_max is not None:
        clauses.append("r.score <= ?")
        params.append(filters.score_max)
    for term in text.split():
        if len(term) >= _SHORT_TERM:
            clauses.append("r.seq IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?)")
            params.append(_fts_phrase(term))
        else:
            clauses.append("r.seq IN (SELECT rowid FROM records_fts"
                           " WHERE title LIKE ? ESCAPE '\\' OR text LIKE ? ESCAPE '\\')")
            like = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params.extend([like, like])
    return " AND ".join(clauses), params


def _highlights(ad: Ad, text: str, context: int = 60,
                max_fragments: int = 3) -> dict[str, list[str]]:
    """Fragments of title and text around each query term, matches wrapped in the
    highlight marks. Done in Python so short terms and long ones mark alike."""
    terms = sorted({t.casefold() for t in text.split()}, key=len, reverse=True)
    result: dict[str, list[str]] = {}
    for field in ("title", "text"):
        value: str = getattr(ad, field)
        folded = value.casefold()
        if len(folded) != len(value):  # case-folding changed lengths: offsets unsafe
            folded = value.lower() if len(value.lower()) == len(value) else value
        spans: list[tuple[int, int]] = []
        for term in terms:
            start = folded.find(term)
            while start != -1 and len(spans) < 50:
                end = start + len(term)
                if not any(s < end and start < e for s, e in spans):
                    spans.append((start, end))
                start = folded.find(term, end)
        if not spans:
            continue
        spans.sort()
        fragments = []
        for start, end in spans[:max_fragments]:
            lo, hi = max(0, start - context), min(len(value), end + context)
            fragment = value[lo:start] + HIGHLIGHT_START + value[start:end] + HIGHLIGHT_END
            fragments.append(("…" if lo else "") + fragment + value[end:hi]
                             + ("…" if hi < len(value) else ""))
        result[field] = fragments
    return result
