"""What a store raises: every backend translates its own failures into these."""

from __future__ import annotations

from lurewatch.errors import LurewatchError


class StoreError(LurewatchError):
    """The store could not do what was asked."""


class ConflictError(StoreError):
    """A review write was based on a stale version of the record and was refused."""

    def __init__(self, record_id: str, expected: int, actual: int | None) -> None:
        super().__init__(
            f"record {record_id} was changed by someone else "
            f"(you saw version {expected}, it is now {actual})"
        )
        self.record_id = record_id
        self.expected = expected
        self.actual = actual


class NotFoundError(StoreError):
    """No record has that id."""


class StoreUnavailableError(StoreError):
    """The store does not answer now (down, overloaded, timed out): try again later."""
