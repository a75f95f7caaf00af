"""Pytest fixtures for the live Elasticsearch node (``tests/index/conftest.py`` imports them).

``elasticsearch_node`` starts one real single-node Elasticsearch for the whole session (only
when an ``elasticsearch`` test asks for it) and removes it at the end. Each store made by
``elasticsearch_store_factory`` gets its own index prefix, so every test starts empty.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import elasticsearch
import pytest

from index.engine import EngineStore
from index.engine.clients import ElasticsearchStore
from tests.support.elasticsearch.node import ElasticsearchNode, install_dir, install_present
from tests.support.opensearch.fixtures import engine_settings


@pytest.fixture(scope="session")
def elasticsearch_node() -> Iterator[ElasticsearchNode]:
    if elasticsearch.__versionstr__.split(".")[0] != "8":
        # 9.x refuses this 8.x node on every request; say why once instead.
        pytest.fail(f"the elasticsearch client {elasticsearch.__versionstr__} is installed; "
                    "pyproject.toml pins >=8.13,<9: run make setup")
    if not install_present():
        pytest.fail(f"Elasticsearch test node missing in {install_dir()}: run "
                    "tests/support/elasticsearch/fetch.sh (part of the set-up command)")
    node = ElasticsearchNode(cluster_name=f"lurewatch-test-{uuid.uuid4().hex[:8]}")
    try:
        node.start()
        yield node
    finally:
        node.remove()


@pytest.fixture
def elasticsearch_store_factory(elasticsearch_node: ElasticsearchNode,
                                tmp_path: Path) -> Iterator[Callable[[], EngineStore]]:
    made: list[EngineStore] = []

    def make() -> EngineStore:
        store = ElasticsearchStore.from_settings(
            engine_settings(elasticsearch_node.url, tmp_path, kind="elasticsearch"))
        made.append(store)
        return store

    yield make
    for store in made:
        # A fresh client: the test may have closed the store's own.
        cleaner = ElasticsearchStore.from_settings(engine_settings(
            elasticsearch_node.url, tmp_path, kind="elasticsearch",
            index_prefix=store.names.prefix))
        cleaner.delete_all()
        cleaner.close()
