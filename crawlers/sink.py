"""The channel from the crawl child process to the parent that owns the store.

The child writes one JSON object per line to an inherited pipe: ``records`` batches
(scored records on their way to ``Store.upsert``), ``taken_down`` ids (stored records
whose page is gone) and, when a source's spider closes, its ``stats``.
The parent (:mod:`crawlers.run`) reads them in order."""

from __future__ import annotations

import json
import os
import threading
from typing import IO, Any

from lurewatch.record import Ad

SINK_FD_SETTING = "LUREWATCH_SINK_FD"


class RecordSink:
    """Writes batches and stats as JSON lines to a file descriptor (thread-safe)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    @classmethod
    def from_fd(cls, fd: int) -> RecordSink:
        return cls(os.fdopen(fd, "w", encoding="utf-8", closefd=False))

    def _send(self, message: dict[str, Any]) -> None:
        line = json.dumps(message, ensure_ascii=False, default=str)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def records(self, source: str, records: list[Ad]) -> None:
        self._send({"type": "records", "source": source,
                    "records": [json.loads(ad.to_json()) for ad in records]})

    def taken_down(self, source: str, record_ids: list[str]) -> None:
        self._send({"type": "taken_down", "source": source, "ids": record_ids})

    def stats(self, source: str, stats: dict[str, Any]) -> None:
        self._send({"type": "stats", "source": source, "stats": stats})


_sinks: dict[int, RecordSink] = {}


def sink_for_fd(fd: int) -> RecordSink:
    """One sink per descriptor in a process, shared by the pipeline and the extension."""
    if fd not in _sinks:
        _sinks[fd] = RecordSink.from_fd(fd)
    return _sinks[fd]
