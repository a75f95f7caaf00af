"""The model registry's versions with their metrics (promotion stays in the pages)."""

from __future__ import annotations

from fastapi import APIRouter

from review_ui.api.deps import ApiMaintainer
from review_ui.api.schemas import ModelPublic
from review_ui.deps import SettingsDep
from review_ui.errors import Refused
from review_ui.services.registry import Registry, RegistryError, list_models

router = APIRouter(prefix="/models", tags=["models"])


@router.get("", response_model=list[ModelPublic])
def list_model_versions(user: ApiMaintainer, settings: SettingsDep) -> list[ModelPublic]:
    try:
        entries = list_models(Registry(settings.model.registry))
    except RegistryError as exc:
        raise Refused(500, str(exc)) from exc
    return [ModelPublic.model_validate(entry) for entry in entries]
