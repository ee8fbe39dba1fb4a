"""The scoring rules of ``specs/rubric-format.md``, as pure functions over the rubric dataclasses.

No Flask, no database: ``score(rubric, tier_id, answers, profile)`` takes anything with the
attributes ``value``, ``na`` (and optionally ``na_reason``, ``inputs``, ``items``, ``samples``) per
criterion id, and the municipality's profile for computed criteria, and returns a
:class:`ScoreCard`. What a criterion's answer is worth is its type's business
(:mod:`app.rubric.types`); this module adds up the fractions, applies N/A limits and gates.

The adjusted score holds a municipality to its own tier's targets (the official score); the raw
score repeats the computation with the reference tier's targets and floors, keeping the tier's
weights and applicability, so a reader sees what "given the resources available" changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from app.rubric.formula import profile_values
from app.rubric.model import Criterion, Gate, Rubric

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


# --- fractions: each criterion type knows its own (app.rubric.types) ----------------------------

def criterion_fraction(criterion: Criterion, value, target_tier: str,
                       own_tier: str | None = None) -> float:
    """Fraction in [0, 1] of one typed `value` against the targets of `target_tier`.

    When the criterion has no target for `target_tier` (a criterion that does not apply to the
    reference tier), the targets of `own_tier` are used.
    """
    return criterion.kind.value_fraction(criterion, value, target_tier, own_tier)


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
    #: what the type shows beside the value: inputs and profile values, sites, ticked points
    details: Mapping = field(default_factory=dict)


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
class GateResult:
    id: str
    title: str
    met: bool
    raw_met: bool
    #: the items the gate counted, and how many reached its min (adjusted)
    counted: int = 0
    reached: int = 0
    #: the effect when not met: ("cap", 59.9) or ("factor", 0.67)
    effect: tuple[str, float] = ("cap", 100.0)


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
    gates: tuple[GateResult, ...] = ()
    #: the overall scores before any gate (rounded)
    ungated: float | None = None
    raw_ungated: float | None = None

    @property
    def gated(self) -> bool:
        """True when an unmet gate changed the adjusted score."""
        return self.ungated != self.score

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
                        "raw_band": self.raw_band, "ungated": self.ungated,
                        "raw_ungated": self.raw_ungated},
            "gates": [{"id": g.id, "met": g.met, "raw_met": g.raw_met} for g in self.gates],
            "units": [
                {"id": u.id, "score": u.score, "raw": u.raw, "band": u.band,
                 "raw_band": u.raw_band, "weight": _plain(u.weight),
                 "evaluated": u.evaluated, "applicable": u.applicable,
                 "na_share": round(u.na_share, 4), "reason": u.reason}
                for u in self.units
            ],
            "criteria": [_criterion_dict(c) for c in self.criteria],
        }


def _criterion_dict(c: CriterionScore) -> dict:
    result = {"id": c.id, "unit": c.unit_id, "applicable": c.applicable,
              "answered": c.answered, "na": c.na, "value": _json_value(c.value),
              "fraction": _round4(c.fraction), "raw_fraction": _round4(c.raw_fraction),
              "max_points": _plain(c.max_points), "points": _round4(c.points),
              "raw_points": _round4(c.raw_points), "note_required": c.note_required}
    details = c.details
    if "inputs" in details:
        result["inputs"] = {k: _plain(v) for k, v in details["inputs"].items()}
        result["profile"] = {k: _plain(v) for k, v in details["profile"].items()}
    if "samples" in details:
        result["samples"] = [{"site": row["site"], "value": _json_value(row["value"]),
                              "fraction": _round4(row["fraction"]),
                              "raw_fraction": _round4(row["raw_fraction"])}
                             for row in details["samples"]]
    if "ticked_points" in details:
        result["ticked_points"] = _plain(details["ticked_points"])
    return result


def _json_value(value):
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, tuple):
        return list(value)
    return _plain(value)


def _round4(value: float | None) -> float | None:
    return None if value is None else round_half_up(value, 4)


def _plain(value: float | None) -> float | int | None:
    """Whole numbers as int in JSON (weight 14, not 14.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --- the computation -------------------------------------------------------------------------

def score(rubric: Rubric, tier_id: str, answers: Mapping[str, AnswerLike],
          profile: Mapping[str, object] | None = None, *,
          known: Mapping[str, CriterionScore] | None = None) -> ScoreCard:
    """Score `answers` (criterion id → answer) for a municipality in tier `tier_id`.

    `profile` is the municipality's profile (population, grade, budget, staff, area — as
    formula names or as stored on a municipality); computed criteria read it.

    `known` is the incremental path: criterion id → the :class:`CriterionScore` an earlier
    card of the same rubric, tier and profile gave an answer that has not changed since.
    Those criteria are not measured again (their answers need not be in `answers`); every
    unit, gate and overall figure is added up again from all the criteria, exactly as the
    full computation does, so the card is the same as scoring every answer anew."""
    if rubric.tier(tier_id) is None:
        raise ValueError(f"unknown tier {tier_id!r} for rubric {rubric.id!r}")
    reference = rubric.reference_tier
    values = profile_values(profile)
    known = known or {}
    criteria_scores: list[CriterionScore] = []
    for unit in rubric.units:
        unit_applies = unit.applies(tier_id)
        for criterion in unit.criteria:
            found = known.get(criterion.id)
            if found is None:
                found = score_criterion(criterion, unit.id, unit_applies, tier_id, reference,
                                        answers.get(criterion.id), values)
            criteria_scores.append(found)
    return assemble(rubric, tier_id, criteria_scores)


def score_criterion(criterion: Criterion, unit_id: str, unit_applies: bool, tier_id: str,
                    reference: str, answer: AnswerLike | None,
                    values: Mapping[str, float]) -> CriterionScore:
    """One criterion's answer scored for tier `tier_id` (raw: for `reference`); a pure
    function of its arguments (what an incremental rescore may keep while they hold)."""
    if not (unit_applies and criterion.applies(tier_id)):
        return CriterionScore(criterion.id, unit_id, applicable=False)
    weight = criterion.weight_for(tier_id)
    if answer is not None and answer.na:
        return CriterionScore(criterion.id, unit_id, applicable=True, na=True,
                              na_reason=getattr(answer, "na_reason", ""), max_points=weight)
    measure = None if answer is None else criterion.kind.measure(
        criterion, answer, tier_id, reference, values)
    if measure is None:
        return CriterionScore(criterion.id, unit_id, applicable=True, max_points=weight)
    fraction, raw_fraction = measure.fraction, measure.raw_fraction
    return CriterionScore(
        criterion.id, unit_id, applicable=True, answered=True, value=measure.value,
        fraction=fraction, raw_fraction=raw_fraction, max_points=weight,
        points=weight * fraction, raw_points=weight * raw_fraction,
        note_required=needs_note(criterion, fraction), details=measure.details)


def assemble(rubric: Rubric, tier_id: str,
             criteria_scores: list[CriterionScore]) -> ScoreCard:
    """The score card from every criterion's score, in the rubric's order: units (N/A
    limits), the overall scores, the gates."""
    unit_scores: list[UnitScore] = []
    missing: list[str] = []
    position = 0
    for unit in rubric.units:
        unit_applies = unit.applies(tier_id)
        applicable_weight = na_weight = answered_weight = 0.0
        earned = raw_earned = 0.0
        answered_count = applicable_count = 0
        for scored in criteria_scores[position:position + len(unit.criteria)]:
            if not scored.applicable:
                continue
            weight = scored.max_points
            applicable_count += 1
            applicable_weight += weight
            if scored.na:
                na_weight += weight
                answered_count += 1
            elif not scored.answered:
                missing.append(scored.id)
            else:
                answered_count += 1
                answered_weight += weight
                earned += scored.points
                raw_earned += scored.raw_points
        position += len(unit.criteria)

        if not unit_applies or applicable_count == 0:
            unit_scores.append(UnitScore(unit.id, applicable=False, weight=None, evaluated=False,
                                         reason="not_applicable"))
            continue
        na_share = na_weight / applicable_weight
        na_limit = unit.na_limit if unit.na_limit is not None else rubric.na_limit
        common = dict(applicable=True, weight=unit.weight_for(tier_id), na_share=na_share,
                      answered=answered_count, applicable_criteria=applicable_count)
        if na_share > na_limit + _EPSILON:
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
        overall = sum(u.weight * u.exact_score for u in evaluated) / total_weight
        overall_raw = sum(u.weight * u.exact_raw for u in evaluated) / total_weight

    by_unit = {u.id: u for u in unit_scores}
    by_criterion = {c.id: c for c in criteria_scores}
    gates = tuple(_judge(gate, by_unit, by_criterion) for gate in rubric.gates)
    ungated, raw_ungated = overall, overall_raw
    for gate, result in zip(rubric.gates, gates, strict=True):
        if not result.met:
            overall = _apply(gate, overall)
        if not result.raw_met:
            overall_raw = _apply(gate, overall_raw)
    overall, overall_raw = round_half_up(overall), round_half_up(overall_raw)

    return ScoreCard(
        rubric_id=rubric.id, rubric_version=rubric.version, tier_id=tier_id,
        complete=not missing, missing=tuple(missing),
        score=overall, raw=overall_raw,
        band=rubric.band_for(overall), raw_band=rubric.band_for(overall_raw),
        units=tuple(unit_scores), criteria=tuple(criteria_scores), gates=gates,
        ungated=round_half_up(ungated), raw_ungated=round_half_up(raw_ungated))


def _judge(gate: Gate, units: Mapping[str, UnitScore],
           criteria: Mapping[str, CriterionScore]) -> GateResult:
    """Whether `gate` is met, on the adjusted and on the raw figures (unrounded)."""
    if gate.units is not None:
        counted = [units[uid] for uid in gate.units if uid in units and units[uid].applicable]
        adjusted = [u.evaluated and u.exact_score >= gate.min - _EPSILON for u in counted]
        raw = [u.evaluated and u.exact_raw >= gate.min - _EPSILON for u in counted]
    else:
        counted = [criteria[cid] for cid in gate.criteria
                   if cid in criteria and criteria[cid].applicable and not criteria[cid].na]
        adjusted = [c.fraction is not None and c.fraction >= gate.min - _EPSILON
                    for c in counted]
        raw = [c.raw_fraction is not None and c.raw_fraction >= gate.min - _EPSILON
               for c in counted]

    def met(reached: list[bool]) -> bool:
        if gate.count is None:
            return all(reached)
        return sum(reached) >= gate.count

    effect = ("cap", gate.cap) if gate.cap is not None else ("factor", gate.factor)
    return GateResult(gate.id, gate.title, met(adjusted), met(raw), len(counted),
                      sum(adjusted), effect)


def _apply(gate: Gate, value: float | None) -> float | None:
    if value is None:
        return None
    if gate.cap is not None:
        return min(value, gate.cap)
    return value * gate.factor
