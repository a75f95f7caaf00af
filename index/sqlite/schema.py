"""The embedded store's tables, as migrations of :class:`lurewatch.sqlite.Database`."""

from __future__ import annotations

from datetime import UTC, datetime

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
MIGRATIONS = (SCHEMA,)


def iso(value: datetime | None) -> str | None:
    """A time as kept in the tables: ISO 8601 in UTC (naive times are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()
