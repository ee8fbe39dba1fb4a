"""What changed between two versions of a rubric, in sentences an office worker reads.

:func:`diff_rubrics` compares two :class:`~app.rubric.Rubric` objects and returns a list of
:class:`Change` records, in the order of the new file (the rubric's own settings, tiers, bands,
scales, then unit by unit with each unit's criteria). A record holds plain values only; it is
put into words when shown, by :func:`describe` in Persian (default) or English, so the same
diff can be printed on the command line and shown on the authors' page.

Pure: no Flask, no database. Criteria are matched by id across the whole rubric (ids are unique
in a rubric), so a criterion moved to another unit is reported as moved, not removed and added.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from app.i18n import N_, digits, format_percent, list_separator, translator
from app.rubric.model import Criterion, Gate, Rubric, Sampling, Scale, Unit
from app.rubric.types.base import CriterionType

# --- the records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One difference. `kind` names it ("criterion.weight"); `subject` is the id of the thing
    changed ("" for the rubric itself); `params` holds the values the sentence needs."""

    kind: str
    subject: str = ""
    params: Mapping[str, object] = field(default_factory=dict)

    @property
    def affects_scores(self) -> bool:
        """True when the change can move a score (not only the wording of the form)."""
        return self.kind in SCORING_KINDS

    def describe(self, lang: str = "fa") -> str:
        return describe(self, lang)


# Values in `params` that are rendered specially (the rest are shown as they are).

class Num(float):
    """A number: shown without a useless «.0», with Persian digits in Persian."""


class Percent(Num):
    """A percentage (0–100), shown with its sign."""


class Code(str):
    """A criterion id or version label: Persian digits in Persian, as the forms show it."""


class Words(str):
    """A fixed phrase (a message id), translated when shown."""


@dataclass(frozen=True)
class Tiers:
    """Tier ids, in the rubric's order; `every` when they are all the tiers concerned."""

    ids: tuple[str, ...]
    every: bool = False


@dataclass(frozen=True)
class Ref:
    """A unit or criterion named in a sentence: its id and title."""

    kind: str
    id: str
    title: str


@dataclass(frozen=True)
class Range:
    """A tier's [from, to] range of grades or population; None: no condition."""

    low: float | None
    high: float | None
    present: bool = True


@dataclass(frozen=True)
class Levels:
    """A scale's levels as (value, label) pairs, lowest first."""

    levels: tuple[tuple[float, str], ...]


class Formula(str):
    """A formula as the author wrote it: shown as written, in «…»."""


@dataclass(frozen=True)
class Steps:
    """A tier's brackets (step points): `kind` "min" or "max", the steps by bound."""

    kind: str
    steps: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Rule:
    """How a criterion observed at several sites combines them."""

    min: int
    aggregate: str


@dataclass(frozen=True)
class GateRule:
    """What a gate counts, the bar, and what happens when it is not met, for a sentence."""

    units: tuple[str, ...] | None
    every_unit: bool
    criteria: tuple[str, ...] | None
    min: float
    count: int | None
    cap: float | None
    factor: float | None


@dataclass(frozen=True)
class Inherited:
    """A unit that takes the rubric's N/A limit (shown with that limit's value)."""

    value: float


# --- the sentences ----------------------------------------------------------------------------

MESSAGES: dict[str, str] = {
    "rubric.id": N_("The rubric's id changed from «%(old)s» to «%(new)s»; this makes it a "
                    "different rubric, not a new version."),
    "rubric.title": N_("The rubric's title changed from «%(old)s» to «%(new)s»."),
    "rubric.version": N_("The version label changed from %(old)s to %(new)s."),
    "rubric.reference_tier": N_("The reference tier, whose targets give the raw score, "
                                "changed from %(old)s to %(new)s."),
    "rubric.na_limit": N_("The N/A limit (the largest share of a unit's weight that may be "
                          "marked not applicable) changed from %(old)s to %(new)s."),
    "tier.added": N_("Tier %(id)s «%(title)s» was added."),
    "tier.removed": N_("Tier %(id)s «%(title)s» was removed."),
    "tier.title": N_("The title of tier %(id)s changed from «%(old)s» to «%(new)s»."),
    "tier.grades": N_("Tier %(id)s now covers grades %(new)s instead of %(old)s."),
    "tier.population": N_("Tier %(id)s now covers populations %(new)s instead of %(old)s."),
    "tier.order": N_("The order of the tiers changed from %(old)s to %(new)s; a municipality "
                     "gets the first tier that matches it."),
    "band.added": N_("A band «%(label)s» starting at %(new)s was added."),
    "band.removed": N_("The band «%(label)s», which started at %(old)s, was removed."),
    "band.min": N_("The band «%(label)s» now starts at %(new)s instead of %(old)s."),
    "band.label": N_("The band starting at %(min)s is now called «%(new)s» instead of "
                     "«%(old)s»."),
    "scale.added": N_("The scale «%(id)s» was added, with the levels %(new)s."),
    "scale.removed": N_("The scale «%(id)s» was removed."),
    "scale.levels": N_("The levels of the scale «%(id)s» changed from %(old)s to %(new)s."),
    "unit.added": N_("The unit %(what)s was added."),
    "unit.removed": N_("The unit %(what)s was removed."),
    "unit.title": N_("The title of the unit «%(id)s» changed from «%(old)s» to «%(new)s»."),
    "unit.description": N_("The description of the unit %(what)s changed."),
    "unit.weight": N_("The weight of the unit %(what)s in %(tiers)s changed from %(old)s to "
                      "%(new)s."),
    "unit.applies_to": N_("The unit %(what)s now applies to %(new)s instead of %(old)s."),
    "criterion.added": N_("The criterion %(what)s was added to the unit %(unit)s."),
    "criterion.removed": N_("The criterion %(what)s was removed from the unit %(unit)s."),
    "criterion.unit": N_("The criterion %(what)s moved from the unit %(old)s to the unit "
                         "%(new)s."),
    "criterion.title": N_("The title of the criterion %(id)s changed from «%(old)s» to "
                          "«%(new)s»."),
    "criterion.type": N_("The answer type of the criterion %(what)s changed from %(old)s to "
                         "%(new)s."),
    "criterion.weight": N_("The weight of the criterion %(what)s in %(tiers)s changed from "
                           "%(old)s to %(new)s."),
    "criterion.target": N_("The target of the criterion %(what)s in %(tiers)s changed from "
                           "%(old)s to %(new)s."),
    "criterion.floor": N_("The floor (the value that scores zero) of the criterion %(what)s in "
                          "%(tiers)s changed from %(old)s to %(new)s."),
    "criterion.better": N_("For the criterion %(what)s, %(new)s now; before, %(old)s."),
    "criterion.applies_to": N_("The criterion %(what)s now applies to %(new)s instead of "
                               "%(old)s."),
    "criterion.allow_na.on": N_("Inspectors may now mark the criterion %(what)s as not "
                                "applicable (N/A)."),
    "criterion.allow_na.off": N_("Inspectors may no longer mark the criterion %(what)s as not "
                                 "applicable (N/A)."),
    "criterion.scale": N_("The criterion %(what)s now uses the scale «%(new)s» instead of "
                          "«%(old)s»."),
    "criterion.levels": N_("The answer levels of the criterion %(what)s changed from %(old)s "
                           "to %(new)s."),
    "criterion.unit_label": N_("The unit of measure of the criterion %(what)s changed from "
                               "%(old)s to %(new)s."),
    "criterion.note_required_below": N_("The criterion %(what)s asks for a note when it earns "
                                        "less than %(new)s of its points, instead of %(old)s."),
    "criterion.guidance": N_("The guidance for inspectors on the criterion %(what)s changed."),
    "criterion.declared.on": N_("The municipality now declares the criterion %(what)s itself "
                                "before the visit; the inspector verifies it."),
    "criterion.declared.off": N_("The municipality no longer declares the criterion %(what)s "
                                 "itself."),
    "criterion.evidence": N_("The evidence listed for the criterion %(what)s changed."),
    "criterion.description": N_("The description of the criterion %(what)s changed."),
    "criterion.brackets": N_("The brackets (step points) of the criterion %(what)s in "
                             "%(tiers)s changed from %(old)s to %(new)s."),
    "criterion.formula": N_("The formula of the criterion %(what)s changed from %(old)s to "
                            "%(new)s."),
    "criterion.formula.added": N_("The criterion %(what)s is now computed by the formula "
                                  "%(new)s instead of being typed by the inspector."),
    "criterion.formula.removed": N_("The criterion %(what)s is no longer computed (it was "
                                    "%(old)s); the inspector types its value."),
    "criterion.input.added": N_("The criterion %(what)s now asks for the input «%(name)s» "
                                "(%(title)s)."),
    "criterion.input.removed": N_("The criterion %(what)s no longer asks for the input "
                                  "«%(name)s» (%(title)s)."),
    "criterion.input.title": N_("The input «%(name)s» of the criterion %(what)s is now asked "
                                "as %(new)s instead of %(old)s."),
    "criterion.item.added": N_("The item «%(key)s» (%(title)s, %(points)s points) was added "
                               "to the checklist of the criterion %(what)s."),
    "criterion.item.removed": N_("The item «%(key)s» (%(title)s) was removed from the "
                                 "checklist of the criterion %(what)s."),
    "criterion.item.points": N_("The item «%(key)s» of the checklist of the criterion "
                                "%(what)s is now worth %(new)s points instead of %(old)s."),
    "criterion.item.title": N_("The item «%(key)s» of the checklist of the criterion "
                               "%(what)s now reads «%(new)s» instead of «%(old)s»."),
    "criterion.full_at": N_("The checklist of the criterion %(what)s now earns its whole "
                            "weight at %(new)s points instead of %(old)s."),
    "criterion.samples": N_("The sites rule of the criterion %(what)s changed from %(old)s to "
                            "%(new)s."),
    "criterion.samples.added": N_("The criterion %(what)s is now observed at several sites: "
                                  "%(new)s."),
    "criterion.samples.removed": N_("The criterion %(what)s is no longer observed at several "
                                    "sites (it was %(old)s); the inspector gives one value."),
    "criterion.minimum": N_("The lowest value an inspector may give for the criterion "
                            "%(what)s changed from %(old)s to %(new)s."),
    "criterion.maximum": N_("The highest value an inspector may give for the criterion "
                            "%(what)s changed from %(old)s to %(new)s."),
    "unit.na_limit": N_("The N/A limit of the unit %(what)s changed from %(old)s to %(new)s."),
    "gate.added": N_("The gate %(what)s was added: %(new)s."),
    "gate.removed": N_("The gate %(what)s was removed (it said: %(old)s)."),
    "gate.rule": N_("The gate %(what)s changed: now %(new)s; before, %(old)s."),
    "gate.title": N_("The title of the gate «%(id)s» changed from «%(old)s» to «%(new)s»."),
    "gate.order": N_("The gates are now applied in the order %(new)s instead of %(old)s; caps "
                     "and factors are applied in this order."),
    "example.added": N_("The worked example «%(name)s» was added."),
    "example.removed": N_("The worked example «%(name)s» was removed."),
    "example.changed": N_("The worked example «%(name)s» changed."),
}

#: kinds of change that can move a score
SCORING_KINDS = frozenset({
    "rubric.reference_tier", "rubric.na_limit", "tier.added", "tier.removed", "tier.grades",
    "tier.population", "tier.order", "band.added", "band.removed", "band.min", "band.label",
    "scale.levels", "unit.added", "unit.removed", "unit.weight", "unit.applies_to",
    "criterion.added", "criterion.removed", "criterion.unit", "criterion.type",
    "criterion.weight", "criterion.target", "criterion.floor", "criterion.better",
    "criterion.applies_to", "criterion.allow_na.off", "criterion.scale", "criterion.levels",
    "criterion.brackets", "criterion.formula", "criterion.formula.added",
    "criterion.formula.removed", "criterion.input.added", "criterion.input.removed",
    "criterion.item.added", "criterion.item.removed", "criterion.item.points",
    "criterion.full_at", "criterion.samples", "criterion.samples.added",
    "criterion.samples.removed", "unit.na_limit", "gate.added", "gate.removed", "gate.rule",
    "gate.order",
})

_UNIT = N_("«%(title)s» (%(id)s)")
_CRITERION = N_("%(id)s «%(title)s»")
_GATE = N_("«%(id)s» (%(title)s)")
_GATE_UNTITLED = N_("«%(id)s»")
_ALL_TIERS = N_("every tier")
_ONE_TIER = N_("tier %(tiers)s")
_SOME_TIERS = N_("tiers %(tiers)s")
_NO_TIER = N_("no tier")
_RANGE = N_("%(low)s to %(high)s")
_RANGE_OPEN = N_("%(low)s and above")
_NO_RANGE = N_("any")
NOT_SET = N_("not set")
_STEP_FROM = N_("from %(bound)s: %(share)s")
_STEP_UP_TO = N_("up to %(bound)s: %(share)s")
_INHERITED = N_("the rubric's limit, %(value)s")
_EVERY_UNIT = N_("every unit")
#: a gate in words: (what it counts, with a count?) → template
_GATE_RULES = {
    ("units", False): N_("when any of %(items)s scores below %(min)s, %(effect)s"),
    ("units", True): N_("unless at least %(count)s of %(items)s score %(min)s or more, "
                        "%(effect)s"),
    ("criteria", False): N_("when any of %(items)s earns less than %(min)s of its points, "
                            "%(effect)s"),
    ("criteria", True): N_("unless at least %(count)s of %(items)s earn %(min)s of their "
                           "points or more, %(effect)s"),
}
_CAP = N_("the overall score is at most %(cap)s")
_FACTOR = N_("the overall score is multiplied by %(factor)s")
BETTER_NAMES = {"higher": N_("higher values are better"),
                "lower": N_("lower values are better")}


def describe(change: Change, lang: str = "fa") -> str:
    """The change as one sentence in `lang` ("fa" or "en")."""
    gettext = translator(lang).gettext
    params = {name: _show(value, gettext, lang) for name, value in change.params.items()}
    template = MESSAGES[change.kind]
    try:
        return gettext(template) % params
    except (KeyError, ValueError, TypeError):  # a broken translation must not hide the change
        return template % params


def describe_all(changes: Iterable[Change], lang: str = "fa") -> list[str]:
    return [describe(change, lang) for change in changes]


def _sep(lang: str) -> str:
    return list_separator(lang)


def _number(value: float, lang: str) -> str:
    text = f"{float(value):g}"
    return digits(text, lang)


def _show(value: object, gettext, lang: str) -> str:
    if value is None:
        return gettext(NOT_SET)
    if isinstance(value, Percent):
        return format_percent(float(value), lang, decimals=4)
    if isinstance(value, Num):
        return _number(value, lang)
    if isinstance(value, Words):
        return gettext(value)
    if isinstance(value, Code):
        return digits(value, lang)
    if isinstance(value, Tiers):
        if value.every:
            return gettext(_ALL_TIERS)
        if not value.ids:
            return gettext(_NO_TIER)
        template = _ONE_TIER if len(value.ids) == 1 else _SOME_TIERS
        return gettext(template) % {"tiers": _sep(lang).join(value.ids)}
    if isinstance(value, Range):
        if not value.present:
            return gettext(_NO_RANGE)
        low = _number(value.low or 0, lang)
        if value.high is None:
            return gettext(_RANGE_OPEN) % {"low": low}
        return gettext(_RANGE) % {"low": low, "high": _number(value.high, lang)}
    if isinstance(value, Levels):
        return "«" + _sep(lang).join(f"{_number(v, lang)}: {label}"
                                     for v, label in value.levels) + "»"
    if isinstance(value, Formula):
        return f"«{value}»"
    if isinstance(value, Steps):
        return _steps_text(value, gettext, lang)
    if isinstance(value, Rule):
        return _rule_text(value, lang)
    if isinstance(value, GateRule):
        return _gate_text(value, gettext, lang)
    if isinstance(value, Inherited):
        return gettext(_INHERITED) % {"value": _number(round(value.value, 4), lang)}
    if isinstance(value, Ref) and value.kind == "gate":
        template = _GATE if value.title else _GATE_UNTITLED
        return gettext(template) % {"id": value.id, "title": value.title}
    if isinstance(value, Ref):
        template = _UNIT if value.kind == "unit" else _CRITERION
        ident = digits(value.id, lang) if value.kind == "criterion" else value.id
        return gettext(template) % {"id": ident, "title": value.title}
    return str(value)


def _percent(fraction: float, lang: str) -> str:
    return format_percent(fraction * 100, lang, decimals=4)


def _steps_text(value: Steps, gettext, lang: str) -> str:
    template = _STEP_UP_TO if value.kind == "max" else _STEP_FROM
    ordered = sorted(value.steps, reverse=value.kind == "min")
    sep = "؛ " if lang == "fa" else "; "
    return "«" + sep.join(gettext(template) % {"bound": _number(bound, lang),
                                               "share": _percent(fraction, lang)}
                          for bound, fraction in ordered) + "»"


def _rule_text(value: Rule, lang: str) -> str:
    """The sites rule in the words the form and the report use (the type's own text)."""
    holder = _SampledStandIn(Sampling(value.min, value.aggregate))
    return CriterionType().rule_text(holder, lang)


@dataclass(frozen=True)
class _SampledStandIn:
    """Only what :meth:`CriterionType.rule_text` reads of a criterion."""

    samples: Sampling


def _gate_text(value: GateRule, gettext, lang: str) -> str:
    sep = _sep(lang)
    if value.units is not None:
        items = gettext(_EVERY_UNIT) if value.every_unit else sep.join(
            f"«{unit_id}»" for unit_id in value.units)
        bar = _number(value.min, lang)
        counted = "units"
    else:
        items = sep.join(f"«{digits(cid, lang)}»"
                         for cid in value.criteria or ())
        bar = _percent(value.min, lang)
        counted = "criteria"
    if value.cap is not None:
        effect = gettext(_CAP) % {"cap": _number(value.cap, lang)}
    else:
        effect = gettext(_FACTOR) % {"factor": _number(value.factor, lang)}
    template = _GATE_RULES[(counted, value.count is not None)]
    return gettext(template) % {"items": items, "min": bar, "effect": effect,
                                "count": _number(value.count or 0, lang)}


def _unit_ref(unit: Unit) -> Ref:
    return Ref("unit", unit.id, unit.title)


def _criterion_ref(criterion: Criterion) -> Ref:
    return Ref("criterion", criterion.id, criterion.title)


# --- the comparison ---------------------------------------------------------------------------


def diff_rubrics(old: Rubric, new: Rubric) -> list[Change]:
    """Every difference between `old` and `new` that an author or inspector would notice."""
    changes: list[Change] = []
    order = _tier_order(old, new)
    changes += _rubric_changes(old, new)
    changes += _tier_changes(old, new)
    changes += _band_changes(old, new)
    changes += _scale_changes(old, new)
    changes += _unit_changes(old, new, order)
    changes += _gate_changes(old, new)
    changes += _example_changes(old, new)
    return changes


def _tier_order(old: Rubric, new: Rubric) -> dict[str, int]:
    ids = [t.id for t in new.tiers] + [t.id for t in old.tiers if new.tier(t.id) is None]
    return {tier_id: index for index, tier_id in enumerate(ids)}


def _sorted_tiers(ids: Iterable[str], order: Mapping[str, int]) -> tuple[str, ...]:
    return tuple(sorted(ids, key=lambda t: (order.get(t, len(order)), t)))


def _rubric_changes(old: Rubric, new: Rubric) -> list[Change]:
    changes = []
    if old.id != new.id:
        changes.append(Change("rubric.id", "", {"old": old.id, "new": new.id}))
    if old.title != new.title:
        changes.append(Change("rubric.title", "", {"old": old.title, "new": new.title}))
    if old.version != new.version:
        changes.append(Change("rubric.version", "", {"old": Code(old.version),
                                                     "new": Code(new.version)}))
    if old.reference_tier != new.reference_tier:
        changes.append(Change("rubric.reference_tier", "",
                              {"old": old.reference_tier, "new": new.reference_tier}))
    if old.na_limit != new.na_limit:
        changes.append(Change("rubric.na_limit", "",
                              {"old": Num(old.na_limit), "new": Num(new.na_limit)}))
    return changes


def _range(value) -> Range:
    if value is None:
        return Range(None, None, present=False)
    low, high = value
    return Range(low, high)


def _tier_changes(old: Rubric, new: Rubric) -> list[Change]:
    changes = []
    for tier in new.tiers:
        before = old.tier(tier.id)
        if before is None:
            changes.append(Change("tier.added", tier.id, {"id": tier.id, "title": tier.title}))
            continue
        if before.title != tier.title:
            changes.append(Change("tier.title", tier.id,
                                  {"id": tier.id, "old": before.title, "new": tier.title}))
        if before.grades != tier.grades:
            changes.append(Change("tier.grades", tier.id, {
                "id": tier.id, "old": _range(before.grades), "new": _range(tier.grades)}))
        if before.population != tier.population:
            changes.append(Change("tier.population", tier.id, {
                "id": tier.id, "old": _range(before.population),
                "new": _range(tier.population)}))
    for tier in old.tiers:
        if new.tier(tier.id) is None:
            changes.append(Change("tier.removed", tier.id, {"id": tier.id, "title": tier.title}))
    kept_old = [t.id for t in old.tiers if new.tier(t.id) is not None]
    kept_new = [t.id for t in new.tiers if old.tier(t.id) is not None]
    if kept_old != kept_new:
        changes.append(Change("tier.order", "", {"old": Tiers(tuple(kept_old)),
                                                 "new": Tiers(tuple(kept_new))}))
    return changes


def _band_changes(old: Rubric, new: Rubric) -> list[Change]:
    before = {band.label: band.min for band in old.bands}
    after = {band.label: band.min for band in new.bands}
    changes = []
    for label, start in after.items():
        if label in before and before[label] != start:
            changes.append(Change("band.min", label, {"label": label, "old": Num(before[label]),
                                                      "new": Num(start)}))
    gone = {start: label for label, start in before.items() if label not in after}
    came = {start: label for label, start in after.items() if label not in before}
    for start in sorted(set(gone) & set(came), reverse=True):  # same start, new name
        changes.append(Change("band.label", came[start], {
            "min": Num(start), "old": gone.pop(start), "new": came.pop(start)}))
    for start, label in sorted(came.items(), reverse=True):
        changes.append(Change("band.added", label, {"label": label, "new": Num(start)}))
    for start, label in sorted(gone.items(), reverse=True):
        changes.append(Change("band.removed", label, {"label": label, "old": Num(start)}))
    return changes


def _levels(scale: Scale | None) -> Levels:
    if scale is None:
        return Levels(())
    return Levels(tuple((level.value, level.label) for level in scale.levels))


def _scale_changes(old: Rubric, new: Rubric) -> list[Change]:
    changes = []
    for name, scale in new.scales.items():
        before = old.scales.get(name)
        if before is None:
            changes.append(Change("scale.added", name, {"id": name, "new": _levels(scale)}))
        elif _levels(before) != _levels(scale):
            changes.append(Change("scale.levels", name, {
                "id": name, "old": _levels(before), "new": _levels(scale)}))
    for name in old.scales:
        if name not in new.scales:
            changes.append(Change("scale.removed", name, {"id": name}))
    return changes


def _unit_changes(old: Rubric, new: Rubric, order) -> list[Change]:
    changes = []
    old_criteria = {c.id: c for c in old.criteria()}
    new_criteria = {c.id: c for c in new.criteria()}
    for unit in new.units:
        before = old.unit(unit.id)
        if before is None:
            changes.append(Change("unit.added", unit.id, {"what": _unit_ref(unit)}))
        else:
            changes += _one_unit(before, unit, old, new, order)
        for criterion in unit.criteria:
            previous = old_criteria.get(criterion.id)
            if previous is None:
                changes.append(Change("criterion.added", criterion.id, {
                    "what": _criterion_ref(criterion), "unit": _unit_ref(unit)}))
                continue
            if previous.unit_id != criterion.unit_id:
                changes.append(Change("criterion.unit", criterion.id, {
                    "what": _criterion_ref(criterion),
                    "old": _unit_ref(old.unit(previous.unit_id)), "new": _unit_ref(unit)}))
            changes += _one_criterion(previous, criterion, old, new, order)
        if before is not None:  # what left this unit and the rubric, at the unit's place
            for criterion in before.criteria:
                if criterion.id not in new_criteria:
                    changes.append(Change("criterion.removed", criterion.id, {
                        "what": _criterion_ref(criterion), "unit": _unit_ref(unit)}))
    for unit in old.units:
        if new.unit(unit.id) is not None:
            continue
        changes.append(Change("unit.removed", unit.id, {"what": _unit_ref(unit)}))
        for criterion in unit.criteria:
            if criterion.id not in new_criteria:
                changes.append(Change("criterion.removed", criterion.id, {
                    "what": _criterion_ref(criterion), "unit": _unit_ref(unit)}))
    return changes


def _applies(ids: frozenset[str], rubric: Rubric, order) -> Tiers:
    every = frozenset(t.id for t in rubric.tiers)
    return Tiers(_sorted_tiers(ids, order), every=len(ids) > 1 and ids == every)


def _one_unit(before: Unit, unit: Unit, old: Rubric, new: Rubric, order) -> list[Change]:
    changes = []
    ref = _unit_ref(unit)
    if before.title != unit.title:
        changes.append(Change("unit.title", unit.id,
                              {"id": unit.id, "old": before.title, "new": unit.title}))
    if before.description != unit.description:
        changes.append(Change("unit.description", unit.id, {"what": ref}))
    if before.applies_to != unit.applies_to:
        changes.append(Change("unit.applies_to", unit.id, {
            "what": ref, "old": _applies(before.applies_to, old, order),
            "new": _applies(unit.applies_to, new, order)}))
    changes += _per_tier("unit.weight", unit.id, ref, before.weight, unit.weight,
                         before.applies_to & unit.applies_to, new, order)
    old_limit = before.na_limit if before.na_limit is not None else Inherited(old.na_limit)
    new_limit = unit.na_limit if unit.na_limit is not None else Inherited(new.na_limit)
    both_inherit = isinstance(old_limit, Inherited) and isinstance(new_limit, Inherited)
    if not both_inherit and (_limit_value(old_limit) != _limit_value(new_limit)
                             or isinstance(old_limit, Inherited)
                             != isinstance(new_limit, Inherited)):
        changes.append(Change("unit.na_limit", unit.id, {
            "what": ref, "old": _limit(old_limit), "new": _limit(new_limit)}))
    return changes


def _limit_value(limit) -> float:
    return limit.value if isinstance(limit, Inherited) else limit


def _limit(limit):
    return limit if isinstance(limit, Inherited) else Num(limit)


def _per_tier(kind: str, subject: str, ref: Ref, before: Mapping[str, object] | None,
              after: Mapping[str, object] | None, tiers: frozenset[str], new: Rubric,
              order, show=Num) -> list[Change]:
    """One change per distinct (old, new) pair over `tiers`, naming the tiers that share it
    («every tier» when they are all the rubric's tiers)."""
    every = frozenset(t.id for t in new.tiers)
    before, after = before or {}, after or {}
    groups: dict[tuple, list[str]] = {}
    for tier in _sorted_tiers(tiers, order):
        pair = (before.get(tier), after.get(tier))
        if pair[0] != pair[1]:
            groups.setdefault(pair, []).append(tier)
    changes = []
    for (old_value, new_value), ids in groups.items():
        changes.append(Change(kind, subject, {
            "what": ref, "tiers": Tiers(tuple(ids), every=len(ids) > 1 and set(ids) == every),
            "old": None if old_value is None else show(old_value),
            "new": None if new_value is None else show(new_value)}))
    return changes


def _named(scale: Scale | None, rubric: Rubric) -> str | None:
    """The scale's name when it is one of the rubric's named scales (not written inline)."""
    if scale is None:
        return None
    named = rubric.scales.get(scale.id)
    return scale.id if named is not None and named == scale else None


def _one_criterion(before: Criterion, criterion: Criterion, old: Rubric, new: Rubric,
                   order) -> list[Change]:
    changes = []
    ref = _criterion_ref(criterion)
    cid = criterion.id
    if before.title != criterion.title:
        changes.append(Change("criterion.title", cid,
                              {"id": Code(cid), "old": before.title, "new": criterion.title}))
    if before.type != criterion.type:
        changes.append(Change("criterion.type", cid, {
            "what": ref, "old": Words(before.kind.title),
            "new": Words(criterion.kind.title)}))
    if before.applies_to != criterion.applies_to:
        changes.append(Change("criterion.applies_to", cid, {
            "what": ref, "old": _applies(before.applies_to, old, order),
            "new": _applies(criterion.applies_to, new, order)}))
    both = before.applies_to & criterion.applies_to
    for key in ("weight", "target", "floor"):
        changes += _per_tier(f"criterion.{key}", cid, ref, getattr(before, key),
                             getattr(criterion, key), both, new, order)
    if before.better != criterion.better:
        changes.append(Change("criterion.better", cid, {
            "what": ref, "old": Words(BETTER_NAMES[before.better]),
            "new": Words(BETTER_NAMES[criterion.better])}))
    if before.allow_na != criterion.allow_na:
        kind = "criterion.allow_na.on" if criterion.allow_na else "criterion.allow_na.off"
        changes.append(Change(kind, cid, {"what": ref}))
    if before.declared != criterion.declared:
        kind = "criterion.declared.on" if criterion.declared else "criterion.declared.off"
        changes.append(Change(kind, cid, {"what": ref}))
    changes += _scale_change(before, criterion, old, new, ref)
    if before.unit_label != criterion.unit_label:
        changes.append(Change("criterion.unit_label", cid, {
            "what": ref, "old": before.unit_label or None, "new": criterion.unit_label or None}))
    if before.note_required_below != criterion.note_required_below:
        changes.append(Change("criterion.note_required_below", cid, {
            "what": ref, "old": _share(before.note_required_below),
            "new": _share(criterion.note_required_below)}))
    changes += _per_tier("criterion.brackets", cid, ref, _steps(before), _steps(criterion), both,
                         new, order, show=lambda steps: steps)
    changes += _formula_changes(before, criterion, ref)
    changes += _checklist_changes(before, criterion, ref)
    changes += _samples_changes(before, criterion, ref)
    for key in ("minimum", "maximum"):
        old_bound, new_bound = getattr(before, key), getattr(criterion, key)
        if old_bound != new_bound and _bounded(before) and _bounded(criterion):
            changes.append(Change(f"criterion.{key}", cid, {
                "what": ref, "old": None if old_bound is None else Num(old_bound),
                "new": None if new_bound is None else Num(new_bound)}))
    for key in ("guidance", "evidence", "description"):
        if getattr(before, key) != getattr(criterion, key):
            changes.append(Change(f"criterion.{key}", cid, {"what": ref}))
    return changes


def _bounded(criterion: Criterion) -> bool:
    """Whether the criterion's type gives typed values bounds (``min``/``max``)."""
    return "min" in criterion.kind.keys


def _steps(criterion: Criterion) -> dict[str, Steps] | None:
    if criterion.brackets is None:
        return None
    return {tier: Steps(criterion.bracket_kind, tuple((b.bound, b.fraction) for b in steps))
            for tier, steps in criterion.brackets.items()}


def _formula_changes(before: Criterion, criterion: Criterion, ref: Ref) -> list[Change]:
    cid = criterion.id
    old = Formula(before.formula.text) if before.formula is not None else None
    new = Formula(criterion.formula.text) if criterion.formula is not None else None
    changes = []
    if old is None and new is not None:
        changes.append(Change("criterion.formula.added", cid, {"what": ref, "new": new}))
    elif old is not None and new is None:
        changes.append(Change("criterion.formula.removed", cid, {"what": ref, "old": old}))
    elif old is not None and _spaceless(old) != _spaceless(new):
        changes.append(Change("criterion.formula", cid, {"what": ref, "old": old, "new": new}))
    if new is None:
        return changes  # a typed value: its former inputs went with the formula
    was = {item.name: item for item in before.inputs}
    now = {item.name: item for item in criterion.inputs}
    for name, item in now.items():
        previous = was.get(name)
        if previous is None:
            changes.append(Change("criterion.input.added", cid, {
                "what": ref, "name": name, "title": _input_text(item)}))
        elif _input_text(previous) != _input_text(item):
            changes.append(Change("criterion.input.title", cid, {
                "what": ref, "name": name, "old": f"«{_input_text(previous)}»",
                "new": f"«{_input_text(item)}»"}))
    for name, item in was.items():
        if name not in now:
            changes.append(Change("criterion.input.removed", cid, {
                "what": ref, "name": name, "title": _input_text(item)}))
    return changes


def _spaceless(text: str) -> str:
    return "".join(text.split())


def _input_text(item) -> str:
    return f"{item.title} ({item.unit_label})" if item.unit_label else item.title


def _checklist_changes(before: Criterion, criterion: Criterion, ref: Ref) -> list[Change]:
    if not before.items or not criterion.items:  # not a list of items to tick, then or now
        return []
    cid = criterion.id
    was = {item.key: item for item in before.items}
    now = {item.key: item for item in criterion.items}
    changes = []
    for key, item in now.items():
        previous = was.get(key)
        if previous is None:
            changes.append(Change("criterion.item.added", cid, {
                "what": ref, "key": key, "title": item.title, "points": Num(item.points)}))
            continue
        if previous.title != item.title:
            changes.append(Change("criterion.item.title", cid, {
                "what": ref, "key": key, "old": previous.title, "new": item.title}))
        if previous.points != item.points:
            changes.append(Change("criterion.item.points", cid, {
                "what": ref, "key": key, "old": Num(previous.points), "new": Num(item.points)}))
    for key, item in was.items():
        if key not in now:
            changes.append(Change("criterion.item.removed", cid, {
                "what": ref, "key": key, "title": item.title}))
    if before.full_at != criterion.full_at:
        changes.append(Change("criterion.full_at", cid, {
            "what": ref, "old": Num(before.full_at), "new": Num(criterion.full_at)}))
    return changes


def _samples_changes(before: Criterion, criterion: Criterion, ref: Ref) -> list[Change]:
    old = Rule(before.samples.min, before.samples.aggregate) if before.samples else None
    new = Rule(criterion.samples.min, criterion.samples.aggregate) if criterion.samples \
        else None
    if old == new:
        return []
    if old is None:
        return [Change("criterion.samples.added", criterion.id, {"what": ref, "new": new})]
    if new is None:
        return [Change("criterion.samples.removed", criterion.id, {"what": ref, "old": old})]
    return [Change("criterion.samples", criterion.id, {"what": ref, "old": old, "new": new})]


# --- gates ------------------------------------------------------------------------------------


def _gate_ref(gate: Gate) -> Ref:
    return Ref("gate", gate.id, gate.title)


def _gate_rule(gate: Gate, rubric: Rubric) -> GateRule:
    every = gate.units is not None and len(rubric.units) > 1 and \
        set(gate.units) == {unit.id for unit in rubric.units}
    return GateRule(gate.units, every, gate.criteria, gate.min, gate.count, gate.cap,
                    gate.factor)


def _gate_changes(old: Rubric, new: Rubric) -> list[Change]:
    before = {gate.id: gate for gate in old.gates}
    after = {gate.id: gate for gate in new.gates}
    changes = []
    for gate in new.gates:
        previous = before.get(gate.id)
        if previous is None:
            changes.append(Change("gate.added", gate.id, {
                "what": _gate_ref(gate), "new": _gate_rule(gate, new)}))
            continue
        if previous.title != gate.title:
            changes.append(Change("gate.title", gate.id, {
                "id": gate.id, "old": previous.title, "new": gate.title}))
        old_rule, new_rule = _gate_rule(previous, old), _gate_rule(gate, new)
        if _rule_key(old_rule) != _rule_key(new_rule):
            changes.append(Change("gate.rule", gate.id, {
                "what": _gate_ref(gate), "old": old_rule, "new": new_rule}))
    for gate in old.gates:
        if gate.id not in after:
            changes.append(Change("gate.removed", gate.id, {
                "what": _gate_ref(gate), "old": _gate_rule(gate, old)}))
    kept_old = [gate.id for gate in old.gates if gate.id in after]
    kept_new = [gate.id for gate in new.gates if gate.id in before]
    if kept_old != kept_new:
        changes.append(Change("gate.order", "", {
            "old": _sep("en").join(kept_old), "new": _sep("en").join(kept_new)}))
    return changes


def _rule_key(rule: GateRule) -> tuple:
    """What a gate judges: the same units written as a list or as «all» are the same rule."""
    return (rule.units, rule.criteria, rule.min, rule.count, rule.cap, rule.factor)


def _share(fraction: float | None) -> Percent | None:
    """A 0–1 share as a percentage for the sentence («۵۰٪»), None when not set."""
    if fraction is None:
        return None
    return Percent(round(fraction * 100, 4))


def _scale_change(before: Criterion, criterion: Criterion, old: Rubric, new: Rubric,
                  ref) -> list[Change]:
    if before.scale is None or criterion.scale is None:
        if criterion.scale is not None and before.scale is None:
            name = _named(criterion.scale, new)
            if name is None:
                return [Change("criterion.levels", criterion.id, {
                    "what": ref, "old": None, "new": _levels(criterion.scale)})]
            return [Change("criterion.scale", criterion.id, {"what": ref, "old": None,
                                                            "new": name})]
        return []
    old_name, new_name = _named(before.scale, old), _named(criterion.scale, new)
    if old_name is not None and new_name is not None:
        if old_name != new_name:
            return [Change("criterion.scale", criterion.id,
                           {"what": ref, "old": old_name, "new": new_name})]
        return []  # the same named scale: a change of its levels is reported once, above
    if _levels(before.scale) != _levels(criterion.scale):
        return [Change("criterion.levels", criterion.id, {
            "what": ref, "old": _levels(before.scale), "new": _levels(criterion.scale)})]
    return []


def _example_changes(old: Rubric, new: Rubric) -> list[Change]:
    before = {example.name: example for example in old.examples}
    after = {example.name: example for example in new.examples}
    changes = []
    for name, example in after.items():
        previous = before.get(name)
        if previous is None:
            changes.append(Change("example.added", name, {"name": name}))
        elif _example_key(previous) != _example_key(example):
            changes.append(Change("example.changed", name, {"name": name}))
    for name in before:
        if name not in after:
            changes.append(Change("example.removed", name, {"name": name}))
    return changes


def _example_key(example) -> tuple:
    return (repr(sorted(example.municipality.items(), key=str)),
            repr(sorted(example.answers.items(), key=str)),
            example.expect_score, example.expect_band)
