"""Kibana / OpenSearch Dashboards saved objects for Lurewatch, and their import.

``lurewatch.ndjson`` holds a data view over the records alias, one visualisation per
trend (flagged ads per week by label, indicator, language, country, source, sector, the
gender-lens indicators, review states) and a dashboard of them all. They use the legacy
aggregation-based ``visualization`` type in the 7.10 format, which both Kibana 7/8
(migrating it on import) and OpenSearch Dashboards (a fork of Kibana 7.10) accept. There
is no map: records carry a location as stated, not coordinates.

The import goes through the saved-objects HTTP API directly (``httpx``); the
``kibana-api`` package on PyPI has not been released since 2021.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

SAVED_OBJECTS = Path(__file__).with_name("lurewatch.ndjson")
DATA_VIEW_ID = "lurewatch-ads"


class KibanaError(Exception):
    """The saved objects could not be imported."""


def saved_objects(alias: str) -> list[dict[str, Any]]:
    """The shipped objects, with the data view pointed at ``alias``."""
    objects = [json.loads(line) for line in SAVED_OBJECTS.read_text(encoding="utf-8")
               .splitlines() if line.strip()]
    for obj in objects:
        if obj["type"] == "index-pattern" and obj["id"] == DATA_VIEW_ID:
            obj["attributes"]["title"] = alias
    return objects


def import_saved_objects(url: str, alias: str, *, space: str | None = None,
                         username: str | None = None, password: str | None = None,
                         verify: bool = True, timeout_s: float = 60,
                         client: httpx.Client | None = None) -> dict[str, Any]:
    """POST the objects to ``<url>[/s/<space>]/api/saved_objects/_import?overwrite=true``;
    returns the API's answer. Kibana wants ``kbn-xsrf``, OpenSearch Dashboards ``osd-xsrf``:
    both are sent."""
    ndjson = "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in saved_objects(alias))
    base = url.rstrip("/") + (f"/s/{space}" if space else "")
    auth = httpx.BasicAuth(username, password or "") if username else None
    http = client or httpx.Client(verify=verify, timeout=timeout_s)
    try:
        response = http.post(
            f"{base}/api/saved_objects/_import", params={"overwrite": "true"},
            files={"file": ("lurewatch.ndjson", ndjson.encode(), "application/ndjson")},
            headers={"kbn-xsrf": "lurewatch", "osd-xsrf": "lurewatch"},
            auth=auth or httpx.USE_CLIENT_DEFAULT)
    except httpx.HTTPError as exc:
        raise KibanaError(f"cannot reach {url}: {exc}") from exc
    finally:
        if client is None:
            http.close()
    try:
        answer: dict[str, Any] = response.json()
    except ValueError:
        answer = {}
    if response.status_code != 200:
        reason = answer.get("message") or response.text[:200]
        raise KibanaError(f"{url} refused the import (HTTP {response.status_code}): {reason}")
    if not answer.get("success", False):
        problems = "; ".join(f"{e.get('type')}/{e.get('id')}: {e.get('error', {}).get('type')}"
                             for e in answer.get("errors", []))
        raise KibanaError(f"{url} imported {answer.get('successCount', 0)} objects with "
                          f"errors: {problems}")
    return answer
