"""The dashboard's rows of issue 15, per municipality: how often its self-declarations were
confirmed across cycles (a municipality whose declarations are often corrected is a known
warning sign), and its recommendations followed up (answered, done, open, overdue). Read
from the finals only (app.declarations, app.recommendations own the figures)."""

from __future__ import annotations

from app.declarations.services import accuracy
from app.recommendations.services import counts


def table(scope: tuple[int, ...] | None) -> list[dict]:
    """One row per municipality of `scope` (None: every province) that has a declaration or
    a recommendation in a final: its accuracy by year, across cycles, and its follow-up
    counts; by name."""
    rows: dict[int, dict] = {}

    def row(town_id: int, name: str) -> dict:
        return rows.setdefault(town_id, {"municipality_id": town_id, "name": name,
                                         "years": [], "declared": 0, "confirmed": 0,
                                         "corrected": 0, "share": None, "follow_up": None})

    for cycle in accuracy(scope):
        found = row(cycle["municipality_id"], cycle["name"])
        found["years"].append(cycle)
        for key in ("declared", "confirmed", "corrected"):
            found[key] += cycle[key]
    for count in counts(scope):
        row(count["municipality_id"], count["name"])["follow_up"] = count
    for found in rows.values():
        verified = found["confirmed"] + found["corrected"]
        found["share"] = round(100 * found["confirmed"] / verified, 1) if verified else None
    return sorted(rows.values(), key=lambda r: r["name"])


def of_municipality(municipality_id: int, province_id: int) -> dict | None:
    """The row of one municipality (None when it has neither)."""
    return next((r for r in table((province_id,)) if r["municipality_id"] == municipality_id),
                None)
