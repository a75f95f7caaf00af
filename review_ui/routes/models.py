"""The model registry: versions with their metrics, side by side."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from review_ui.deps import Maintainer, SettingsDep
from review_ui.services import registry
from review_ui.templating import render

router = APIRouter(prefix="/models")


@router.get("")
def models(request: Request, user: Maintainer, settings: SettingsDep) -> Response:
    entries = registry.list_models(settings.model.registry)
    return render(request, "models.html", page_title="Models", entries=entries,
                  registry_path=settings.model.registry)


@router.get("/compare")
def compare(request: Request, user: Maintainer, settings: SettingsDep, a: str = "",
            b: str = "") -> Response:
    entries = {e.version: e for e in registry.list_models(settings.model.registry)}
    chosen = [entries[v] for v in (a, b) if v in entries]
    keys = sorted({k for e in chosen for k in e.metrics})
    return render(request, "models_compare.html", page_title="Compare models",
                  chosen=chosen, keys=keys, versions=sorted(entries))
