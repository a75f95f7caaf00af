"""The search-engine store beyond the contract: spool, fault tolerance, reindex, replicas,
Kibana objects. ``opensearch`` and ``elasticsearch`` tests run on the live node(s) started
by the fixtures; a test on both engines runs once per engine."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import opensearchpy
import pytest
from typer.testing import CliRunner

import index.engine.mapping
from index.engine import EngineStore, EngineUnavailableError
from index.engine.clients import ENGINE_STORES, OpenSearchStore, open_engine_store
from index.kibana import SAVED_OBJECTS, import_saved_objects, saved_objects
from index.query import SearchFilters, SearchQuery
from lurewatch.cli import load_commands
from tests.support.elasticsearch.node import ElasticsearchNode
from tests.support.elasticsearch.node import version as elasticsearch_version
from tests.support.opensearch.fixtures import engine_settings
from tests.support.opensearch.generate import generated_ads
from tests.support.opensearch.node import RunnerNode, runner_version, start_cluster

app = load_commands()

CLOSED_PORT_URL = "http://127.0.0.1:9"  # discard port: nothing listens, connections refused


LIVE_ENGINES = [pytest.param("opensearch", marks=pytest.mark.opensearch),
                pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)]


@dataclass(frozen=True)
class LiveEngine:
    """One of the session's live nodes and the store kind that talks to it."""

    kind: str
    url: str

    def store(self, spool_dir: Path, **overrides: object) -> EngineStore:
        return ENGINE_STORES[self.kind].from_settings(
            engine_settings(self.url, spool_dir, kind=self.kind, **overrides))


@pytest.fixture(params=LIVE_ENGINES)
def live_engine(request: pytest.FixtureRequest) -> LiveEngine:
    node = request.getfixturevalue(f"{request.param}_node")
    return LiveEngine(request.param, node.url)


def versions(store: EngineStore) -> dict[str, int]:
    """Every document's id and ``_version`` (1 = written exactly once)."""
    found = store.request(store.client.search, index=store.names.alias, body={
        "query": {"match_all": {}}, "size": 10_000, "version": True, "_source": False})
    return {hit["_id"]: hit["_version"] for hit in found["hits"]["hits"]}


# -- the spool, with no engine at all ---------------------------------------------------

@pytest.mark.parametrize("engine", sorted(ENGINE_STORES))
def test_unreachable_engine_spools_in_order_and_keeps_it_on_disk(
        tmp_path: Path, engine: str) -> None:
    """Both clients' "no answer" errors end in the spool."""
    settings = engine_settings(CLOSED_PORT_URL, tmp_path, bulk_max_retries=0, kind=engine)
    ads = list(generated_ads(30))
    with open_engine_store(settings) as store:
        result = store.upsert(ads[:20])
        assert (result.created, result.spooled) == (0, 20)
        assert store.upsert(ads[20:]).spooled == 10
        with pytest.raises(EngineUnavailableError):
            store.search(SearchQuery(text="kerja"))
    with open_engine_store(settings) as reopened:  # survives a restart
        assert reopened.spool is not None
        assert [ad.id for _, ad in reopened.spool.peek(100)] == [ad.id for ad in ads]


def test_a_bulk_request_without_answer_sends_its_records_to_the_spool(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine answered the read (nothing stored yet) and then went away before the
    bulk write: every record of that request waits in the spool, none is dropped."""
    settings = engine_settings(CLOSED_PORT_URL, tmp_path, bulk_max_retries=0)
    ads = list(generated_ads(12))
    with OpenSearchStore.from_settings(settings) as store:
        store._ready = True  # the indices exist on the (now gone) engine
        monkeypatch.setattr(store.client, "mget", lambda index, body: {
            "docs": [{"_id": i, "found": False} for i in body["ids"]]})
        result = store.upsert(ads)
        assert (result.created, result.failed, result.spooled) == (0, 0, len(ads))
        assert store.spool is not None
        assert [ad.id for _, ad in store.spool.peek(100)] == [ad.id for ad in ads]


def test_engine_commands_refuse_sqlite_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUREWATCH_STORE__KIND", "sqlite")
    result = CliRunner().invoke(app, ["reindex"])
    assert result.exit_code == 2
    assert "needs a search engine" in result.output
    assert "Traceback" not in result.output


# -- fault tolerance: the node stops in the middle of a bulk load -----------------------

@contextlib.contextmanager
def refusing_port(port: int) -> Iterator[None]:
    """While our node is down, keep its port: accept and drop every connection (clients
    see the engine gone), and other sessions' nodes, which probe ports by connecting,
    do not start on it and take our writes."""
    server = socket.create_server(("127.0.0.1", port))
    server.settimeout(0.2)
    done = threading.Event()

    def drop_connections() -> None:
        while not done.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            connection.close()

    dropper = threading.Thread(target=drop_connections)
    dropper.start()
    try:
        yield
    finally:
        done.set()
        dropper.join()
        server.close()


@contextlib.contextmanager
def own_node(kind: str, tmp_path: Path) -> Iterator[RunnerNode | ElasticsearchNode]:
    """A node of ``kind`` for one test alone (it is stopped and restarted)."""
    name = f"lw-fault-{uuid.uuid4().hex[:6]}"
    node = (RunnerNode(tmp_path / "node", cluster_name=name) if kind == "opensearch"
            else ElasticsearchNode(cluster_name=name))
    try:
        node.start()
        yield node
    finally:
        if isinstance(node, ElasticsearchNode):
            node.remove()
        else:
            node.stop()


@pytest.mark.slow
@pytest.mark.parametrize("kind", LIVE_ENGINES)
def test_node_stopped_mid_load_loses_nothing_and_writes_nothing_twice(
        tmp_path: Path, kind: str) -> None:
    with own_node(kind, tmp_path) as node:
        store = LiveEngine(kind, node.url).store(tmp_path, bulk_batch_size=250,
                                                 bulk_max_retries=1)
        store.refresh = False  # nobody searches during the load
        ads = list(generated_ads(10_000, seed=11))
        results = []

        def load() -> None:
            for start in range(0, len(ads), 250):
                results.append(store.upsert(ads[start:start + 250]))

        loader = threading.Thread(target=load)
        loader.start()
        while sum(r.created for r in results) < 2_500:  # well under way
            time.sleep(0.05)
        node.stop()
        stopped_after = sum(r.created for r in results)
        with refusing_port(node.http_port):  # type: ignore[arg-type]
            loader.join(timeout=300)
        assert not loader.is_alive()
        assert [e for r in results for e in r.errors] == []
        spooled = sum(r.spooled for r in results)
        assert spooled > 0, "the load finished before the node stopped"
        assert stopped_after < len(ads)

        url = node.url
        node.start()  # same data folder and port: the index is recovered
        assert node.url == url, "another node took the port while ours was down"
        drained = store.drain_spool()
        assert store.spool is not None and len(store.spool) == 0
        store.refresh_index()
        assert drained == spooled
        assert store.count() == len(ads)
        written = versions(store)
        assert set(written) == {ad.id for ad in ads}
        assert set(written.values()) == {1}, "a record was written more than once"
        store.close()


# -- abandoned runs without scripts ----------------------------------------------------

def test_a_run_finished_while_being_marked_abandoned_keeps_its_finish(
        engine_store: EngineStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The race that the per-run version check decides: the monitor's own run finishes
    between the search for running runs and the write that marks them (here, on the
    live node, right after that search answers)."""
    racing = engine_store.start_run("board", "monitor-a")
    left = engine_store.start_run("forum", "monitor-a")
    real_request = engine_store.request
    finished: list[str] = []

    def finish_after_the_search(fn: Any, **kwargs: Any) -> Any:
        answer = real_request(fn, **kwargs)
        if fn == engine_store.client.search and not finished:
            finished.append(racing)
            engine_store.finish_run(racing, outcome="ok", counts={}, health="healthy",
                                    problems=[])
        return answer

    monkeypatch.setattr(engine_store, "request", finish_after_the_search)
    assert engine_store.mark_abandoned_runs("monitor-a") == 1
    assert finished == [racing]
    assert engine_store.recent_runs("board", 1)[0].outcome == "ok"
    assert engine_store.recent_runs("forum", 1)[0].outcome == "interrupted"
    assert left == engine_store.recent_runs("forum", 1)[0].id


# -- which engine answers --------------------------------------------------------------

def expected_server(kind: str) -> str:
    """What the session's node of ``kind`` is, from the pins its set-up fetched."""
    if kind == "opensearch":
        return f"OpenSearch {runner_version().rsplit('.', 1)[0]}"  # runner 2.19.1.0: 2.19.1
    return f"Elasticsearch {elasticsearch_version()}"


def test_the_store_reports_the_engine_and_version_it_talks_to(
        engine_store: EngineStore, live_engine: LiveEngine) -> None:
    assert str(engine_store.server_info()) == expected_server(live_engine.kind)
    assert engine_store.describe() == expected_server(live_engine.kind)  # lurewatch status


def test_a_store_kind_naming_the_other_engine_gets_one_clear_line(
        live_engine: LiveEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = next(kind for kind in ENGINE_STORES if kind != live_engine.kind)
    monkeypatch.setenv("LUREWATCH_STORE__KIND", other)
    monkeypatch.setenv("LUREWATCH_STORE__URL", live_engine.url)
    monkeypatch.setenv("LUREWATCH_STORE__INDEX_PREFIX", f"lwt-{uuid.uuid4().hex[:10]}")
    monkeypatch.setenv("LUREWATCH_STORE__SPOOL_PATH", str(tmp_path / "spool.db"))
    result = CliRunner().invoke(app, ["reindex"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0, result.output
    assert f"store.kind is {other}, but store.url answers as" in result.output
    assert "Traceback" not in result.output


# -- reindex with searches answering throughout ----------------------------------------

@pytest.fixture
def engine_store(live_engine: LiveEngine, tmp_path: Path) -> Iterator[EngineStore]:
    store = live_engine.store(tmp_path)
    yield store
    store.delete_all()
    store.close()


@pytest.mark.slow
def test_reindex_changes_mapping_while_searches_keep_answering(
        engine_store: EngineStore, live_engine: LiveEngine,
        monkeypatch: pytest.MonkeyPatch) -> None:
    ads = list(generated_ads(1_000, seed=5))
    engine_store.upsert(ads)
    expected_flagged = engine_store.count(SearchFilters(labels=("smuggling_offer",)))
    assert engine_store.current_index().endswith("-ads-v1")

    # The mapping change: sector becomes full-text searchable as well.
    original = index.engine.mapping.mappings

    def with_sector_text() -> dict[str, Any]:
        mapping = original()
        mapping["properties"]["sector"] = {"type": "keyword",
                                           "fields": {"text": {"type": "text"}}}
        return mapping

    monkeypatch.setattr(index.engine.mapping, "mappings", with_sector_text)
    answers: list[tuple[int, int]] = []
    failures: list[str] = []
    stop = threading.Event()

    def keep_searching() -> None:
        with live_engine.store(Path(str(engine_store.spool.path)).parent,  # type: ignore[union-attr]
                               index_prefix=engine_store.names.prefix) as reader:
            while not stop.is_set():
                try:
                    total = reader.search(SearchQuery(text="karaoke", size=1, facets=())).total
                    answers.append((total, reader.count(
                        SearchFilters(labels=("smuggling_offer",)))))
                except Exception as exc:  # noqa: BLE001 - any failure is the finding
                    failures.append(repr(exc))

    searcher = threading.Thread(target=keep_searching)
    searcher.start()
    try:
        while len(answers) < 5:
            time.sleep(0.05)
        monkeypatch.setenv("LUREWATCH_STORE__KIND", live_engine.kind)
        monkeypatch.setenv("LUREWATCH_STORE__URL", live_engine.url)
        monkeypatch.setenv("LUREWATCH_STORE__INDEX_PREFIX", engine_store.names.prefix)
        monkeypatch.setenv("LUREWATCH_STORE__SPOOL_PATH", str(engine_store.spool.path))  # type: ignore[union-attr]
        result = CliRunner().invoke(app, ["reindex"])
        seen = len(answers)
        while len(answers) < seen + 5:
            time.sleep(0.05)
    finally:
        stop.set()
        searcher.join()
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["from"].endswith("-ads-v1") and report["to"].endswith("-ads-v2")
    assert report["copied"] == len(ads)
    assert failures == []
    karaoke = sum("karaoke" in ad.text for ad in ads)
    assert set(answers) == {(karaoke, expected_flagged)}, "a search saw a partial index"
    assert engine_store.current_index() == report["to"]
    assert engine_store.count() == len(ads)
    by_sector_text = engine_store.request(
        engine_store.client.count, index=engine_store.names.alias,
        body={"query": {"match": {"sector.text": "plantation"}}})
    assert by_sector_text["count"] == sum(ad.sector == "plantation" for ad in ads) > 0


def test_hostile_oversized_values_are_stored_not_rejected(engine_store: EngineStore) -> None:
    huge = "9" * 40_000  # past Lucene's 32766-byte term limit
    ad = next(generated_ads(1)).model_copy(update={"post_id": huge, "language": huge})
    result = engine_store.upsert([ad])
    assert (result.created, result.failed, result.errors) == (1, 0, ())
    stored = engine_store.get(ad.id)
    assert stored is not None and stored.post_id == huge


# -- a replica keeps the index searchable when a node stops ----------------------------

@pytest.mark.opensearch
@pytest.mark.slow
def test_three_node_cluster_survives_losing_the_primarys_node(tmp_path: Path) -> None:
    members = start_cluster(tmp_path / "cluster", 3,
                            cluster_name=f"lw-three-{uuid.uuid4().hex[:6]}")
    try:
        client = opensearchpy.OpenSearch(hosts=[m.url for m in members], timeout=30,
                                         max_retries=3, retry_on_timeout=True)
        store = OpenSearchStore(client, index_prefix="lw3", spool_path=tmp_path / "spool.db")
        ads = list(generated_ads(500, seed=3))
        assert store.upsert(ads).created == len(ads)
        health = client.cluster.health(index=store.names.alias, wait_for_status="green",
                                       params={"timeout": "60s"}, request_timeout=90)
        assert health["number_of_nodes"] == 3 and health["status"] == "green"
        shards = client.cat.shards(index=store.current_index(), format="json")
        assert sorted(s["prirep"] for s in shards) == ["p", "r"]
        primary_port = _primary_http_port(client, store.current_index())
        victim = next(m for m in members if m.http_port == primary_port)
        victim.stop()
        survivors = [m for m in members if m is not victim]
        reader = OpenSearchStore(
            opensearchpy.OpenSearch(hosts=[m.url for m in survivors], timeout=30),
            index_prefix="lw3")
        deadline = time.monotonic() + 60
        while True:  # the replica is promoted once the cluster notices the loss
            try:
                if reader.count() == len(ads):
                    break
            except Exception:  # noqa: BLE001 - retried until the deadline
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.5)
        hits = reader.search(SearchQuery(text="karaoke", facets=("label",)))
        assert hits.total == sum("karaoke" in ad.text for ad in ads) > 0
        assert reader.get(ads[0].id) == ads[0]
    finally:
        for member in members:
            member.stop()


def _primary_http_port(client: opensearchpy.OpenSearch, index: str) -> int:
    """The HTTP port of the node holding the primary (the runner names every member
    "Node 1", so nodes are told apart by id)."""
    state = client.cluster.state(metric="routing_table", index=index)
    copies = state["routing_table"]["indices"][index]["shards"]["0"]
    node_id = next(c["node"] for c in copies if c["primary"])
    info = client.nodes.info(node_id=node_id, metric="http")["nodes"][node_id]
    return int(info["http"]["publish_address"].rsplit(":", 1)[1])


# -- Kibana / OpenSearch Dashboards saved objects --------------------------------------

def _fields_used(obj: dict[str, Any]) -> set[str]:
    fields = set()
    if obj["type"] == "visualization":
        for agg in json.loads(obj["attributes"]["visState"])["aggs"]:
            if "field" in agg["params"]:
                fields.add(agg["params"]["field"])
    if obj["type"] == "index-pattern":
        fields.add(obj["attributes"]["timeFieldName"])
    return fields


def test_saved_objects_are_valid_ndjson_with_resolvable_references() -> None:
    lines = [line for line in SAVED_OBJECTS.read_text(encoding="utf-8").splitlines() if line]
    objects = [json.loads(line) for line in lines]
    by_key = {(o["type"], o["id"]) for o in objects}
    assert len(by_key) == len(objects), "duplicate saved object"
    assert {o["type"] for o in objects} == {"index-pattern", "visualization", "dashboard"}
    for obj in objects:
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in by_key, f"{obj['id']} -> missing {ref['id']}"
        search = obj["attributes"].get("kibanaSavedObjectMeta", {}).get("searchSourceJSON")
        if search:
            json.loads(search)
    dashboard = next(o for o in objects if o["type"] == "dashboard")
    panels = json.loads(dashboard["attributes"]["panelsJSON"])
    refs = {r["name"] for r in dashboard["references"]}
    assert {p["panelRefName"] for p in panels} == refs
    assert {"keys.indicator", "language", "country", "source"} <= set().union(
        *map(_fields_used, objects))
    assert saved_objects("custom-ads")[0]["attributes"]["title"] == "custom-ads"


def test_every_field_the_dashboards_use_is_aggregatable_on_the_live_index(
        engine_store: EngineStore) -> None:
    engine_store.upsert(list(generated_ads(50)))
    used = set().union(*(_fields_used(o) for o in saved_objects(engine_store.names.alias)))
    # A list, not one comma-joined string: the Elasticsearch client sends it in the body.
    caps = engine_store.request(engine_store.client.field_caps, index=engine_store.names.alias,
                                fields=sorted(used))["fields"]
    for field in used:
        assert field in caps, f"{field} is not in the index"
        assert all(c["aggregatable"] for c in caps[field].values()), f"{field} not aggregatable"


def test_kibana_import_refused_reports_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(app, ["kibana", "import", "--url", CLOSED_PORT_URL])
    assert result.exit_code == 2
    assert "cannot reach" in result.output and "Traceback" not in result.output


def test_kibana_import_posts_ndjson_with_both_xsrf_headers() -> None:
    """Against a stand-in transport for the saved-objects API: only the request's shape is
    checked here (no Kibana or Dashboards can run on this machine; see the docs)."""
    received: dict[str, Any] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        received.update(url=str(request.url), headers=request.headers, body=request.read())
        return httpx.Response(200, json={"success": True, "successCount": 10})

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        result = import_saved_objects("http://kibana.test:5601", "lurewatch-ads", space="ops",
                                      client=client)
    assert result["successCount"] == 10
    assert received["url"] == ("http://kibana.test:5601/s/ops/api/saved_objects/_import"
                               "?overwrite=true")
    assert received["headers"]["kbn-xsrf"] and received["headers"]["osd-xsrf"]
    assert b'"type": "dashboard"' in received["body"]
