"""The scorer interface: what the crawl pipeline, ``lurewatch classify`` and the demo call.

A scorer takes records and returns them with ``language``, ``risk_label``,
``risk_score``, ``indicators`` (with evidence spans into ``text``) and ``model_version``
filled in. Rules, the transformer and their combination all sit behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from lurewatch.record import Ad


@runtime_checkable
class Scorer(Protocol):
    """Scores records in batches; must be safe to call on hostile text of any size."""

    @property
    def version(self) -> str:
        """The model version recorded on every record this scorer scores."""
        ...

    def score(self, ads: Sequence[Ad]) -> list[Ad]:
        """Return scored copies of ``ads``, in the same order."""
        ...
