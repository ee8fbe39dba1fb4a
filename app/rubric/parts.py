"""The small values inside a criterion that its type reads from the rubric file: the steps of
``brackets``, the ``inputs`` of a formula, the ``items`` of a checklist, and the directions
``better`` may take.

The criterion types (:mod:`app.rubric.types`) build these and the model
(:mod:`app.rubric.model`, which re-exports them) holds them; this module imports neither.
"""

from __future__ import annotations

from dataclasses import dataclass

BETTER = ("higher", "lower")


@dataclass(frozen=True)
class Bracket:
    """A step of points: values from (or up to) `bound` earn `fraction` of the weight."""

    bound: float
    fraction: float


@dataclass(frozen=True)
class Input:
    """A quantity the inspector counts for a computed criterion."""

    name: str
    title: str
    unit_label: str = ""


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    title: str
    points: float = 1.0
