"""The store every backend implements: records, alerts and runs, one aggregate each.

One contract suite (``tests/index/test_store_contract.py``) runs unchanged against every
backend. The store only stores: what records mean (campaigns, templates, scores) is the
classifiers' business, in functions that take a store.
"""

from __future__ import annotations

import abc

from index.alerts import AlertStore
from index.records import RecordStore
from index.runs import RunStore


class Store(RecordStore, AlertStore, RunStore):
    """Records, alerts and runs in one backend (one SQLite file, or one engine cluster)."""

    @abc.abstractmethod
    def describe(self) -> str:
        """What holds the data, for people: engine and version (and where)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections; a no-op where there are none."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

