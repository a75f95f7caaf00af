"""Pseudonyms of a case's contacts and names, for redacted referrals: which stands for
what stays here, in the application, and never leaves with an export."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from lurewatch.sqlite import Database


@dataclass(frozen=True)
class Pseudonym:
    pseudonym: str  # "[phone-1]"
    kind: str  # phone, email, handle, url, name
    value: str  # the value it stands for, as normalised


class PseudonymTables:
    """The case_pseudonyms table."""

    db: Database

    def case_pseudonyms(self, case_id: int) -> list[Pseudonym]:
        with self.db.write() as db:
            rows = db.execute(
                "SELECT pseudonym, kind, value FROM case_pseudonyms WHERE case_id = ?"
                " ORDER BY kind, number", (case_id,)).fetchall()
        return [Pseudonym(r["pseudonym"], r["kind"], r["value"]) for r in rows]

    def assign_pseudonyms(self, case_id: int,
                          values: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The pseudonym of each ``(kind, value)``: the one the case already gave it, else
        the next number of its kind. Kept, so that every export of the case, before and
        after records are added, calls the same number by the same name."""
        with self.db.write() as db:
            rows = db.execute("SELECT kind, value, number FROM case_pseudonyms"
                              " WHERE case_id = ?", (case_id,)).fetchall()
            numbers = {(r["kind"], r["value"]): int(r["number"]) for r in rows}
            last: dict[str, int] = {}
            for (kind, _), number in numbers.items():
                last[kind] = max(last.get(kind, 0), number)
            now = time.time()
            for kind, value in values:
                if (kind, value) in numbers:
                    continue
                number = last[kind] = last.get(kind, 0) + 1
                numbers[(kind, value)] = number
                db.execute(
                    "INSERT INTO case_pseudonyms (case_id, kind, value, number, pseudonym,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (case_id, kind, value, number, f"[{kind}-{number}]", now))
        return {key: f"[{key[0]}-{number}]" for key, number in numbers.items()}
