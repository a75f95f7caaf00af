"""A short-lived cache of facet counts.

Facet counts are the most expensive part of a queue or search page on a large store (one
GROUP BY per facet over every matching record) and change slowly, while analysts page
through the same filters many times. Counts are kept for ``ttl_s`` seconds per query;
the records themselves are always read fresh.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

Facets = dict[str, dict[str, int]]


class FacetCache:
    def __init__(self, ttl_s: float = 60.0, max_entries: int = 256) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[float, Facets]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Facets | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] < time.monotonic():
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: Hashable, facets: Facets) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + self.ttl_s, facets)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def get_or_compute(self, key: Hashable, compute: Callable[[], Facets]) -> Facets:
        found = self.get(key)
        if found is None:
            found = compute()
            self.put(key, found)
        return found
