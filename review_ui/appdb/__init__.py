"""The review application's own database: what is not a record.

Accounts, sessions, API tokens, claims, notes, cases, daily counts, training runs and
the audit log live in a small SQLite file next to the data (``settings.data_dir /
"review.db"``), so the application behaves the same whichever record store is configured.
One module per group of tables (:mod:`.accounts`, :mod:`.work`, :mod:`.cases`,
:mod:`.training`, :mod:`.tokens`, :mod:`.watchlists`, :mod:`.pseudonyms`, :mod:`.audit`),
over the tables of :mod:`.schema`.
"""

from __future__ import annotations

from pathlib import Path

from lurewatch.sqlite import Database
from review_ui.appdb.accounts import AccountTables
from review_ui.appdb.audit import AuditTables
from review_ui.appdb.cases import CaseTables
from review_ui.appdb.pseudonyms import PseudonymTables
from review_ui.appdb.schema import MIGRATIONS
from review_ui.appdb.tokens import TokenTables
from review_ui.appdb.training import TrainingTables
from review_ui.appdb.watchlists import WatchlistTables
from review_ui.appdb.work import WorkTables


class ReviewDB(AccountTables, WorkTables, CaseTables, TrainingTables, TokenTables,
               WatchlistTables, PseudonymTables, AuditTables):
    """Thread-safe access to the application database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = Database(path, "review", MIGRATIONS)
