"""The two engines: only client construction and error translation differ.

OpenSearch 2/3 through ``opensearch-py``; Elasticsearch 8/9 through the official
``elasticsearch`` client. Everything else is :class:`index.engine.EngineStore`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import elastic_transport
import elasticsearch
import opensearchpy
from elasticsearch import helpers as es_helpers
from opensearchpy import helpers as os_helpers

from index.engine import EngineStore
from index.engine.base import REQUEST_TIMEOUT_S, wrong_engine
from lurewatch.config import ConfigError, StoreSettings


class OpenSearchStore(EngineStore):
    engine = "OpenSearch"

    @classmethod
    def make_client(cls, settings: StoreSettings) -> opensearchpy.OpenSearch:
        if settings.api_key:
            raise ConfigError("store.api_key: OpenSearch has no API keys; "
                              "set store.username and store.password")
        auth = (settings.username, settings.password or "") if settings.username else None
        return opensearchpy.OpenSearch(
            hosts=[settings.url], http_auth=auth, verify_certs=settings.verify_certs,
            ca_certs=str(settings.ca_certs) if settings.ca_certs else None,
            timeout=REQUEST_TIMEOUT_S, max_retries=settings.bulk_max_retries,
            retry_on_timeout=True)

    def _streaming_bulk(self, actions: Iterable[dict[str, Any]],
                        **kwargs: Any) -> Iterator[tuple[bool, dict[str, Any]]]:
        return os_helpers.streaming_bulk(self.client, actions, **kwargs)

    def _scan(self, index: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        return os_helpers.scan(self.client, query=body, index=index, size=self.batch_size)

    def _error_status(self, exc: Exception) -> int | None:
        if not isinstance(exc, opensearchpy.TransportError):
            raise exc
        # Connection failures carry the string "N/A" instead of a status.
        return exc.status_code if isinstance(exc.status_code, int) else None


class ElasticsearchStore(EngineStore):
    engine = "Elasticsearch"

    @classmethod
    def make_client(cls, settings: StoreSettings) -> elasticsearch.Elasticsearch:
        auth = (settings.username, settings.password or "") if settings.username else None
        return elasticsearch.Elasticsearch(
            settings.url, basic_auth=auth, api_key=settings.api_key,
            verify_certs=settings.verify_certs,
            ca_certs=str(settings.ca_certs) if settings.ca_certs else None,
            request_timeout=REQUEST_TIMEOUT_S, max_retries=settings.bulk_max_retries,
            retry_on_timeout=True)

    @staticmethod
    def _body(response: Any) -> Any:
        return response.body

    def _streaming_bulk(self, actions: Iterable[dict[str, Any]],
                        **kwargs: Any) -> Iterator[tuple[bool, dict[str, Any]]]:
        return es_helpers.streaming_bulk(self.client, actions, **kwargs)

    def _scan(self, index: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        return es_helpers.scan(self.client, query=body, index=index, size=self.batch_size)

    def _error_status(self, exc: Exception) -> int | None:
        if isinstance(exc, elasticsearch.UnsupportedProductError):
            # The client refuses any answer without Elastic's product header: OpenSearch.
            raise wrong_engine(self.engine, "another product (no X-Elastic-Product "
                               "header, as from OpenSearch)") from exc
        if isinstance(exc, elasticsearch.ApiError):
            return int(exc.meta.status)
        if isinstance(exc, elastic_transport.TransportError):
            return None  # no answer: connection refused, reset or timed out
        raise exc


ENGINE_STORES: dict[str, type[EngineStore]] = {
    "opensearch": OpenSearchStore,
    "elasticsearch": ElasticsearchStore,
}


def open_engine_store(settings: StoreSettings) -> EngineStore:
    """The store for ``settings.kind`` (``opensearch`` or ``elasticsearch``)."""
    if settings.kind not in ENGINE_STORES:
        raise ConfigError(f"store.kind: {settings.kind!r} is not a search engine")
    return ENGINE_STORES[settings.kind].from_settings(settings)
