"""Training runs started from the review application.

A run exports the reviewed records (in the labelled-item format), merges them over the
project's training set with ``lurewatch dataset merge`` (reviewers' labels win), and
fine-tunes with ``lurewatch train`` (which exports ONNX), then evaluates and registers
the result with ``lurewatch model register`` (not promoted: a maintainer compares and
promotes it on the run's page). Each step is a child process so the server stays
responsive. Their output goes to ``log.txt`` in the run's folder, which the run's page
shows as it grows; the JSON summaries of ``train`` and ``model register`` are kept as
``result.json`` and ``registered.json``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from index.base import Store
from lurewatch.config import PACKAGE_ROOT, Settings
from review_ui.appdb import ReviewDB
from review_ui.appdb.accounts import User
from review_ui.appdb.training import TrainingRun
from review_ui.services.exports import training_rows

CLI = [sys.executable, "-m", "lurewatch"]
LOG_TAIL_BYTES = 16 * 1024


class TrainingBusy(Exception):
    """Only one training run at a time: they would fight over the CPU."""


RESULT_FILE = "result.json"
REGISTERED_FILE = "registered.json"


def start(store: Store, db: ReviewDB, settings: Settings, user: User) -> TrainingRun:
    run = db.add_training_run(user.username, settings.data_dir / "training-runs")
    if run is None:
        raise TrainingBusy("a training run is already going; wait for it to finish")
    folder = run.folder
    folder.mkdir(parents=True, exist_ok=True)
    reviewed = folder / "reviewed.jsonl"
    with reviewed.open("w", encoding="utf-8") as out:
        count = sum(out.write(line) > 0 for line in training_rows(store))
    review = settings.review
    # (command, file its JSON summary goes to; None: into the log)
    steps: list[tuple[list[str], str | None]] = []
    base_train, base_dev = review.training_data, review.training_dev
    if base_train is None or base_dev is None:
        steps.append(([*CLI, "dataset", "build", "--out", str(folder / "base")], None))
        base_train = base_train or folder / "base" / "train.jsonl"
        base_dev = base_dev or folder / "base" / "dev.jsonl"
    steps += [
        ([*CLI, "dataset", "merge", str(base_train), str(reviewed), "--out",
          str(folder / "train.jsonl")], None),
        ([*CLI, "train", "--data", str(folder / "train.jsonl"), "--dev",
          str(base_dev), "--epochs", str(review.training_epochs), "--out",
          str(folder / "model")], RESULT_FILE),
        ([*CLI, "model", "register", str(folder / "model"), "--registry",
          str(settings.model.registry)], REGISTERED_FILE),
    ]
    (folder / "log.txt").write_text(f"{count} reviewed records exported to {reviewed}\n",
                                    encoding="utf-8")
    thread = threading.Thread(target=_run, args=(db, run.id, folder, steps),
                              name=f"training-run-{run.id}", daemon=True)
    thread.start()
    return run


# Child processes of runs this server started, so a maintainer can stop one.
_processes: dict[int, subprocess.Popen[bytes]] = {}
_cancelled: set[int] = set()
_lock = threading.Lock()


def cancel(run_id: int) -> bool:
    """Stop a run this server started; False if it is not running here."""
    with _lock:
        process = _processes.get(run_id)
        if process is None:
            return False
        _cancelled.add(run_id)
        process.terminate()
    return True


def _run(db: ReviewDB, run_id: int, folder: Path,
         steps: list[tuple[list[str], str | None]]) -> None:
    log_path = folder / "log.txt"
    status, detail = "succeeded", ""
    try:
        with log_path.open("a", encoding="utf-8") as log:
            for command, summary in steps:
                log.write(f"$ lurewatch {' '.join(command[3:])}\n")
                log.flush()
                with (folder / summary).open("w") if summary else nullcontext(log) as out:
                    with _lock:
                        if run_id in _cancelled:
                            break
                        process = subprocess.Popen(command, stdout=out, stderr=log,
                                                   cwd=PACKAGE_ROOT)
                        _processes[run_id] = process
                    returncode = process.wait()
                if returncode != 0:
                    status = "failed"
                    detail = f"{command[3]} exited with status {returncode}; see the log"
                    break
    except OSError as exc:
        status, detail = "failed", f"could not run: {exc}"
    with _lock:
        _processes.pop(run_id, None)
        if run_id in _cancelled:
            _cancelled.discard(run_id)
            status, detail = "cancelled", "stopped by a maintainer"
    db.finish_training_run(run_id, status, detail)


def log_tail(run: TrainingRun) -> str:
    path = run.folder / "log.txt"
    if not path.is_file():
        return ""
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - LOG_TAIL_BYTES))
        return handle.read().decode("utf-8", "replace")


def result(run: TrainingRun, name: str = RESULT_FILE) -> dict[str, Any] | None:
    """A step's JSON summary (``train``'s by default), None until it is written whole."""
    path = run.folder / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
