"""The model registry: versions with their metrics side by side, promotion and rollback.
Every change is written to the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from index.errors import NotFoundError
from review_ui.deps import AppDB, Maintainer, SettingsDep, StoreDep
from review_ui.errors import Refused
from review_ui.forms import RowId
from review_ui.services import training
from review_ui.services.registry import Registry, RegistryError, list_models
from review_ui.templating import render

router = APIRouter(prefix="/models")
# A version is a folder name inside the registry, never a path: refused at the edge, so
# "/some/dir" or "../x" never reach the filesystem.
VERSION_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"


def _registry(settings: SettingsDep) -> Registry:
    return Registry(settings.model.registry)


@router.get("")
def models(request: Request, user: Maintainer, settings: SettingsDep) -> Response:
    registry = _registry(settings)
    try:
        entries = list_models(registry)
    except RegistryError as exc:
        raise Refused(500, str(exc)) from exc
    return render(request, "models.html", page_title="Models", entries=entries,
                  registry_path=registry.root)


@router.get("/compare")
def compare(request: Request, user: Maintainer, settings: SettingsDep, a: str = "",
            b: str = "") -> Response:
    try:
        entries = {e.version: e for e in list_models(_registry(settings))}
    except RegistryError as exc:
        raise Refused(500, str(exc)) from exc
    chosen = [entries[v] for v in (a, b) if v in entries]
    keys = sorted({k for e in chosen for k in e.metrics})
    return render(request, "models_compare.html", page_title="Compare models",
                  chosen=chosen, keys=keys, versions=sorted(entries))


@router.post("/promote")
def promote(request: Request, user: Maintainer, settings: SettingsDep, db: AppDB,
            version: Annotated[str, Form(pattern=VERSION_NAME)]) -> Response:
    registry = _registry(settings)
    before = registry.promoted()
    try:
        registry.promote(version)
    except (RegistryError, ValueError) as exc:  # ValueError: a manifest that is not JSON
        db.audit(user.username, "model_promote_refused", version, str(exc))
        raise Refused(400, str(exc), link="/models") from exc
    db.audit(user.username, "model_promoted", version,
             f"was {before.version if before else 'rules only'}")
    return RedirectResponse("/models", status_code=303)


@router.post("/rollback")
def rollback(request: Request, user: Maintainer, settings: SettingsDep,
             db: AppDB) -> Response:
    registry = _registry(settings)
    before = registry.promoted()
    try:
        now = registry.rollback()
    except RegistryError as exc:
        raise Refused(400, str(exc), link="/models") from exc
    db.audit(user.username, "model_rolled_back", now.version if now else "rules only",
             f"was {before.version if before else 'rules only'}")
    return RedirectResponse("/models", status_code=303)


@router.get("/training")
def training_runs(request: Request, user: Maintainer, db: AppDB) -> Response:
    return render(request, "training.html", page_title="Training runs",
                  runs=db.training_runs())


@router.post("/training")
def start_training(request: Request, user: Maintainer, store: StoreDep, db: AppDB,
                   settings: SettingsDep) -> Response:
    try:
        run = training.start(store, db, settings, user)
    except training.TrainingBusy as exc:
        raise Refused(409, str(exc), link="/models/training") from exc
    db.audit(user.username, "training_started", f"run {run.id}", str(run.folder))
    return RedirectResponse(f"/models/training/{run.id}", status_code=303)


@router.post("/training/{run_id}/cancel")
def cancel_training(request: Request, run_id: RowId, user: Maintainer, db: AppDB) -> Response:
    if not training.cancel(run_id):
        raise Refused(409, f"training run {run_id} is not "
                      "running in this server", link=f"/models/training/{run_id}")
    db.audit(user.username, "training_cancelled", f"run {run_id}")
    return RedirectResponse(f"/models/training/{run_id}", status_code=303)


@router.get("/training/{run_id}")
def training_run(request: Request, run_id: RowId, user: Maintainer, db: AppDB,
                 settings: SettingsDep) -> Response:
    run = db.training_run(run_id)
    if run is None:
        raise NotFoundError(f"no training run has id {run_id}")
    try:
        current = next((e for e in list_models(_registry(settings)) if e.promoted), None)
    except RegistryError:
        current = None
    # The promoted model's F1 figures, to read beside the run's dev F1.
    current_f1 = {k: v for k, v in current.metrics.items() if "f1" in k} if current else {}
    registered = training.result(run, training.REGISTERED_FILE)
    return render(request, "training_run.html", page_title=f"Training run {run.id}", run=run,
                  log=training.log_tail(run), result=training.result(run), current=current,
                  current_f1=current_f1,
                  new_version=registered.get("version") if registered else None)
