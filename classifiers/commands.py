"""``lurewatch classify``, ``lurewatch evaluate`` and ``lurewatch rescore``."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from classifiers.base import Scorer, score_each
from classifiers.labelled import LabelledSetError, read_labelled
from index import open_store
from index.query import SearchFilters
from lurewatch.cli import command, err_console
from lurewatch.config import load_settings
from lurewatch.errors import UserError
from lurewatch.record import Ad

CLASSIFY_BATCH = 32


def _input_ad(number: int, data: Any) -> Ad:
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    text = data.get("text")
    if not isinstance(text, str):
        raise ValueError("needs a string field 'text'")
    title = data.get("title") if isinstance(data.get("title"), str) else ""
    language = data.get("lang") if isinstance(data.get("lang"), str) else None
    item_id = str(data.get("id", f"line-{number}"))
    return Ad(source="classify", url=f"classify:{item_id}", platform="other", post_id=item_id,
              title=title, text=text, language=language)


def _output(data: dict[str, Any], ad: Ad) -> dict[str, Any]:
    return {
        **data,
        "label": ad.risk_label.value if ad.risk_label else None,
        "score": ad.risk_score,
        "language": ad.language,
        "languages_present": ad.languages_present,
        "indicators": [
            {"name": i.id, "score": i.score, "source": i.source, "rule": i.rule,
             "evidence": [s.model_dump() for s in i.spans]}
            for i in ad.indicators
        ],
        "contacts": ad.contacts.model_dump(),
        "salary": ad.salary.model_dump() if ad.salary else None,
        "employer": ad.employer,
        "model_version": ad.model_version,
    }


def classify_lines(lines: Any, scorer: Scorer, write: Any, warn: Any) -> tuple[int, int]:
    """Score JSONL ``lines``; ``write`` gets each output object, ``warn`` each bad line."""
    done = bad = 0
    pending: list[tuple[dict[str, Any], Ad]] = []

    def flush() -> None:
        nonlocal done, bad
        scored, failures = score_each(scorer, [ad for _, ad in pending])
        for failure in failures:
            warn(f"item {failure.record_id}: skipped: could not be scored ({failure.error})")
        bad += len(failures)
        for (data, _), ad in zip(pending, scored, strict=True):
            if ad is not None:
                write(_output(data, ad))
                done += 1
        pending.clear()

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            pending.append((data, _input_ad(number, data)))
        except (json.JSONDecodeError, ValueError, ValidationError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            warn(f"line {number}: skipped: {reason}")
            bad += 1
            continue
        if len(pending) >= CLASSIFY_BATCH:
            flush()
    flush()
    return done, bad


@command(name="classify")
def classify(
    input: Annotated[Path, typer.Option("--input", "-i", help="JSONL with at least 'text'")],
    output: Annotated[Path, typer.Option("--output", "-o", help="JSONL to write")],
) -> None:
    """Label each JSON line of INPUT and write it to OUTPUT with score, indicators and spans."""
    # Imported here: spaCy and the lexicons load only for the commands that score.
    from classifiers.scoring import load_scorer

    if not input.is_file():
        raise UserError(f"input file {input} does not exist")
    scorer = load_scorer(load_settings())
    try:
        source = input.open(encoding="utf-8", errors="replace")
        target = output.open("w", encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot open {exc.filename}: {exc.strerror}") from exc
    with source, target:
        done, bad = classify_lines(
            source, scorer,
            lambda obj: target.write(json.dumps(obj, ensure_ascii=False) + "\n"),
            lambda message: print(message, file=sys.stderr),
        )
    err_console.print(f"classified {done} item(s) with {scorer.version}, skipped {bad}",
                      highlight=False)


def _table(title: str, rows: dict[str, dict[str, Any]], columns: list[str]) -> Table:
    table = Table(title=title)
    table.add_column("")
    for column in columns:
        table.add_column(column.replace("_", " "), justify="right")
    for name, values in rows.items():
        table.add_row(name, *[_cell(values.get(column)) for column in columns])
    return table


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


@command(name="evaluate")
def evaluate(
    data: Annotated[Path | None, typer.Option(
        "--data", help="labelled JSONL set [default: the development split of "
        "classifiers/data/recipe.py]")] = None,
    model: Annotated[str | None, typer.Option(
        "--model", help="model version from the registry [default: the promoted one]")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="write the figures here")] = None,
    charts: Annotated[Path | None, typer.Option(
        "--charts", help="write PNG charts (confusion, reliability, F1) into this folder")] = None,
) -> None:
    """Precision, recall and F1 of the configured scorer (the promoted model + rules, or
    rules alone) per label, language and indicator on DATA, with the confusion matrix and
    calibration (ECE)."""
    from classifiers.data.recipe import development_items
    from classifiers.evaluation import metrics, run_scorer
    from classifiers.scoring import load_scorer
    from classifiers.transformer.report import extend_report, write_charts

    try:
        items = read_labelled(data) if data else development_items()
    except LabelledSetError as exc:
        raise UserError(str(exc)) from exc
    if not items:
        raise UserError(f"{data} holds no items")
    settings = load_settings()
    if model:
        settings.model.version = model
    scorer = load_scorer(settings)
    predictions = run_scorer(scorer, items)
    report = extend_report(metrics(predictions, scorer.version),
                           [i.label.value for i in items], predictions.labels,
                           predictions.scores)
    console = Console()
    console.print(_table(f"Per label ({scorer.version}, {len(items)} items)",
                         report["per_label"], ["precision", "recall", "f1", "support"]))
    console.print(_table("Per language", report["per_language"], [
        "items", "accuracy", "macro_f1", "flagged_precision", "flagged_recall", "flagged_f1",
        "risk_auc", "negative_flag_rate"]))
    console.print(_table("Per indicator", report["per_indicator"],
                         ["precision", "recall", "f1", "support", "predicted"]))
    console.print(_table("Overall", {"all": report["overall"] | {
        "ece": report["calibration"]["ece"]}}, [
        "accuracy", "macro_f1", "flagged_precision", "flagged_recall", "risk_auc",
        "negative_flag_rate", "legitimate_false_positive_rate", "ece"]))
    try:
        if json_out:
            json_out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                                encoding="utf-8")
        if charts:
            for chart in write_charts(report, charts):
                console.print(f"chart: {chart}")
    except OSError as exc:
        raise UserError(f"cannot write {exc.filename}: {exc.strerror}") from exc


@command(name="rescore")
def rescore_command(
    since: Annotated[datetime | None, typer.Option(
        "--since", help="Only records posted (or, undated, fetched) on or after this date.",
        formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"])] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print {rescored, changed_label, seconds} as JSON.")] = False,
) -> None:
    """Score the stored records again with the promoted model (and rules), keeping each
    record's earlier label and score in its history; reviewers' decisions stay as they are."""
    from classifiers.rescore import rescore
    from classifiers.scoring import load_scorer

    settings = load_settings()
    # The formats above give naive times: dates on the command line are UTC.
    filters = SearchFilters(posted_from=since.replace(tzinfo=UTC) if since else None)
    scorer = load_scorer(settings)
    with open_store(settings.store) as store, Progress(
            TextColumn("re-scoring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=err_console, transient=as_json) as bar:
        task = bar.add_task("rescore", total=store.count(filters))
        report = rescore(store, scorer, filters,
                         progress=lambda done: bar.advance(task, done))
    if as_json:
        typer.echo(json.dumps(report.as_json()))
    else:
        err_console.print(f"re-scored {report.rescored} records with {scorer.version} in "
                          f"{report.seconds:.1f}s: {report.changed_label} changed label, "
                          f"{report.failed} could not be scored", highlight=False)
