"""Storage backends behind one interface (:class:`index.base.Store`)."""

from __future__ import annotations

from index.base import Store
from lurewatch.config import StoreSettings


def open_store(settings: StoreSettings) -> Store:
    """The configured store: embedded SQLite by default, a search engine at scale."""
    if settings.kind == "sqlite":
        from index.sqlite import SQLiteStore

        return SQLiteStore(settings.path)
    from index.engine.clients import open_engine_store

    return open_engine_store(settings)
