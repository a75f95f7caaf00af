"""Shared test helpers: realistic records in the region's languages, and the live
OpenSearch test node's fixtures, declared here so one node serves the whole session."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["tests.support.opensearch.fixtures", "tests.support.elasticsearch.fixtures"]

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures"


@pytest.fixture
def shared_fixtures() -> Path:
    """The third-party pages in ../shared/fixtures; tests skip when that folder is absent."""
    if not SHARED_FIXTURES.is_dir():
        pytest.skip(f"real fixture pages not found at {SHARED_FIXTURES}")
    return SHARED_FIXTURES
