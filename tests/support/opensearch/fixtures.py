"""Pytest fixtures for the live test node; the root ``tests/conftest.py`` loads them as a plugin.

``opensearch_node`` starts one real single-node OpenSearch for the whole session (only
when an ``opensearch`` test asks for it) and stops it at the end. Each store made by
``opensearch_store_factory`` gets its own index prefix, so every test starts empty.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from index.engine import EngineStore
from index.engine.clients import OpenSearchStore
from lurewatch.config import StoreSettings
from tests.support.opensearch.node import RunnerNode, jar_dir, jars_present


@pytest.fixture(scope="session")
def opensearch_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunnerNode]:
    if not jars_present():
        pytest.fail(f"test node jars missing in {jar_dir()}: run tests/support/opensearch/fetch.sh "
                    "(part of the set-up command)")
    node = RunnerNode(tmp_path_factory.mktemp("opensearch"),
                      cluster_name=f"lurewatch-test-{uuid.uuid4().hex[:8]}")
    node.start()
    yield node
    node.stop()


def engine_settings(url: str, spool_dir: Path, **overrides: object) -> StoreSettings:
    """Store settings for a fresh, uniquely prefixed set of indices on ``url``."""
    values: dict[str, object] = {
        "kind": "opensearch", "url": url,
        "index_prefix": f"lwt-{uuid.uuid4().hex[:10]}",
        "spool_path": spool_dir / f"spool-{uuid.uuid4().hex[:6]}.db",
    }
    values.update(overrides)
    return StoreSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def opensearch_store_factory(opensearch_node: RunnerNode,
                             tmp_path: Path) -> Iterator[Callable[[], EngineStore]]:
    made: list[EngineStore] = []

    def make() -> EngineStore:
        store = OpenSearchStore.from_settings(engine_settings(opensearch_node.url, tmp_path))
        made.append(store)
        return store

    yield make
    for store in made:
        cleaner = OpenSearchStore.from_settings(
            StoreSettings(kind="opensearch", url=opensearch_node.url,
                          index_prefix=store.names.prefix, spool_path=tmp_path / "x.db"))
        cleaner.delete_all()
        cleaner.close()
