"""The embedded store: SQLite in WAL mode, FTS5 with the trigram tokenizer for text.

FTS5's default tokenizer splits on spaces and so cannot find a word inside Chinese,
Thai, Burmese or Khmer text; the trigram tokenizer indexes every three-character run,
which finds substrings in any script. One file per aggregate: records
(:mod:`.records`), search (:mod:`.search`), alerts (:mod:`.alerts`) and runs
(:mod:`.runs`), over the tables of :mod:`.schema`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from index.base import Store
from index.errors import StoreError
from index.sqlite.alerts import SQLiteAlerts
from index.sqlite.records import SQLiteRecords
from index.sqlite.runs import SQLiteRuns
from index.sqlite.schema import MIGRATIONS
from index.sqlite.search import SQLiteSearch
from lurewatch.sqlite import Database


class SQLiteStore(SQLiteSearch, SQLiteRecords, SQLiteAlerts, SQLiteRuns, Store):
    """The embedded default store; one file, safe for several threads and processes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.db = Database(self.path, "store", MIGRATIONS, error=StoreError)

    def describe(self) -> str:
        return f"SQLite {sqlite3.sqlite_version} ({self.path})"

    def close(self) -> None:
        self.db.close()
