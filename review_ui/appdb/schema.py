"""The application database's tables, as migrations of :class:`lurewatch.sqlite.Database`.

The audit table refuses UPDATE and DELETE through triggers: it is append-only even for
code that forgets.
"""

from __future__ import annotations

from datetime import UTC, datetime

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at REAL NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(username),
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
    key TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures(key, at);
CREATE TABLE IF NOT EXISTS claims (
    record_id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS claims_user ON claims(username, expires_at);
CREATE TABLE IF NOT EXISTS daily_counts (
    username TEXT NOT NULL,
    day TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (username, day)
);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL,
    username TEXT NOT NULL,
    text TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_record ON notes(record_id);
CREATE TABLE IF NOT EXISTS cases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS case_records (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    record_id TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at REAL NOT NULL,
    PRIMARY KEY (case_id, record_id)
);
CREATE TABLE IF NOT EXISTS training_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_by TEXT NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL,
    folder TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""
# Login attempts get an id, so a try counted as a failure before its password was checked
# can be taken back when the password was right (security.LoginRateLimiter).
LOGIN_ATTEMPT_IDS = """
CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    at REAL NOT NULL
);
INSERT INTO login_attempts (key, at) SELECT key, at FROM login_failures;
DROP TABLE login_failures;
CREATE INDEX login_attempts_key ON login_attempts(key, at);
"""
# Personal API tokens (appdb/tokens.py), kept hashed like sessions.
API_TOKENS = """
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    username TEXT NOT NULL REFERENCES users(username),
    name TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    expires_at REAL,
    revoked_at REAL,
    last_used_at REAL
);
CREATE INDEX api_tokens_user ON api_tokens(username);
"""
# Accounts an admin reset: the temporary password only lets its holder choose a new one.
PASSWORD_RESETS = """
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
"""
# Repeated refusals are kept once per window (AuditTables.audit_once_per).
AUDIT_REPEATS = """
CREATE INDEX audit_repeats ON audit(actor, action, target, at);
"""
# Watchlist entries (appdb/watchlists.py); the monitor reads them (monitor/watchlists.py).
WATCHLISTS = """
CREATE TABLE watchlists (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL REFERENCES users(username),
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    query_json TEXT,
    created_at REAL NOT NULL,
    paused INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX watchlists_owner ON watchlists(owner);
"""
# Pseudonyms of a case's contacts for redacted exports (appdb/pseudonyms.py).
CASE_PSEUDONYMS = """
CREATE TABLE case_pseudonyms (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    number INTEGER NOT NULL,
    pseudonym TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (case_id, kind, value),
    UNIQUE (case_id, kind, number)
);
"""
MIGRATIONS = (SCHEMA, LOGIN_ATTEMPT_IDS, API_TOKENS, PASSWORD_RESETS, AUDIT_REPEATS,
              WATCHLISTS, CASE_PSEUDONYMS)


def when(epoch: float) -> datetime:
    """A time as kept (seconds since the epoch) as an aware datetime."""
    return datetime.fromtimestamp(epoch, UTC)
