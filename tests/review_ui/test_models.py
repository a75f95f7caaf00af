"""The model pages: list, compare, promote, roll back, training runs."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from classifiers.transformer.registry import Registry
from lurewatch.config import PACKAGE_ROOT
from tests.review_ui.conftest import (
    Env,
    csrf,
    make_env,
    make_registry,
)
from tests.review_ui.seed import MALAY


def test_models_list_compare_promote_rollback(tmp_path) -> None:
    registry = make_registry(tmp_path / "registry", {"v1": 0.71, "v2": 0.78, "v3": 0.8},
                             broken="v3")
    env = make_env(tmp_path, model={"registry": registry})
    maya = env.client("maya")
    page = maya.get("/models").text
    assert "none (rules only)" in page and "label.macro_f1" in page
    assert "&lt;script&gt;x" in page and "weights missing" in page
    compare = maya.get("/models/compare?a=v1&b=v2").text
    assert re.search(r"<th>label.macro_f1</th><td class=\"num\">0.71</td>"
                     r"<td class=\"num\">0.78</td>", compare)
    for version in ("v1", "v2"):
        promoted = maya.post("/models/promote", data={"csrf_token": csrf(maya),
                                                      "version": version})
        assert promoted.status_code == 303
    assert Registry(registry).promoted().version == "v2"  # type: ignore[union-attr]
    refused = maya.post("/models/promote", data={"csrf_token": csrf(maya), "version": "v3"})
    assert refused.status_code == 400 and "is missing" in refused.text
    assert maya.post("/models/rollback", data={"csrf_token": csrf(maya)}).status_code == 303
    assert Registry(registry).promoted().version == "v1"  # type: ignore[union-attr]
    assert 'id="promoted">v1<' in maya.get("/models").text
    assert [(e.action, e.target) for e in env.db.audit_entries()][:4] == [
        ("model_rolled_back", "v1"), ("model_promote_refused", "v3"),
        ("model_promoted", "v2"), ("model_promoted", "v1")]
    unknown = maya.post("/models/promote", data={"csrf_token": csrf(maya), "version": "v9"})
    assert unknown.status_code == 400 and "no model version" in unknown.text


@pytest.mark.slow  # real child processes that import the whole command line
def test_training_run_in_the_background_and_cancelled(env: Env) -> None:
    """A real run (export, ``lurewatch dataset merge``, ``lurewatch train``) followed on its
    page as it goes, and stopped: training itself takes far too long for a test."""
    ana, maya = env.client("ana"), env.client("maya")
    ana.post(f"/records/{MALAY.id}/decide", data={"csrf_token": csrf(ana), "action": "tip",
                                                 "version": "0"})
    started = maya.post("/models/training", data={"csrf_token": csrf(maya)})
    assert started.status_code == 303 and started.headers["location"] == "/models/training/1"
    busy = maya.post("/models/training", data={"csrf_token": csrf(maya)})
    assert busy.status_code == 409 and "already going" in busy.text
    run = env.db.training_run(1)
    assert run is not None
    deadline = time.monotonic() + 600
    while "$ lurewatch train" not in (run.folder / "log.txt").read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, "the merge step did not finish"
        assert env.db.training_run(1).status == "running", (  # type: ignore[union-attr]
            (run.folder / "log.txt").read_text(encoding="utf-8"))
        time.sleep(1)
    assert (run.folder / "train.jsonl").is_file()  # the merge ran for real
    page = maya.get("/models/training/1").text
    assert 'hx-trigger="every 3s"' in page and "1 reviewed records exported" in page
    assert maya.post("/models/training/1/cancel",
                     data={"csrf_token": csrf(maya)}).status_code == 303
    while (run := env.db.training_run(1)) and run.status == "running":
        assert time.monotonic() < deadline, "the run did not stop"
        time.sleep(0.5)
    assert run is not None and run.status == "cancelled"
    assert 'hx-trigger="every 3s"' not in maya.get("/models/training/1").text
    assert [e.action for e in env.db.audit_entries()][:2] == [
        "training_cancelled", "training_started"]


def _tiny_labelled_set(source: Path, out: Path, per_label: int) -> Path:
    """The first ``per_label`` items of each label of one of the project's labelled sets."""
    taken: dict[str, int] = {}
    with out.open("w", encoding="utf-8") as handle:
        for line in source.read_text(encoding="utf-8").splitlines():
            label = json.loads(line)["label"]
            if taken.get(label, 0) < per_label:
                taken[label] = taken.get(label, 0) + 1
                handle.write(line + "\n")
    return out


@pytest.mark.slow  # a real (one-epoch, 32-record) fine-tune, ONNX export and evaluation: ~3 min
@pytest.mark.timeout(900)
def test_training_run_registers_a_model_to_compare_and_promote(tmp_path: Path) -> None:
    from classifiers.transformer.bootstrap import BootstrapError, base_checkpoint

    try:
        base_checkpoint()
    except BootstrapError as exc:
        pytest.skip(str(exc))
    written = PACKAGE_ROOT / "classifiers" / "data" / "written"
    registry = make_registry(tmp_path / "registry", {"v1": 0.5})
    Registry(registry).promote("v1")
    env = make_env(tmp_path, model={"registry": registry}, review={
        "training_data": _tiny_labelled_set(written / "en" / "w1.jsonl", tmp_path / "t.jsonl", 8),
        "training_dev": _tiny_labelled_set(written / "ms" / "w1.jsonl", tmp_path / "d.jsonl", 5),
        "training_epochs": 1})
    ana, maya = env.client("ana"), env.client("maya")
    ana.post(f"/records/{MALAY.id}/decide", data={"csrf_token": csrf(ana), "action": "tip",
                                                 "version": "0"})
    assert maya.post("/models/training", data={"csrf_token": csrf(maya)}).status_code == 303
    deadline = time.monotonic() + 800
    while (run := env.db.training_run(1)) and run.status == "running":
        assert time.monotonic() < deadline, "the training run did not finish"
        time.sleep(2)
    assert run is not None
    log = (run.folder / "log.txt").read_text(encoding="utf-8")
    assert run.status == "succeeded", log
    assert "$ lurewatch model register" in log
    version = json.loads((run.folder / "registered.json").read_text())["version"]
    model = Registry(registry).get(version)
    model.verify_weights()  # exported ONNX, checksummed in the manifest
    assert model.manifest["data"]["train"]["records_used"] == 33  # 32 + the reviewed one
    assert model.read_json("metrics.json")["served"]["overall"]["macro_f1"] >= 0
    assert (model.folder / "MODEL_CARD.md").is_file()
    assert Registry(registry).promoted().version == "v1"  # type: ignore[union-attr]

    page = maya.get("/models/training/1").text
    link = f'/models/compare?a=v1&amp;b={version}'
    assert link in page and 'id="promote-run"' in page
    compare = maya.get(f"/models/compare?a=v1&b={version}").text
    assert f"<th>{version}</th>" in compare and "served.overall.macro_f1" in compare
    promoted = maya.post("/models/promote", data={"csrf_token": csrf(maya),
                                                  "version": version})
    assert promoted.status_code == 303
    assert Registry(registry).promoted().version == version  # type: ignore[union-attr]
    assert (env.db.audit_entries()[0].action, env.db.audit_entries()[0].target) == (
        "model_promoted", version)
    assert 'id="promote-run"' not in maya.get("/models/training/1").text


@pytest.mark.parametrize("version", ["/some/dir", "../x", "v1/../../etc"])
def test_promote_refuses_paths(tmp_path, version: str) -> None:
    make_registry(tmp_path / "registry", {"v1": 0.5})
    env = make_env(tmp_path)
    maya = env.client("maya")
    response = maya.post("/models/promote", data={"csrf_token": csrf(maya), "version": version})
    assert response.status_code == 400 and "missing" not in response.text


def test_promote_of_a_broken_manifest_is_a_client_error(tmp_path) -> None:
    make_registry(tmp_path / "registry", {"v1": 0.5})
    (tmp_path / "registry" / "v1" / "manifest.json").write_text("{not json")
    env = make_env(tmp_path)
    maya = env.client("maya")
    response = maya.post("/models/promote", data={"csrf_token": csrf(maya), "version": "v1"})
    assert response.status_code == 400
