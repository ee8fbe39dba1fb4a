"""Pure scoring core: no Flask, no database. See :mod:`app.scoring.engine`."""

from app.scoring.engine import (
    FRACTION_BY_TYPE,
    CriterionScore,
    ScoreCard,
    UnitScore,
    criterion_fraction,
    needs_note,
    round_half_up,
    score,
)

__all__ = [
    "FRACTION_BY_TYPE", "CriterionScore", "ScoreCard", "UnitScore", "criterion_fraction",
    "needs_note", "round_half_up", "score",
]
