"""Pure scoring core: no Flask, no database. See :mod:`app.scoring.engine`."""

from app.scoring.engine import (
    CriterionScore,
    GateResult,
    ScoreCard,
    UnitScore,
    criterion_fraction,
    needs_note,
    round_half_up,
    score,
)

__all__ = [
    "CriterionScore", "GateResult", "ScoreCard", "UnitScore", "criterion_fraction",
    "needs_note", "round_half_up", "score",
]
