"""Training runs started from the review application.

A run exports the reviewed records (in the labelled-item format), merges them over the
project's training set with ``lurewatch dataset merge`` (reviewers' labels win), and
fine-tunes with ``lurewatch train``, in a child process so the server stays responsive.
Its output goes to ``log.txt`` in the run's folder, which the run's page shows as it
grows; the JSON summary ``lurewatch train`` prints is kept as ``result.json``.
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
from lurewatch.config import PACKAGE_ROOT
from review_ui.appdb import ReviewDB, TrainingRun, User
from review_ui.services.exports import training_rows

BASE_TRAIN = PACKAGE_ROOT / "classifiers" / "data" / "train.jsonl"
BASE_DEV = PACKAGE_ROOT / "classifiers" / "data" / "dev.jsonl"
CLI = [sys.executable, "-c", "from lurewatch.cli import app; app()"]
LOG_TAIL_BYTES = 16 * 1024


class TrainingBusy(Exception):
    """Only one training run at a time: they would fight over the CPU."""


def start(store: Store, db: ReviewDB, runs_dir: Path, user: User) -> TrainingRun:
    run = db.add_training_run(user.username, runs_dir)
    if run is None:
        raise TrainingBusy("a training run is already going; wait for it to finish")
    folder = run.folder
    folder.mkdir(parents=True, exist_ok=True)
    reviewed = folder / "reviewed.jsonl"
    with reviewed.open("w", encoding="utf-8") as out:
        count = sum(out.write(line) > 0 for line in training_rows(store))
    commands = [
        [*CLI, "dataset", "merge", str(BASE_TRAIN), str(reviewed), "--out",
         str(folder / "train.jsonl")],
        [*CLI, "train", "--data", str(folder / "train.jsonl"), "--dev", str(BASE_DEV),
         "--out", str(folder / "model")],
    ]
    (folder / "log.txt").write_text(f"{count} reviewed records exported to {reviewed}\n",
                                    encoding="utf-8")
    thread = threading.Thread(target=_run, args=(db, run.id, folder, commands),
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


def _run(db: ReviewDB, run_id: int, folder: Path, commands: list[list[str]]) -> None:
    log_path = folder / "log.txt"
    status, detail = "succeeded", ""
    try:
        with log_path.open("a", encoding="utf-8") as log:
            for number, command in enumerate(commands):
                log.write(f"$ lurewatch {' '.join(command[3:])}\n")
                log.flush()
                # The last command (train) prints its JSON summary: keep it on its own.
                last = number == len(commands) - 1
                with (folder / "result.json").open("w") if last else nullcontext(log) as out:
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


def result(run: TrainingRun) -> dict[str, Any] | None:
    path = run.folder / "result.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
