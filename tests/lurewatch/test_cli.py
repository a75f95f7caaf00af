"""The command line: results on the embedded store, one-line errors for wrong input."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from index.sqlite import SQLiteStore
from lurewatch.cli import load_commands
from lurewatch.record import Ad, Label

app = load_commands()

runner = CliRunner()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LUREWATCH_CONFIG", raising=False)
    return tmp_path


def seed(workdir: Path) -> Ad:
    ad = Ad(source="board", url="https://jobs.example.my/7", title="Kerja kilang Penang",
            text="Cari pekerja kilang, gaji RM8000, passport disimpan majikan.", language="ms",
            risk_label=Label.deceptive_recruitment, risk_score=0.91)
    with SQLiteStore(workdir / "data" / "lurewatch.db") as store:
        store.upsert([ad, Ad(source="board", url="https://jobs.example.my/8", title="Kerani",
                             text="Kerani akaun, pengalaman 2 tahun.", language="ms")])
    return ad


def test_search_and_show_on_the_default_store(workdir: Path) -> None:
    ad = seed(workdir)
    result = runner.invoke(app, ["search", "passport", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == [ad.id]
    result = runner.invoke(app, ["search", "kilang", "--label", "deceptive_recruitment"])
    assert result.exit_code == 0 and "1 records" in result.stdout
    result = runner.invoke(app, ["show", ad.id])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["title"] == "Kerja kilang Penang"


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        (["show", "nope"], None, "no record with id 'nope'"),
        (["search", "x"], "store:\n  kind: mongodb\n", "store.kind"),
        (["search", "x"], "store: [\n", "not valid YAML"),
    ],
)
def test_wrong_input_is_one_line_and_exit_2(workdir: Path, args: list[str], config: str | None,
                                            message: str) -> None:
    if config is not None:
        (workdir / "lurewatch.yaml").write_text(config)
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_unreadable_config_is_one_line(workdir: Path) -> None:
    config = workdir / "lurewatch.yaml"
    config.write_bytes(b"\xff\xfe\x00bad")
    result = runner.invoke(app, ["search", "x"])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr or "not valid YAML" in result.stderr


@pytest.mark.parametrize("name", [
    "demo", "crawl", "parse", "classify", "evaluate", "search", "show", "serve", "monitor",
    "status", "train", "model", "dataset", "cluster", "campaigns", "reindex", "kibana", "spool",
    "user",
])
def test_every_command_has_help(name: str) -> None:
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
