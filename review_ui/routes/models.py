"""The model registry: versions with their metrics side by side, promotion and rollback.
Every change is written to the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from review_ui.deps import AppDB, Maintainer, SettingsDep
from review_ui.services.registry import Registry, RegistryError, list_models
from review_ui.templating import render

router = APIRouter(prefix="/models")


def _registry(settings: SettingsDep) -> Registry:
    return Registry(settings.model.registry)


@router.get("")
def models(request: Request, user: Maintainer, settings: SettingsDep) -> Response:
    registry = _registry(settings)
    try:
        entries = list_models(registry)
    except RegistryError as exc:
        return render(request, "error.html", 500, message=str(exc))
    return render(request, "models.html", page_title="Models", entries=entries,
                  registry_path=registry.root)


@router.get("/compare")
def compare(request: Request, user: Maintainer, settings: SettingsDep, a: str = "",
            b: str = "") -> Response:
    try:
        entries = {e.version: e for e in list_models(_registry(settings))}
    except RegistryError as exc:
        return render(request, "error.html", 500, message=str(exc))
    chosen = [entries[v] for v in (a, b) if v in entries]
    keys = sorted({k for e in chosen for k in e.metrics})
    return render(request, "models_compare.html", page_title="Compare models",
                  chosen=chosen, keys=keys, versions=sorted(entries))


@router.post("/promote")
def promote(request: Request, user: Maintainer, settings: SettingsDep, db: AppDB,
            version: Annotated[str, Form()]) -> Response:
    registry = _registry(settings)
    before = registry.promoted()
    try:
        registry.promote(version)
    except RegistryError as exc:
        db.audit(user.username, "model_promote_refused", version, str(exc))
        return render(request, "error.html", 400, message=str(exc), link="/models")
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
        return render(request, "error.html", 400, message=str(exc), link="/models")
    db.audit(user.username, "model_rolled_back", now.version if now else "rules only",
             f"was {before.version if before else 'rules only'}")
    return RedirectResponse("/models", status_code=303)
