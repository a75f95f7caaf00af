"""What every engine store stands on: the client, requests and their errors, the indices.

Per-engine subclasses (:mod:`index.engine.clients`) only build the client and translate
its errors; records, alerts and runs (:mod:`.records`, :mod:`.bulk`, :mod:`.alerts`,
:mod:`.runs`) are written once over :meth:`EngineBase.request`.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
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
from lurewatch.config import ConfigError, StoreSettings

REQUEST_TIMEOUT_S = 30
CONFLICT_ATTEMPTS = 3  # writes over a version read are retried this often on a conflict


class EngineUnavailableError(StoreUnavailableError):
    """The engine is down, overloaded (429) or timed out: try again later."""


class EngineRequestError(StoreError):
    """The engine answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ServerInfo:
    """What answers at ``store.url``."""

    engine: str  # "Elasticsearch" or "OpenSearch", as :attr:`EngineBase.engine` names them
    version: str

    def __str__(self) -> str:
        return f"{self.engine} {self.version}"


def wrong_engine(expected: str, found: str) -> ConfigError:
    """The one line for a store pointed at the other engine; ``found`` says what answers."""
    return ConfigError(f"store.kind is {expected.lower()}, but store.url answers as {found}; "
                       "set store.kind to the engine that runs there")


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
    def _scan(self, index: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The client library's ``helpers.scan``: every hit of ``body`` on ``index``, from
        one scroll (a consistent view of the index as it was when the scan began)."""

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

    def _bulk_skipping_conflicts(self, actions: Iterable[dict[str, Any]], index: str,
                                 what: str) -> int:
        """Write ``actions`` and refresh ``index``; how many were written. A version
        conflict (409) is skipped, not an error; any other refusal raises once the rest are
        written (``what`` names them in that message)."""
        written = 0
        refused: list[str] = []
        try:
            for ok, item in self._streaming_bulk(
                    actions, chunk_size=self.batch_size, max_retries=self.max_retries,
                    raise_on_error=False):
                (result,) = item.values()
                written += ok
                if not ok and result.get("status") != 409:
                    refused.append(f"{result['_id']}: {result.get('error')}")
        except Exception as exc:  # noqa: BLE001 - narrowed by _error_status
            self._error_status(exc)  # re-raises anything that is not a client error
            raise EngineUnavailableError(f"{self.engine} is unavailable: {exc}") from exc
        self.request(self.client.indices.refresh, index=index)
        if refused:
            raise StoreError(f"{len(refused)} of the {what} were refused; the first: {refused[0]}")
        return written

    def copy_with_versions(self, source: str, target: str, query: dict[str, Any]) -> int:
        """Copy what ``query`` finds in ``source`` into ``target``, each document with its
        version (``version_type: external``), so a copy lands only where ``target`` holds an
        older version or none; how many landed. Scroll and bulk rather than ``_reindex``:
        that is the ``reindex`` module, which an install may leave out."""
        hits = self._scan(source, {"query": query, "version": True})
        return self._bulk_skipping_conflicts(
            ({"_op_type": "index", "_index": target, "_id": hit["_id"],
              "_source": hit["_source"], "version": hit["_version"],
              "version_type": "external"} for hit in hits), target, "copies")

    def server_info(self) -> ServerInfo:
        """The engine and version at ``store.url`` (``GET /``); a :class:`ConfigError` if it
        is not this store's engine (the other one answers most requests alike, so without
        this a wrong ``store.kind`` would only show as odd failures later)."""
        version = self.request(self.client.info)["version"]
        found = ServerInfo("OpenSearch" if version.get("distribution") == "opensearch"
                           else "Elasticsearch", version["number"])
        if found.engine != self.engine:
            raise wrong_engine(self.engine, str(found))
        return found

    def describe(self) -> str:
        return str(self.server_info())

    def ensure_index(self) -> None:
        """Check the server is this store's engine, then create the template, the first
        versioned index behind the alias, the audit index, the alerts index and the runs
        index, where missing. Safe to call from several processes at once."""
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            self.server_info()
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
