"""The rubric as the rest of the system sees it: frozen, validated, normalised.

The loader (`app.rubric.loader`) turns a YAML file into these objects; nothing else builds
them except tests. Per-tier values are stored resolved: a scalar in the file becomes the same
value for every tier, so callers always ask ``criterion.weight_for(tier_id)``.

This module imports nothing from Flask or the database: the scoring engine and the forms use it.
It stands above the criterion types (``criterion.kind`` asks their registry), which see a
criterion only as the argument they are given; the small values both hold are in
:mod:`app.rubric.parts`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.rubric.parts import BETTER, Bracket, ChecklistItem, Input
from app.rubric.types import CriterionType, type_of

if TYPE_CHECKING:
    from app.rubric.formula import Formula

__all__ = ["BETTER", "DEFAULT_NA_LIMIT", "Band", "Bracket", "ChecklistItem", "Criterion",
           "Example", "Gate", "Input", "Rubric", "Sampling", "Scale", "ScaleLevel", "Tier",
           "Unit"]

DEFAULT_NA_LIMIT = 1 / 3


@dataclass(frozen=True)
class Tier:
    """A resource tier: municipalities matching every condition given are held to its targets."""

    id: str
    title: str = ""
    description: str = ""
    #: inclusive (min, max) of the municipal grade 1–12, or None when the tier does not look at it
    grades: tuple[int, int] | None = None
    #: inclusive (min, max) population; max None means "no upper bound"
    population: tuple[int, int | None] | None = None

    def matches(self, grade: int | None, population: int | None) -> bool:
        if self.grades is not None:
            if grade is None or not self.grades[0] <= grade <= self.grades[1]:
                return False
        if self.population is not None:
            low, high = self.population
            if population is None or population < low:
                return False
            if high is not None and population > high:
                return False
        return True


@dataclass(frozen=True)
class Band:
    min: float
    label: str


@dataclass(frozen=True)
class ScaleLevel:
    value: float
    label: str


@dataclass(frozen=True)
class Scale:
    id: str
    #: levels sorted by value, lowest first
    levels: tuple[ScaleLevel, ...]

    @property
    def lowest(self) -> float:
        return self.levels[0].value

    @property
    def highest(self) -> float:
        return self.levels[-1].value

    def level(self, value: float) -> ScaleLevel | None:
        for level in self.levels:
            if level.value == value:
                return level
        return None

    def level_by_label(self, label: str) -> ScaleLevel | None:
        for level in self.levels:
            if level.label == label:
                return level
        return None


@dataclass(frozen=True)
class Sampling:
    """Observations at several sites: at least `min`, combined by `aggregate`."""

    min: int = 1
    #: "mean" | "min" | "share"
    aggregate: str = "mean"


@dataclass(frozen=True)
class Gate:
    """A verdict rule an average cannot overrule (`gates:` in the file)."""

    id: str
    title: str
    #: unit ids the gate counts (all the rubric's units for «units: all»), or None
    units: tuple[str, ...] | None
    #: criterion ids the gate counts, or None
    criteria: tuple[str, ...] | None
    #: a unit score (0–100) or a criterion fraction (0–1) each counted item must reach
    min: float
    #: met when at least this many counted items reach `min`; None: every counted item
    count: int | None = None
    #: not met: overall = min(overall, cap)
    cap: float | None = None
    #: not met: overall × factor
    factor: float | None = None
    line: int = 0


@dataclass(frozen=True)
class Criterion:
    id: str
    unit_id: str
    title: str
    type: str
    #: weight per tier id, for every tier the criterion applies to
    weight: Mapping[str, float]
    #: target per tier id (number/percent only); may also hold tiers it does not apply to
    target: Mapping[str, float] | None = None
    #: the value that scores 0, per tier id (number/percent only, optional)
    floor: Mapping[str, float] | None = None
    better: str = "higher"
    scale: Scale | None = None
    #: tier ids this criterion takes part in (already intersected with its unit's)
    applies_to: frozenset[str] = frozenset()
    allow_na: bool = False
    evidence: str = ""
    guidance: str = ""
    unit_label: str = ""
    #: a note is required when the answer's fraction is below this (0–1), None for never
    note_required_below: float | None = None
    #: 1-based line of the criterion in the rubric file, for messages
    line: int = 0
    description: str = ""
    #: step points per tier id (number/percent), instead of target and floor
    brackets: Mapping[str, tuple[Bracket, ...]] | None = None
    #: "min" (a value from the bound up earns the step) or "max" (lower is better)
    bracket_kind: str = "min"
    #: what the inspector counts, when the value is computed by `formula`
    inputs: tuple[Input, ...] = ()
    formula: Formula | None = None
    #: checklist items and the points that earn the whole weight
    items: tuple[ChecklistItem, ...] = ()
    full_at: float | None = None
    #: observed at several sites
    samples: Sampling | None = None
    #: bounds of a typed value (number/percent), None for no bound
    minimum: float | None = None
    maximum: float | None = None
    #: the municipality declares its value before the visit (self-declaration); the
    #: inspector verifies it, and only the verified value is scored
    declared: bool = False

    @property
    def kind(self) -> CriterionType:
        """The object that knows everything about this criterion's type."""
        return type_of(self.type)

    def applies(self, tier_id: str) -> bool:
        return tier_id in self.applies_to

    def weight_for(self, tier_id: str) -> float:
        return self.weight[tier_id]

    def target_for(self, tier_id: str) -> float | None:
        return None if self.target is None else self.target.get(tier_id)

    def floor_for(self, tier_id: str) -> float | None:
        return None if self.floor is None else self.floor.get(tier_id)

    def brackets_for(self, tier_id: str) -> tuple[Bracket, ...] | None:
        return None if self.brackets is None else self.brackets.get(tier_id)

    @property
    def computed(self) -> bool:
        return self.formula is not None

    def item(self, key: str) -> ChecklistItem | None:
        return next((item for item in self.items if item.key == key), None)


@dataclass(frozen=True)
class Unit:
    id: str
    title: str
    weight: Mapping[str, float]
    criteria: tuple[Criterion, ...]
    applies_to: frozenset[str] = frozenset()
    description: str = ""
    line: int = 0
    #: the unit's own limit of N/A weight, replacing the rubric's; None: the rubric's
    na_limit: float | None = None
    #: the minutes an inspector on site usually needs for the unit; None: not said. Only
    #: the paradata flags read it (far less active time than this), never the scores
    expected_minutes: float | None = None
    #: every criterion of the unit is declared by the municipality (unless it says otherwise)
    declared: bool = False

    @property
    def declared_criteria(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.declared)

    def applies(self, tier_id: str) -> bool:
        return tier_id in self.applies_to

    def weight_for(self, tier_id: str) -> float:
        return self.weight[tier_id]


@dataclass(frozen=True)
class Example:
    """A worked example an author keeps in the rubric; `rubric check` scores it."""

    name: str
    municipality: Mapping[str, object]
    answers: Mapping[str, object]
    expect_score: float | None = None
    expect_band: str | None = None
    line: int = 0
    #: where the expectation is written (mismatches are reported there), else `line`
    expect_line: int = 0


@dataclass(frozen=True)
class Rubric:
    id: str
    version: str
    title: str
    tiers: tuple[Tier, ...]
    #: sorted by min, highest first
    bands: tuple[Band, ...]
    units: tuple[Unit, ...]
    reference_tier: str
    na_limit: float = DEFAULT_NA_LIMIT
    scales: Mapping[str, Scale] = field(default_factory=dict)
    description: str = ""
    examples: tuple[Example, ...] = ()
    gates: tuple[Gate, ...] = ()

    def tier(self, tier_id: str) -> Tier | None:
        for tier in self.tiers:
            if tier.id == tier_id:
                return tier
        return None

    def tier_for(self, grade: int | None, population: int | None) -> Tier | None:
        """The first tier, in file order, whose conditions all hold."""
        for tier in self.tiers:
            if tier.matches(grade, population):
                return tier
        return None

    def band_for(self, score: float | None) -> str | None:
        if score is None:
            return None
        for band in self.bands:
            if band.min <= score:
                return band.label
        return None

    def criteria(self) -> Iterator[Criterion]:
        for unit in self.units:
            yield from unit.criteria

    def criterion(self, criterion_id: str) -> Criterion | None:
        index = self.__dict__.get("_criteria_by_id")
        if index is None:  # built once: a save looks up every answer's criterion
            index = {}
            for criterion in self.criteria():
                index.setdefault(criterion.id, criterion)
            object.__setattr__(self, "_criteria_by_id", index)
        return index.get(criterion_id)

    def unit(self, unit_id: str) -> Unit | None:
        for unit in self.units:
            if unit.id == unit_id:
                return unit
        return None

    def declared(self, tier_id: str | None = None) -> list[Criterion]:
        """The criteria the municipality declares (those that apply to `tier_id`, if given)."""
        return [c for c in self.criteria()
                if c.declared and (tier_id is None or c.applies(tier_id))]
