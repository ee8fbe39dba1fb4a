"""The one rounding rule of the project: half up, on the shortest decimal form of a number.

Scores, the numbers people read and the page's live score (app/static/js/scoring.js) all round
this way. Pure: no import of the project, so anything may use it."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

#: the quantum of each number of decimals (10⁻ⁿ), made once
_QUANTA = {decimals: Decimal(1).scaleb(-decimals) for decimals in range(10)}


def round_half_up(value: float | None, decimals: int = 1) -> float | None:
    """Half-up rounding of the shortest decimal form of `value` (72.45 → 72.5)."""
    if value is None:
        return None
    value = float(value)
    if value == 0:  # 0.0 and -0.0 are one key of the memory below, but keep their signs
        return _rounded(value, decimals)
    return _remembered(value, decimals)


def _rounded(value: float, decimals: int) -> float:
    quantum = _QUANTA.get(decimals) or Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


#: a score card rounds the same unit and overall figures save after save (only the unit of
#: the criterion changed moves): each result is a pure function of its two arguments
_remembered = lru_cache(maxsize=4096)(_rounded)
