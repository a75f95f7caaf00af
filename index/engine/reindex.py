"""Mapping changes without downtime: copy into the next versioned index, swap the alias.

1. The template is updated to the mapping in this code and ``<prefix>-ads-v(N+1)`` is
   created from it.
2. Every record is copied (scroll, then bulk), keeping each one's version
   (``version_type: external``).
3. One ``_aliases`` call moves the alias (reads and writes) to the new index atomically;
   searches answer from the old index until that moment and from the new one after.
4. A catch-up copy takes what was written to the old index during step 2. With
   external versions a copy only lands where the old index holds a newer version, so a
   record written to the new index after the swap is never overwritten by an older one.

The copies go through this client rather than ``_reindex``, which is the ``reindex``
module: an install may leave it out (the Elasticsearch test node does), and scroll plus
bulk is on every engine. It moves every record through this process once.

The old index is kept (a rollback is one alias swap back); delete it when satisfied.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from index.engine import EngineStore
from index.engine.mapping import KEYS_FIELD, index_template

# Clocks of the store's writers and of this process may differ a little.
_CATCH_UP_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class ReindexReport:
    source: str
    target: str
    copied: int
    caught_up: int
    seconds: float

    def as_json(self) -> dict[str, Any]:
        report = asdict(self)
        report["from"], report["to"] = report.pop("source"), report.pop("target")
        return report


def reindex(store: EngineStore) -> ReindexReport:
    started = time.monotonic()
    names, client = store.names, store.client
    source = store.current_index()
    target = names.versioned(names.version_of(source) + 1)
    copy_started = datetime.now(UTC) - _CATCH_UP_MARGIN
    store.request(client.indices.put_index_template, name=names.template,
                body=index_template(names))
    store.request(client.indices.create, index=target, body={})
    copied = store.copy_with_versions(source, target, {"match_all": {}})
    store.request(client.indices.update_aliases, body={"actions": [
        {"remove": {"index": source, "alias": names.alias}},
        {"add": {"index": target, "alias": names.alias, "is_write_index": True}},
    ]})
    caught_up = store.copy_with_versions(source, target, {"range": {
        f"{KEYS_FIELD}.written_at": {"gte": copy_started.isoformat()}}})
    return ReindexReport(source=source, target=target,
                         copied=copied, caught_up=caught_up,
                         seconds=round(time.monotonic() - started, 3))
