"""The ``store`` fixture: one fresh, empty store per test, for every backend.

Each backend contributes a factory fixture named ``<backend>_store_factory`` returning a
callable that makes a fresh empty store; the contract suite runs once per backend.
Backends that need a live service carry that service's marker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from index.base import Store
from index.sqlite import SQLiteStore

STORE_BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("opensearch", id="opensearch", marks=pytest.mark.opensearch),
    pytest.param("elasticsearch", id="elasticsearch", marks=pytest.mark.elasticsearch),
]


@pytest.fixture
def sqlite_store_factory(tmp_path: Path) -> Callable[[], Store]:
    counter = iter(range(1_000_000))
    return lambda: SQLiteStore(tmp_path / f"store-{next(counter)}.db")


@pytest.fixture(params=STORE_BACKENDS)
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    factory: Callable[[], Store] = request.getfixturevalue(f"{request.param}_store_factory")
    backend = factory()
    yield backend
    backend.close()
