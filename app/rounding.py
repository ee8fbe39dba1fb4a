"""The one rounding rule of the project: half up, on the shortest decimal form of a number.

Scores, the numbers people read and the page's live score (app/static/js/scoring.js) all round
this way. Pure: no import of the project, so anything may use it."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def round_half_up(value: float | None, decimals: int = 1) -> float | None:
    """Half-up rounding of the shortest decimal form of `value` (72.45 → 72.5)."""
    if value is None:
        return None
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))
