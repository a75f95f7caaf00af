"""The store on a search engine: everything Elasticsearch and OpenSearch share.

One file per concern: the client and indices (:mod:`.base`), bulk writing and the
spool (:mod:`.bulk`), reading and reviewing records (:mod:`.records`), alerts
(:mod:`.alerts`) and runs (:mod:`.runs`); mapping and query DSL in :mod:`.mapping` and
:mod:`.queries`; the two clients in :mod:`.clients`.
"""

from __future__ import annotations

import abc

from index.base import Store
from index.engine.alerts import EngineAlerts
from index.engine.base import EngineRequestError, EngineUnavailableError
from index.engine.bulk import EngineBulkWriter, EngineUpsertResult
from index.engine.documents import from_document, to_document
from index.engine.records import EngineRecords
from index.engine.runs import EngineRuns

__all__ = ["EngineRequestError", "EngineStore", "EngineUnavailableError",
           "EngineUpsertResult", "from_document", "to_document"]


class EngineStore(EngineBulkWriter, EngineRecords, EngineAlerts, EngineRuns, Store, abc.ABC):
    """:class:`~index.base.Store` over an Elasticsearch or OpenSearch index alias."""
