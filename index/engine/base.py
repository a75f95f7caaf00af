"""What every engine store stands on: the client, requests and their errors, the indices.

Per-engine subclasses (:mod:`index.engine.clients`) only build the client and translate
its errors; records, alerts and runs (:mod:`.records`, :mod:`.bulk`, :mod:`.alerts`,
:mod:`.runs`) are written once over :meth:`EngineBase.request`.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar, Self

from index.engine.mapping import (
    ALERT_MAPPINGS,
    AUDIT_MAPPINGS,
    RUN_MAPPINGS,
    IndexNames,
    index_template,
)
from index.engine.spool import Spool
from index.errors import StoreError, StoreUnavailableError
from lurewatch.config import StoreSettings

REQUEST_TIMEOUT_S = 30
CONFLICT_ATTEMPTS = 3  # writes over a version read are retried this often on a conflict


class EngineUnavailableError(StoreUnavailableError):
    """The engine is down, overloaded (429) or timed out: try again later."""


class EngineRequestError(StoreError):
    """The engine answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class EngineBase(abc.ABC):
    """An Elasticsearch or OpenSearch client with the project's indices behind an alias."""

    engine: ClassVar[str]

    def __init__(self, client: Any, *, index_prefix: str = "lurewatch",
                 spool_path: str | Path | None = None, batch_size: int = 500,
                 max_retries: int = 3, refresh: bool = True) -> None:
        """``refresh``: make writes searchable when ``upsert`` returns (one refresh per
        call); turn it off for bulk loads that nobody searches meanwhile."""
        self.client = client
        self.names = IndexNames(index_prefix)
        self.spool = Spool(spool_path) if spool_path is not None else None
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.refresh = refresh
        self._ready = False
        self._ready_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: StoreSettings) -> Self:
        return cls(cls.make_client(settings), index_prefix=settings.index_prefix,
                   spool_path=settings.spool_path, batch_size=settings.bulk_batch_size,
                   max_retries=settings.bulk_max_retries)

    @classmethod
    @abc.abstractmethod
    def make_client(cls, settings: StoreSettings) -> Any:
        """The engine's official client, configured from the store settings."""

    @abc.abstractmethod
    def _streaming_bulk(self, actions: Iterable[dict[str, Any]],
                        **kwargs: Any) -> Iterator[tuple[bool, dict[str, Any]]]:
        """The client library's ``helpers.streaming_bulk``."""

    @abc.abstractmethod
    def _error_status(self, exc: Exception) -> int | None:
        """The HTTP status of a client error; None when there was no answer at all;
        raise ``exc`` again if it is not a client error."""

    @staticmethod
    def _body(response: Any) -> Any:
        """The decoded body of a client response."""
        return response

    def request(self, fn: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return self._body(fn(**kwargs))
        except Exception as exc:  # noqa: BLE001 - narrowed by _error_status
            status = self._error_status(exc)
            if status is None or status == 429 or status >= 500:
                raise EngineUnavailableError(
                    f"{self.engine} is unavailable ({type(exc).__name__}: {exc})") from exc
            raise EngineRequestError(status, f"{self.engine} refused the request: {exc}") from exc

    def ensure_index(self) -> None:
        """Create the template, the first versioned index behind the alias, the audit
        index, the alerts index and the runs index, where missing. Safe to call from
        several processes at once."""
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            names = self.names
            self.request(self.client.indices.put_index_template, name=names.template,
                       body=index_template(names))
            if not self.request(self.client.indices.exists_alias, name=names.alias):
                self._create_ignoring_exists(
                    names.versioned(1), {"aliases": {names.alias: {"is_write_index": True}}})
            for index, mappings in ((names.audit, AUDIT_MAPPINGS),
                                    (names.alerts, ALERT_MAPPINGS),
                                    (names.runs, RUN_MAPPINGS)):
                if not self.request(self.client.indices.exists, index=index):
                    self._create_ignoring_exists(index, {
                        "settings": {"number_of_shards": 1, "auto_expand_replicas": "0-1"},
                        "mappings": mappings})
            self._ready = True

    def _create_ignoring_exists(self, index: str, body: dict[str, Any]) -> None:
        try:
            self.request(self.client.indices.create, index=index, body=body)
        except EngineRequestError as exc:
            if exc.status != 400 or "already_exists" not in str(exc):
                raise

    def current_index(self) -> str:
        """The versioned index the alias points at now."""
        self.ensure_index()
        found = self.request(self.client.indices.get_alias, name=self.names.alias)
        return sorted(found, key=self.names.version_of)[-1]

    def refresh_index(self) -> None:
        self.request(self.client.indices.refresh, index=self.names.alias)

    def delete_all(self) -> None:
        """Drop every index of this prefix (tests and teardown only)."""
        # By name, not by wildcard: Elasticsearch 8 refuses wildcard deletes by default.
        found = self.request(self.client.indices.get, index=f"{self.names.prefix}-*")
        if found:
            self.request(self.client.indices.delete, index=",".join(sorted(found)))
        try:
            self.request(self.client.indices.delete_index_template, name=self.names.template)
        except EngineRequestError as exc:
            if exc.status != 404:
                raise
        self._ready = False

    def close(self) -> None:
        if self.spool is not None:
            self.spool.close()
        self.client.close()
