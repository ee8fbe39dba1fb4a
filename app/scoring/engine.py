"""The scoring rules of ``specs/rubric-format.md``, as pure functions over the rubric dataclasses.

No Flask, no database: ``score(rubric, tier_id, answers)`` takes anything with the attributes
``value``, ``na`` (and optionally ``na_reason``) per criterion id and returns a :class:`ScoreCard`.

The adjusted score holds a municipality to its own tier's targets (the official score); the raw
score repeats the computation with the reference tier's targets and floors, keeping the tier's
weights and applicability, so a reader sees what "given the resources available" changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from app.rubric.model import Criterion, Rubric

# a unit's N/A share may reach na_limit exactly; float noise must not tip it over
_EPSILON = 1e-9


class AnswerLike(Protocol):
    value: float | bool | None
    na: bool


def round_half_up(value: float | None, decimals: int = 1) -> float | None:
    """Half-up rounding of the shortest decimal form of `value` (72.45 → 72.5)."""
    if value is None:
        return None
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


# --- fractions: one function per criterion type ------------------------------------------------

def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def scale_fraction(criterion: Criterion, value: float, target: float | None,
                   floor: float | None) -> float:
    scale = criterion.scale
    assert scale is not None
    span = scale.highest - scale.lowest
    return _clamp((value - scale.lowest) / span) if span else 1.0


def yesno_fraction(criterion: Criterion, value: float | bool, target: float | None,
                   floor: float | None) -> float:
    return 1.0 if value else 0.0


def measured_fraction(criterion: Criterion, value: float, target: float | None,
                      floor: float | None) -> float:
    """number and percent: linear towards the target, higher or lower being better."""
    assert target is not None
    if criterion.better == "lower":
        if floor is not None:
            return _clamp((floor - value) / (floor - target))
        if value <= target:
            return 1.0
        return _clamp(target / value)
    if floor is not None:
        return _clamp((value - floor) / (target - floor))
    if target <= 0:
        return 1.0 if value >= target else 0.0
    return _clamp(value / target)


FRACTION_BY_TYPE: dict[str, Callable[[Criterion, float, float | None, float | None], float]] = {
    "scale": scale_fraction,
    "yesno": yesno_fraction,
    "number": measured_fraction,
    "percent": measured_fraction,
}


def criterion_fraction(criterion: Criterion, value: float | bool, target_tier: str,
                       own_tier: str | None = None) -> float:
    """Fraction in [0, 1] of `value` against the targets and floor of `target_tier`.

    When the criterion has no target for `target_tier` (a criterion that does not apply to the
    reference tier), the targets of `own_tier` are used.
    """
    target = criterion.target_for(target_tier)
    floor = criterion.floor_for(target_tier)
    if target is None and own_tier is not None and criterion.target is not None:
        target, floor = criterion.target_for(own_tier), criterion.floor_for(own_tier)
    return FRACTION_BY_TYPE[criterion.type](criterion, value, target, floor)


def needs_note(criterion: Criterion, fraction: float | None) -> bool:
    """True when the rubric asks for a note on an answer this weak."""
    threshold = criterion.note_required_below
    return threshold is not None and fraction is not None and fraction < threshold - _EPSILON


# --- the score card --------------------------------------------------------------------------

@dataclass(frozen=True)
class CriterionScore:
    id: str
    unit_id: str
    applicable: bool
    answered: bool = False
    na: bool = False
    na_reason: str = ""
    value: float | bool | None = None
    fraction: float | None = None
    raw_fraction: float | None = None
    #: w in tier T (سقف امتیاز); None when not applicable
    max_points: float | None = None
    #: w·f (امتیاز مکتسبه); None when unanswered, N/A or not applicable
    points: float | None = None
    raw_points: float | None = None
    note_required: bool = False


@dataclass(frozen=True)
class UnitScore:
    id: str
    applicable: bool
    weight: float | None
    #: False when not applicable, when N/A exceeds the rubric's na_limit, or nothing is answered
    evaluated: bool
    score: float | None = None
    raw: float | None = None
    band: str | None = None
    raw_band: str | None = None
    #: share of the unit's applicable weight marked N/A (0–1)
    na_share: float = 0.0
    #: "na_limit" | "unanswered" | "not_applicable" | None
    reason: str | None = None
    answered: int = 0
    applicable_criteria: int = 0
    exact_score: float | None = field(default=None, repr=False)
    exact_raw: float | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ScoreCard:
    rubric_id: str
    rubric_version: str
    tier_id: str
    complete: bool
    missing: tuple[str, ...]
    score: float | None
    raw: float | None
    band: str | None
    raw_band: str | None
    units: tuple[UnitScore, ...]
    criteria: tuple[CriterionScore, ...]

    def unit(self, unit_id: str) -> UnitScore | None:
        return next((u for u in self.units if u.id == unit_id), None)

    def criterion(self, criterion_id: str) -> CriterionScore | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)

    @property
    def answered(self) -> int:
        return sum(1 for c in self.criteria if c.applicable and (c.answered or c.na))

    @property
    def applicable(self) -> int:
        return sum(1 for c in self.criteria if c.applicable)

    def to_dict(self) -> dict:
        """The JSON shape of the CLI contract (``arzyab score --json``)."""
        return {
            "rubric": {"id": self.rubric_id, "version": self.rubric_version},
            "tier": self.tier_id,
            "complete": self.complete,
            "missing": list(self.missing),
            "overall": {"score": self.score, "raw": self.raw, "band": self.band,
                        "raw_band": self.raw_band},
            "units": [
                {"id": u.id, "score": u.score, "raw": u.raw, "band": u.band,
                 "raw_band": u.raw_band, "weight": _plain(u.weight),
                 "evaluated": u.evaluated, "applicable": u.applicable,
                 "na_share": round(u.na_share, 4), "reason": u.reason}
                for u in self.units
            ],
            "criteria": [
                {"id": c.id, "unit": c.unit_id, "applicable": c.applicable,
                 "answered": c.answered, "na": c.na,
                 "value": _plain(c.value) if not isinstance(c.value, bool) else c.value,
                 "fraction": _round4(c.fraction), "raw_fraction": _round4(c.raw_fraction),
                 "max_points": _plain(c.max_points), "points": _round4(c.points),
                 "raw_points": _round4(c.raw_points), "note_required": c.note_required}
                for c in self.criteria
            ],
        }


def _round4(value: float | None) -> float | None:
    return None if value is None else round_half_up(value, 4)


def _plain(value: float | None) -> float | int | None:
    """Whole numbers as int in JSON (weight 14, not 14.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --- the computation -------------------------------------------------------------------------

def score(rubric: Rubric, tier_id: str, answers: Mapping[str, AnswerLike]) -> ScoreCard:
    """Score `answers` (criterion id → answer) for a municipality in tier `tier_id`."""
    if rubric.tier(tier_id) is None:
        raise ValueError(f"unknown tier {tier_id!r} for rubric {rubric.id!r}")
    reference = rubric.reference_tier
    criteria_scores: list[CriterionScore] = []
    unit_scores: list[UnitScore] = []
    missing: list[str] = []

    for unit in rubric.units:
        unit_applies = unit.applies(tier_id)
        applicable_weight = na_weight = answered_weight = 0.0
        earned = raw_earned = 0.0
        answered_count = applicable_count = 0
        for criterion in unit.criteria:
            if not (unit_applies and criterion.applies(tier_id)):
                criteria_scores.append(CriterionScore(criterion.id, unit.id, applicable=False))
                continue
            applicable_count += 1
            weight = criterion.weight_for(tier_id)
            applicable_weight += weight
            answer = answers.get(criterion.id)
            if answer is not None and answer.na:
                na_weight += weight
                answered_count += 1
                criteria_scores.append(CriterionScore(
                    criterion.id, unit.id, applicable=True, na=True,
                    na_reason=getattr(answer, "na_reason", ""), max_points=weight))
                continue
            if answer is None or answer.value is None:
                missing.append(criterion.id)
                criteria_scores.append(CriterionScore(
                    criterion.id, unit.id, applicable=True, max_points=weight))
                continue
            fraction = criterion_fraction(criterion, answer.value, tier_id)
            raw_fraction = criterion_fraction(criterion, answer.value, reference, tier_id)
            answered_count += 1
            answered_weight += weight
            earned += weight * fraction
            raw_earned += weight * raw_fraction
            criteria_scores.append(CriterionScore(
                criterion.id, unit.id, applicable=True, answered=True, value=answer.value,
                fraction=fraction, raw_fraction=raw_fraction, max_points=weight,
                points=weight * fraction, raw_points=weight * raw_fraction,
                note_required=needs_note(criterion, fraction)))

        if not unit_applies or applicable_count == 0:
            unit_scores.append(UnitScore(unit.id, applicable=False, weight=None, evaluated=False,
                                         reason="not_applicable"))
            continue
        na_share = na_weight / applicable_weight
        common = dict(applicable=True, weight=unit.weight_for(tier_id), na_share=na_share,
                      answered=answered_count, applicable_criteria=applicable_count)
        if na_share > rubric.na_limit + _EPSILON:
            unit_scores.append(UnitScore(unit.id, evaluated=False, reason="na_limit", **common))
        elif answered_weight == 0:
            unit_scores.append(UnitScore(unit.id, evaluated=False, reason="unanswered", **common))
        else:
            exact = 100 * earned / answered_weight
            exact_raw = 100 * raw_earned / answered_weight
            shown, shown_raw = round_half_up(exact), round_half_up(exact_raw)
            unit_scores.append(UnitScore(
                unit.id, evaluated=True, score=shown, raw=shown_raw,
                band=rubric.band_for(shown), raw_band=rubric.band_for(shown_raw),
                exact_score=exact, exact_raw=exact_raw, **common))

    evaluated = [u for u in unit_scores if u.evaluated]
    total_weight = sum(u.weight for u in evaluated)
    overall = overall_raw = None
    if total_weight > 0:
        overall = round_half_up(sum(u.weight * u.exact_score for u in evaluated) / total_weight)
        overall_raw = round_half_up(sum(u.weight * u.exact_raw for u in evaluated) / total_weight)

    return ScoreCard(
        rubric_id=rubric.id, rubric_version=rubric.version, tier_id=tier_id,
        complete=not missing, missing=tuple(missing),
        score=overall, raw=overall_raw,
        band=rubric.band_for(overall), raw_band=rubric.band_for(overall_raw),
        units=tuple(unit_scores), criteria=tuple(criteria_scores))
