"""``lurewatch dataset export|merge``, ``model list|promote|rollback`` and the scorer choice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifiers.data.recipe import written_items
from classifiers.labelled import read_labelled
from classifiers.transformer.dataset import write_examples
from lurewatch.cli import load_commands
from lurewatch.record import Ad, Decision, ReviewState

app = load_commands()

runner = CliRunner()


def test_dataset_export_writes_reviewed_records_only(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from index.sqlite import SQLiteStore

    database = tmp_path / "store.db"
    monkeypatch.setenv("LUREWATCH_STORE__PATH", str(database))
    with SQLiteStore(database) as store:
        ads = [Ad(source="s", url=f"https://example.org/{n}", title="Kerja",
                  text=f"Tak perlu pasport, kami bawa masuk. {n}", language="ms")
               for n in range(3)]
        store.upsert(ads)
        store.decide(ads[0].id, Decision(reviewer="ana", state=ReviewState.confirmed_som,
                                         indicators_added=["no_passport_needed"]), 0)
        store.decide(ads[1].id, Decision(reviewer="ana", state=ReviewState.escalated), 0)
    out = tmp_path / "reviewed.jsonl"
    result = runner.invoke(app, ["dataset", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["written"] == 1
    [item] = read_labelled(out)
    assert item.label.value == "smuggling_offer"
    assert item.indicators == ["no_passport_needed"]
    assert item.lang == "ms" and item.text == ads[0].text


def test_dataset_merge_lets_later_files_win(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    record = {"id": "x1", "group": "g", "lang": "en", "title": "", "text": "Room for rent",
              "label": "not_job_related", "indicators": []}
    first.write_text(json.dumps(record) + "\n" + json.dumps({**record, "id": "x2"}) + "\n")
    second.write_text(json.dumps({**record, "label": "legitimate"}) + "\n")
    out = tmp_path / "merged.jsonl"
    result = runner.invoke(app, ["dataset", "merge", str(first), str(second), "--out", str(out)])
    assert result.exit_code == 0, result.output
    merged = {i.id: i.label.value for i in read_labelled(out)}
    assert merged == {"x1": "legitimate", "x2": "not_job_related"}


def test_dataset_merge_names_a_bad_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": "t", "label": "maybe"}\n')
    result = runner.invoke(app, ["dataset", "merge", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "bad.jsonl" in result.output and "Traceback" not in result.output


def test_model_commands_on_an_empty_registry(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUREWATCH_MODEL__REGISTRY", str(tmp_path))
    assert json.loads(runner.invoke(app, ["model", "list"]).stdout) == []
    promote = runner.invoke(app, ["model", "promote", "nope"])
    assert promote.exit_code == 2 and "no model version 'nope'" in promote.output
    rollback = runner.invoke(app, ["model", "rollback"])
    assert rollback.exit_code == 2 and "nothing to roll back" in rollback.output


def test_load_scorer_uses_rules_when_no_model_is_promoted(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from classifiers.scoring import RuleScorer, load_scorer
    from lurewatch.config import ConfigError, load_settings

    monkeypatch.setenv("LUREWATCH_MODEL__REGISTRY", str(tmp_path))
    assert isinstance(load_scorer(load_settings()), RuleScorer)
    monkeypatch.setenv("LUREWATCH_MODEL__VERSION", "missing")
    with pytest.raises(ConfigError, match="model.version"):
        load_scorer(load_settings())


@pytest.mark.slow
def test_evaluate_adds_confusion_calibration_and_charts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUREWATCH_MODEL__REGISTRY", str(tmp_path / "empty"))
    subset = tmp_path / "subset.jsonl"
    write_examples(written_items(("w1",))[::30], subset)
    result = runner.invoke(app, ["evaluate", "--data", str(subset), "--json",
                                 str(tmp_path / "metrics.json"), "--charts",
                                 str(tmp_path / "eval" / "charts")])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "metrics.json").read_text())
    matrix = report["confusion"]["rows_true_columns_predicted"]
    assert sum(map(sum, matrix)) == len(read_labelled(subset))
    assert 0.0 <= report["calibration"]["ece"] <= 1.0
    for chart in ("confusion_matrix", "reliability", "f1_by_language", "f1_by_indicator"):
        assert (tmp_path / "eval" / "charts" / f"{chart}.png").stat().st_size > 1000
