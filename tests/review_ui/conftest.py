"""Fixtures for the review application: a real SQLite store seeded with realistic records,
the app's own database with one account per role, and a logged-in test client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from index.base import Store
from index.sqlite import SQLiteStore
from lurewatch.config import Settings
from lurewatch.record import Decision, ReviewState
from review_ui.access import Role
from review_ui.appdb import ReviewDB
from review_ui.main import create_app
from review_ui.security import hash_password
from tests.review_ui.seed import records


def make_registry(root: Path, versions: dict[str, float], *, broken: str | None = None) -> Path:
    """A real model registry with small weight files: one folder per version with its
    manifest (weights and their checksums), metrics and card. ``broken``'s weights are
    missing, so promoting it must be refused."""
    import hashlib
    import json

    for version, f1 in versions.items():
        folder = root / version
        (folder / "weights").mkdir(parents=True)
        weights = f"onnx bytes of {version}".encode()
        if version != broken:
            (folder / "weights" / "model.onnx").write_bytes(weights)
        manifest = {"weights": {"model.onnx": hashlib.sha256(weights).hexdigest()}}
        (folder / "manifest.json").write_text(json.dumps(manifest))
        (folder / "metrics.json").write_text(json.dumps({"label": {"macro_f1": f1}}))
        (folder / "MODEL_CARD.md").write_text(f"# {version}\n<script>x</script>")
    return root

PASSWORD = "correct horse battery"
# One account per role, plus a second analyst for claims, conflicts and agreement.
ACCOUNTS = {"ana": Role.analyst, "bea": Role.analyst, "ivan": Role.investigator,
            "maya": Role.maintainer, "root": Role.admin}


@dataclass
class Env:
    app: FastAPI
    store: Store
    db: ReviewDB
    settings: Settings
    path: Path

    def client(self, username: str | None = None) -> TestClient:
        # Secure cookies are only sent back over https, as a browser would.
        scheme = "https" if self.settings.review.secure_cookies else "http"
        client = TestClient(self.app, base_url=f"{scheme}://testserver", follow_redirects=False)
        if username:
            login(client, username)
        return client


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf(client)})
    assert response.status_code == 303, response.text


def csrf(client: TestClient) -> str:
    """The CSRF token the site gave this client (fetching a page first if it has none)."""
    name = "__Host-lw_csrf" if str(client.base_url).startswith("https") else "lw_csrf"
    token = client.cookies.get(name)
    if token is None:
        client.get("/login")
        token = client.cookies.get(name)
    assert token
    return token


def make_env(tmp_path: Path, store: Store | None = None, **settings: object) -> Env:
    store = store or SQLiteStore(tmp_path / "records.db")
    store.upsert(records())
    db = ReviewDB(tmp_path / "review.db")
    password_hash = hash_password(PASSWORD)
    for name, role in ACCOUNTS.items():
        db.add_user(name, password_hash, role.value)
    # Never the repository's own models/: a test that promotes or rolls back must not
    # change which model the project uses.
    settings.setdefault("model", {"registry": tmp_path / "registry"})
    config = Settings(data_dir=tmp_path, **settings)  # type: ignore[arg-type]
    return Env(create_app(config, store, db), store, db, config, tmp_path)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    environment = make_env(tmp_path)
    yield environment
    environment.store.close()


STORE_KINDS = ["sqlite", pytest.param("opensearch", marks=pytest.mark.opensearch),
               pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)]


def open_store(kind: str, request: pytest.FixtureRequest, path: Path) -> Store:
    """An empty store: SQLite in ``path``, or uniquely prefixed indices on the session's
    OpenSearch or Elasticsearch test node."""
    if kind == "sqlite":
        return SQLiteStore(path / "records.db")
    from index.engine.clients import ElasticsearchStore, OpenSearchStore
    from tests.support.opensearch.fixtures import engine_settings

    node = request.getfixturevalue(f"{kind}_node")
    store_class = OpenSearchStore if kind == "opensearch" else ElasticsearchStore
    return store_class.from_settings(engine_settings(node.url, path, kind=kind))


def close_store(store: Store) -> None:
    if not isinstance(store, SQLiteStore):
        store.delete_all()  # type: ignore[attr-defined]  # the node outlives the test
    store.close()


@pytest.fixture(params=STORE_KINDS)
def any_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    """The same environment on every store backend: the core of the suite runs on each."""
    environment = make_env(tmp_path, open_store(request.param, request, tmp_path))
    yield environment
    close_store(environment.store)


def decision(reviewer: str, state: ReviewState = ReviewState.confirmed_tip) -> Decision:
    return Decision(reviewer=reviewer, state=state)
