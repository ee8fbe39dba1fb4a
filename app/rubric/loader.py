"""Load a rubric file into :class:`~app.rubric.model.Rubric`, reporting every problem at once.

The stages are those of pyxform: read safely (:mod:`app.rubric.reader`), validate and
normalise node by node (this module, collecting problems and carrying on with the siblings),
and build the frozen model only when nothing is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.i18n import normalise_text
from app.rubric import types
from app.rubric.answers import to_raw
from app.rubric.errors import RubricError, RubricProblem, Span, Where
from app.rubric.model import (
    DEFAULT_NA_LIMIT,
    Band,
    Criterion,
    Example,
    Gate,
    Rubric,
    Sampling,
    Scale,
    ScaleLevel,
    Tier,
    Unit,
)
from app.rubric.nodes import Checker, Field, describe, node_number
from app.rubric.nodes import entry_where as _entry_where
from app.rubric.nodes import once as _once
from app.rubric.nodes import plain_num as _num
from app.rubric.nodes import report_at as _at
from app.rubric.reader import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_EVENTS,
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    kind_of,
    position,
    read_tree,
)
from app.rubric.types.base import AGGREGATES

TOP_KEYS = ("id", "version", "title", "description", "reference_tier", "na_limit", "tiers",
            "bands", "scales", "units", "gates", "examples")
TOP_REQUIRED = ("id", "version", "title", "tiers", "bands", "units")
TIER_KEYS = ("id", "title", "description", "grades", "population")
BAND_KEYS = ("min", "label")
#: the longest «expected_minutes» a unit may give (a working day)
MAX_EXPECTED_MINUTES = 600
UNIT_KEYS = ("id", "title", "description", "weight", "applies_to", "na_limit", "declared",
             "expected_minutes", "criteria")
UNIT_REQUIRED = ("id", "title", "weight", "criteria")
#: the keys every criterion may have; each type adds its own (app.rubric.types)
CRITERION_KEYS = ("id", "title", "description", "type", "weight", "applies_to", "allow_na",
                  "evidence", "guidance", "unit_label", "note_required_below", "declared")
CRITERION_REQUIRED = ("id", "title", "type", "weight")
SAMPLES_KEYS = ("min", "aggregate")
GATE_KEYS = ("id", "title", "units", "criteria", "min", "count", "cap", "factor")
EXAMPLE_KEYS = ("name", "municipality", "answers", "expect")
MUNICIPALITY_KEYS = ("name", "grade", "population", "tier", "budget", "staff", "area")
EXPECT_KEYS = ("score", "band")


@dataclass(frozen=True)
class CriterionSpec:
    """One criterion as its type reads it: the node, its fields, its place in the file, the
    tiers it applies to, every tier of the rubric, and its id."""

    item: Node
    fields: dict[str, Field]
    where: Where
    applies: frozenset[str]
    everywhere: frozenset[str]
    criterion_id: str


__all__ = ["check_rubric", "load_rubric"]


def load_rubric(source: str | bytes | Path, *, filename: str | None = None,
                max_bytes: int = DEFAULT_MAX_BYTES, max_events: int = DEFAULT_MAX_EVENTS,
                max_depth: int = DEFAULT_MAX_DEPTH) -> Rubric:
    """The rubric in `source` (a path, the bytes, or the YAML text).

    Raises :class:`RubricError` holding every problem found in the file.
    """
    rubric, problems, name = _check(source, filename, max_bytes, max_events, max_depth)
    if problems or rubric is None:
        raise RubricError(problems, name)
    return rubric


def check_rubric(source: str | bytes | Path, *, filename: str | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES, max_events: int = DEFAULT_MAX_EVENTS,
                 max_depth: int = DEFAULT_MAX_DEPTH
                 ) -> tuple[Rubric | None, list[RubricProblem]]:
    """(rubric or None, every problem sorted by position); never raises for a bad file."""
    rubric, problems, _name = _check(source, filename, max_bytes, max_events, max_depth)
    return (None if problems else rubric), problems


def _check(source, filename, max_bytes, max_events, max_depth):
    node, name, problems = read_tree(source, filename=filename, max_bytes=max_bytes,
                                     max_events=max_events, max_depth=max_depth)
    if node is None:
        return None, sorted(problems, key=_order), name
    builder = _RubricBuilder()
    try:
        rubric = builder.build(node)
    except RecursionError:  # depth is capped before this, but never a traceback
        builder.add("R007", (1, 1), limit=max_depth)
        rubric = None
    problems = problems + builder.problems
    return (None if problems else rubric), sorted(problems, key=_order), name


def _order(problem: RubricProblem) -> tuple[int, int]:
    return problem.line, problem.col


class _RubricBuilder(Checker):
    def __init__(self) -> None:
        super().__init__()
        self.tier_ids: list[str] = []
        self.tiers_known = False  # False when the tiers could not be read: skip tier checks
        self.scales: dict[str, Scale] = {}
        self.scales_known = True
        self.broken_scales: set[str] = set()
        self.criterion_lines: dict[str, int] = {}

    # --- the whole file -------------------------------------------------------------------

    def build(self, root: Node) -> Rubric | None:
        top = Where()
        fields = self.mapping(root, top, TOP_KEYS, TOP_REQUIRED)
        if fields is None:
            return None
        rubric_id = self.ident(fields.get("id"), top.at("id"))
        version = self._version(fields.get("version"))
        title = self.text(fields.get("title"), top.at("title"))
        description = self.text(fields.get("description"), top.at("description"),
                                required=False) or ""
        tiers = self._tiers(fields["tiers"]) if "tiers" in fields else ()
        reference = self.tier_ids[-1] if self.tier_ids else ""
        if "reference_tier" in fields:
            field = fields["reference_tier"]
            value = self.text(field, top.at("reference_tier"))
            if value is not None and self.tiers_known:
                if value in self.tier_ids:
                    reference = value
                else:
                    self.suggest_or("R206", field, value, self.tier_ids, "define",
                                    where=top.at("reference_tier"), known=self.tier_ids)
        na_limit = DEFAULT_NA_LIMIT
        if "na_limit" in fields:
            na_limit = self._na_limit(fields["na_limit"], top.at("na_limit")) or na_limit
        bands = self._bands(fields["bands"]) if "bands" in fields else ()
        if "scales" in fields:
            self._scales(fields["scales"])
        units = self._units(fields["units"]) if "units" in fields else ()
        gates = self._gates(fields["gates"], units) if "gates" in fields else ()
        examples = self._examples(fields["examples"]) if "examples" in fields else ()
        if self.problems:
            return None
        return Rubric(id=rubric_id, version=version, title=title, tiers=tiers, bands=bands,
                      units=units, reference_tier=reference, na_limit=na_limit,
                      scales=dict(self.scales), description=description, examples=examples,
                      gates=gates)

    def _na_limit(self, field: Field, where: Where) -> float | None:
        value = self.number(field, where)
        if value is not None and not 0 < value <= 1:
            self.add("R309", field, where=where, value=describe(field.node))
            return None
        return value

    def _version(self, field: Field | None) -> str | None:
        """The author's label, as written: ``1405.10`` stays «1405.10»."""
        if field is None:
            return None
        if isinstance(field.node, ScalarNode) and kind_of(field.node) in ("int", "float"):
            return field.node.value
        return self.text(field, Where().at("version"))

    # --- tiers ----------------------------------------------------------------------------

    def _tiers(self, field: Field) -> tuple[Tier, ...]:
        items = self.sequence(field, Where().at("tiers"))
        if items is None:
            return ()
        self.tiers_known = True
        tiers: list[Tier] = []
        seen: dict[str, int] = {}
        catch_all: tuple[Tier, Node] | None = None
        later: list[str] = []
        ok_ranges = True
        for number, item in enumerate(items, start=1):
            where = Where((_named("tier", item, "id", number),))
            fields = self.mapping(item, where, TIER_KEYS, ("id",))
            if fields is None:
                continue
            tier_id = self.ident(fields.get("id"), where.at("id"))
            if tier_id is None:
                continue
            where = Where((("tier", tier_id),))
            line = position(fields["id"].node)[0]
            duplicate = tier_id in seen
            if duplicate:
                self.add("R202", fields["id"], id=tier_id, first_line=seen[tier_id], line=line)
            else:
                seen[tier_id] = line
                self.tier_ids.append(tier_id)
            title = self.text(fields.get("title"), where.at("title"), required=False) or ""
            description = self.text(fields.get("description"), where.at("description"),
                                    required=False) or ""
            grades = population = None
            if "grades" in fields:
                grades = self._range(fields["grades"], where.at("grades"), grades=True)
                ok_ranges = ok_ranges and grades is not None
            if "population" in fields:
                population = self._range(fields["population"], where.at("population"),
                                         grades=False)
                ok_ranges = ok_ranges and population is not None
            tier = Tier(tier_id, title, description, grades, population)
            if duplicate:
                continue
            if catch_all is not None:
                later.append(tier_id)
            elif "grades" not in fields and "population" not in fields:
                catch_all = (tier, item)
            tiers.append(tier)
        if catch_all is not None and later:
            self.add("R405", catch_all[1], tier=catch_all[0].id, later=later)
        elif ok_ranges and tiers and len(tiers) == len(items):
            self._coverage(field, tiers)
        return tuple(tiers)

    def _coverage(self, field: Field, tiers: list[Tier]) -> None:
        """Tiers by grades alone must cover grades 1–12; tiers by population alone every
        population from 0 up to the highest bound given (or without limit)."""
        if all(t.grades is not None and t.population is None for t in tiers):
            taken = {g for t in tiers for g in range(t.grades[0], t.grades[1] + 1)}
            gaps = _runs([g for g in range(1, 13) if g not in taken])
            if gaps:
                self.add("R406", field.key_node, gaps=[_span(a, b) for a, b in gaps])
        elif all(t.population is not None and t.grades is None for t in tiers):
            spans = sorted(t.population for t in tiers)
            reach = 0  # every population below `reach` is taken
            gaps = []
            for low, high in spans:
                if low > reach:
                    gaps.append(_span(reach, low - 1))
                if high is None:
                    reach = None
                    break
                reach = max(reach, high + 1)
            if gaps:
                self.add("R407", field.key_node, gaps=gaps)

    def _range(self, field: Field, where: Where, *, grades: bool):
        """grades [from, to] within 1–12 (a single grade is fine too); population [min, max]
        with max possibly null."""
        node = field.node
        if grades and isinstance(node, ScalarNode) and kind_of(node) != "null":
            value = self.whole(field, where)
            if value is None:
                return None
            if not 1 <= value <= 12:
                self.add("R402", field, where=where, value=describe(node))
                return None
            return (value, value)
        if not isinstance(node, SequenceNode) or len(node.value) != 2:
            self.add("R401", field, where=where, found=describe(node))
            return None
        low_node, high_node = node.value
        if not grades and kind_of(high_node) == "null":
            high = None
        else:
            high = self.whole(high_node, where)
        low = self.whole(low_node, where)
        if low is None or (high is None and (grades or kind_of(high_node) != "null")):
            return None
        ok = True
        for value, value_node in ((low, low_node), (high, high_node)):
            if value is None:
                continue
            if grades and not 1 <= value <= 12:
                self.add("R402", value_node, where=where, value=describe(value_node))
                ok = False
            elif not grades and value < 0:
                self.add("R404", value_node, where=where, value=describe(value_node))
                ok = False
        if ok and high is not None and low > high:
            self.add("R403", field, where=where, low=low, high=high)
            ok = False
        return (low, high) if ok else None

    # --- bands ----------------------------------------------------------------------------

    def _bands(self, field: Field) -> tuple[Band, ...]:
        items = self.sequence(field, Where().at("bands"))
        if items is None:
            return ()
        bands: list[Band] = []
        seen: dict[float, int] = {}
        lowest: tuple[float, Node] | None = None
        complete = True
        for number, item in enumerate(items, start=1):
            where = Where((_named("band", item, "label", number),))
            fields = self.mapping(item, where, BAND_KEYS, BAND_KEYS)
            if fields is None:
                complete = False
                continue
            label = self.text(fields.get("label"), where.at("label"))
            if label:
                where = Where((("band", label),))
            value = self.number(fields.get("min"), where.at("min"))
            if value is None:
                complete = False
                continue
            min_node = fields["min"].node
            if not 0 <= value <= 100:
                self.add("R502", fields["min"], where=where.at("min"), value=describe(min_node))
                complete = False
                continue
            line = position(min_node)[0]
            if value in seen:
                self.add("R503", fields["min"], value=_num(value), first_line=seen[value],
                         line=line)
                continue
            seen[value] = line
            if lowest is None or value < lowest[0]:
                lowest = (value, min_node)
            if label is not None:
                bands.append(Band(value, label))
        if complete and lowest is not None and lowest[0] != 0:
            self.add("R501", lowest[1], value=_num(lowest[0]))
        return tuple(sorted(bands, key=lambda band: band.min, reverse=True))

    # --- scales ---------------------------------------------------------------------------

    def _scales(self, field: Field) -> None:
        where = Where().at("scales")
        fields = self.mapping(field.node, where, None, key_pos=field)
        if fields is None:
            self.scales_known = False
            return
        for name, scale_field in fields.items():
            scale = self._scale(scale_field.node, name, Where((("scale", name),)), scale_field)
            if scale is not None:
                self.scales[name] = scale
            else:
                self.broken_scales.add(name)

    def _scale(self, node: Node, scale_id: str, where: Where, field: Field) -> Scale | None:
        fields = self.mapping(node, where, None, key_pos=field)
        if fields is None:
            return None
        levels: list[ScaleLevel] = []
        values: dict[float, int] = {}
        labels: dict[str, int] = {}
        ok = True
        for key, level in fields.items():
            value = node_number(level.key_node)
            line = position(level.key_node)[0]
            if value is None:
                self.add("R601", level.key_node, value=key, where=where)
                ok = False
                continue
            label = self.text(level, where.at(key))
            if label is None:
                ok = False
                continue
            if value in values:
                self.add("R603", level.key_node, value=_num(value), where=where,
                         first_line=values[value], line=line)
                ok = False
                continue
            if label in labels:
                self.add("R604", level, value=label, where=where, first_line=labels[label],
                         line=position(level.node)[0])
                ok = False
                continue
            values[value] = line
            labels[label] = position(level.node)[0]
            levels.append(ScaleLevel(value, label))
        if ok and len(levels) < 2:
            self.add("R602", field, where=where, count=len(levels))
            return None
        if not ok:
            return None
        return Scale(scale_id, tuple(sorted(levels, key=lambda level: level.value)))

    # --- per-tier values ------------------------------------------------------------------

    def _tier_list(self, field: Field, where: Where) -> frozenset[str] | None:
        """`applies_to`: a list of tier ids (or a single one)."""
        node = field.node
        if isinstance(node, ScalarNode) and kind_of(node) != "null":
            items = [node]
        else:
            items = self.sequence(field, where)
            if items is None:
                return None
        result = set()
        for item in items:
            if not isinstance(item, ScalarNode) or kind_of(item) == "null":
                self.add("R103", item, where=where, found=describe(item))
                continue
            value = item.value.strip()
            if self.tiers_known and value not in self.tier_ids:
                self.suggest_or("R206", item, value, self.tier_ids, "define", where=where,
                                known=self.tier_ids)
                continue
            result.add(value)
        return frozenset(result)

    def per_tier(self, field: Field, where: Where, applies: frozenset[str], scalar_to,
                  ) -> dict[str, tuple[float, Node]]:
        """A scalar (for each tier of `scalar_to`) or a mapping tier id → number that names
        every tier of `applies`. Values that are not numbers are reported and left out."""
        node = field.node
        if not isinstance(node, MappingNode):
            value = self.number(field, where)
            if value is None:
                return {}
            return {tier: (value, node) for tier in self.tier_ids if tier in scalar_to}
        fields = self.mapping(node, where, None, key_pos=field)
        result: dict[str, tuple[float, Node]] = {}
        for key, entry in (fields or {}).items():
            if self.tiers_known and key not in self.tier_ids:
                self.suggest_or("R206", entry.key_node, key, self.tier_ids, "define",
                                where=where, known=self.tier_ids)
                continue
            value = self.number(entry, Where(where.path, f"{where.key}.{key}"))
            if value is not None:
                result[key] = (value, entry.node)
        if fields is not None and self.tiers_known:
            for tier in self.tier_ids:
                if tier in applies and tier not in fields:
                    self.add("R208", field, where=where, tier=tier)
        return result

    # --- units and criteria ---------------------------------------------------------------

    def _units(self, field: Field) -> tuple[Unit, ...]:
        items = self.sequence(field, Where().at("units"))
        if items is None:
            return ()
        units: list[Unit] = []
        seen: dict[str, int] = {}
        for number, item in enumerate(items, start=1):
            unit = self._unit(item, number, seen)
            if unit is not None:
                units.append(unit)
        return tuple(units)

    def _unit(self, item: Node, number: int, seen: dict[str, int]) -> Unit | None:
        where = Where((_named("unit", item, "id", number),))
        fields = self.mapping(item, where, UNIT_KEYS, UNIT_REQUIRED)
        if fields is None:
            return None
        unit_id = self.ident(fields.get("id"), where.at("id"))
        if unit_id:
            where = Where((("unit", unit_id),))
            line = position(fields["id"].node)[0]
            if unit_id in seen:
                self.add("R203", fields["id"], id=unit_id, first_line=seen[unit_id], line=line)
            else:
                seen[unit_id] = line
        title = self.text(fields.get("title"), where.at("title"))
        description = self.text(fields.get("description"), where.at("description"),
                                required=False) or ""
        applies = frozenset(self.tier_ids)
        if "applies_to" in fields:
            applies = self._tier_list(fields["applies_to"], where.at("applies_to")) or applies
        weight = {}
        if "weight" in fields:
            weight = self._weights(fields["weight"], where.at("weight"), applies)
        na_limit = None
        if "na_limit" in fields:
            na_limit = self._na_limit(fields["na_limit"], where.at("na_limit"))
        declared = False
        if "declared" in fields:
            declared = bool(self.boolean(fields["declared"], where.at("declared")))
        expected = None
        if "expected_minutes" in fields:
            expected = self._expected_minutes(fields["expected_minutes"],
                                              where.at("expected_minutes"))
        criteria: list[Criterion] = []
        if "criteria" in fields:
            items = self.sequence(fields["criteria"], where.at("criteria")) or []
            for index, node in enumerate(items, start=1):
                criterion = self._criterion(node, index, where, unit_id or "", applies,
                                            unit_declared=declared)
                if criterion is not None:
                    criteria.append(criterion)
        if unit_id is None or title is None:
            return None
        return Unit(unit_id, title, weight, tuple(criteria), applies, description,
                    line=position(item)[0], na_limit=na_limit, declared=declared,
                    expected_minutes=expected)

    def _expected_minutes(self, field: Field, where: Where) -> float | None:
        """How long an inspector on site usually needs for the unit (flags, never scores)."""
        value = self.number(field, where)
        if value is not None and not 0 < value <= MAX_EXPECTED_MINUTES:
            self.add("R316", field, where=where, value=describe(field.node),
                     limit=MAX_EXPECTED_MINUTES)
            return None
        return value

    def _weights(self, field: Field, where: Where, applies: frozenset[str]
                 ) -> dict[str, float]:
        values = self.per_tier(field, where, applies, applies)
        for tier, (value, node) in _once(values, field.node):
            if value <= 0:
                self.add("R301", _at(field, node), where=_entry_where(where, tier, node, field),
                         value=describe(node))
        return {tier: value for tier, (value, _node) in values.items()
                if value > 0 and tier in applies}

    def _criterion(self, item: Node, index: int, unit_where: Where, unit_id: str,
                   unit_applies: frozenset[str], unit_declared: bool = False
                   ) -> Criterion | None:
        where = unit_where / _named("criterion", item, "id", index)
        fields = self.mapping(item, where, CRITERION_KEYS + types.all_keys(),
                              CRITERION_REQUIRED)
        if fields is None:
            return None
        criterion_id = self.ident(fields.get("id"), where.at("id"))
        if criterion_id:
            where = unit_where / ("criterion", criterion_id)
            line = position(fields["id"].node)[0]
            if criterion_id in self.criterion_lines:
                self.add("R204", fields["id"], id=criterion_id,
                         first_line=self.criterion_lines[criterion_id], line=line)
            else:
                self.criterion_lines[criterion_id] = line
        title = self.text(fields.get("title"), where.at("title"))
        texts = {key: self.text(fields.get(key), where.at(key), required=False) or ""
                 for key in ("description", "evidence", "guidance", "unit_label")}
        kind = None
        if "type" in fields:
            name = self.text(fields["type"], where.at("type"))
            known = types.type_names()
            if name is not None and name not in known:
                self.suggest_or("R205", fields["type"], name, known, where=where.at("type"),
                                known=list(known))
            elif name is not None:
                kind = types.type_of(name)
        applies = unit_applies
        if "applies_to" in fields:
            own = self._tier_list(fields["applies_to"], where.at("applies_to"))
            if own is not None:
                applies = own & unit_applies
                if own and not applies and self.tiers_known:
                    self.add("R210", fields["applies_to"], where=where,
                             known=sorted(unit_applies, key=self._tier_order))
        weight = {}
        if "weight" in fields:
            weight = self._weights(fields["weight"], where.at("weight"), applies)
        allow_na = False
        if "allow_na" in fields:
            allow_na = bool(self.boolean(fields["allow_na"], where.at("allow_na")))
        note_below = None
        if "note_required_below" in fields:
            nfield = fields["note_required_below"]
            value = self.number(nfield, where.at("note_required_below"))
            if value is not None and not 0 <= value <= 100:
                self.add("R308", nfield, where=where.at("note_required_below"),
                         value=describe(nfield.node))
            elif value is not None:
                note_below = value / 100
        own_keys: dict | None = None
        if kind is not None:
            for key in types.all_keys():
                if key in fields and key not in kind.keys:
                    self.add("R305", fields[key].key_node, key=key, where=where,
                             type=kind.name)
            spec = CriterionSpec(item, fields, where, applies, frozenset(self.tier_ids),
                                 criterion_id or "")
            own_keys = kind.read(self, spec)
            if own_keys is not None and "samples" in fields and "samples" in kind.keys:
                sampling = self._sampling(fields["samples"], where,
                                          computed=own_keys.get("formula") is not None
                                          or "inputs" in fields)
                if sampling is None:
                    own_keys = None
                else:
                    own_keys["samples"] = sampling
        declared = unit_declared
        if "declared" in fields:
            declared = bool(self.boolean(fields["declared"], where.at("declared")))
        if declared and own_keys is not None and own_keys.get("samples") is not None:
            at = fields["declared"].key_node if "declared" in fields else fields["samples"].key_node
            self.add("R340", at, where=where)
            own_keys = None
        if criterion_id is None or title is None or kind is None or own_keys is None:
            return None
        return Criterion(
            id=criterion_id, unit_id=unit_id, title=title, type=kind.name, weight=weight,
            applies_to=applies, allow_na=allow_na, evidence=texts["evidence"],
            guidance=texts["guidance"], unit_label=texts["unit_label"],
            note_required_below=note_below, line=position(item)[0],
            description=texts["description"], declared=declared, **own_keys)

    def _sampling(self, field: Field, where: Where, *, computed: bool) -> Sampling | None:
        """``samples: {min: 3, aggregate: mean}`` (observations at several sites)."""
        if computed:
            self.add("R322", field.key_node, where=where)
            return None
        place = where.at("samples")
        fields = self.mapping(field.node, place, SAMPLES_KEYS, key_pos=field)
        if fields is None:
            return None
        minimum, how, ok = 1, "mean", True
        if "min" in fields:
            value = self.whole(fields["min"], place)
            if value is not None and value < 1:
                self.add("R321", fields["min"], where=place, value=describe(fields["min"].node))
                value = None
            ok = ok and value is not None
            minimum = value or minimum
        if "aggregate" in fields:
            value = self.text(fields["aggregate"], place)
            if value is not None and value not in AGGREGATES:
                self.suggest_or("R320", fields["aggregate"], value, AGGREGATES, where=place,
                                known=list(AGGREGATES))
                value = None
            ok = ok and value is not None
            how = value or how
        if not ok:
            return None
        return Sampling(minimum, how)

    def _tier_order(self, tier: str) -> int:
        return self.tier_ids.index(tier) if tier in self.tier_ids else len(self.tier_ids)

    def criterion_scale(self, field: Field, where: Where, criterion_id: str) -> Scale | None:
        """A criterion's `scale:`: a named scale of the rubric, or levels written inline."""
        node = field.node
        if isinstance(node, MappingNode):
            return self._scale(node, criterion_id, where.at("scale"), field)
        name = self.text(field, where.at("scale"))
        if name is None:
            return None
        if name in self.scales:
            return self.scales[name]
        if self.scales_known and name not in self.broken_scales:
            known = list(self.scales) + sorted(self.broken_scales)
            self.suggest_or("R207", field, name, known, "define", where=where.at("scale"),
                            known=known)
        return None

    # --- gates ----------------------------------------------------------------------------

    def _gates(self, field: Field, units: tuple[Unit, ...]) -> tuple[Gate, ...]:
        items = self.sequence(field, Where().at("gates"), nonempty=False)
        if items is None:
            return ()
        unit_ids = [unit.id for unit in units]
        criterion_ids = list(self.criterion_lines)
        gates: list[Gate] = []
        seen: dict[str, int] = {}
        for number, item in enumerate(items, start=1):
            where = Where((_named("gate", item, "id", number),))
            fields = self.mapping(item, where, GATE_KEYS, ("id", "min"))
            if fields is None:
                continue
            gate_id = self.ident(fields.get("id"), where.at("id"))
            if gate_id is None:
                continue
            where = Where((("gate", gate_id),))
            line = position(fields["id"].node)[0]
            if gate_id in seen:
                self.add("R808", fields["id"], id=gate_id, first_line=seen[gate_id], line=line)
                continue
            seen[gate_id] = line
            title = self.text(fields.get("title"), where.at("title"), required=False) or ""
            ok = True
            named = [key for key in ("units", "criteria") if key in fields]
            if len(named) != 1:
                self.add("R801", fields["id"] if not named else fields[named[1]].key_node,
                         where=where)
                ok = False
            unit_list = criterion_list = None
            if "units" in fields:
                unit_list = self._gate_refs(fields["units"], where.at("units"), unit_ids,
                                            "R802", allow_all=True)
                ok = ok and unit_list is not None
            if "criteria" in fields:
                criterion_list = self._gate_refs(fields["criteria"], where.at("criteria"),
                                                 criterion_ids, "R803", allow_all=False)
                ok = ok and criterion_list is not None
            minimum = self.number(fields.get("min"), where.at("min"))
            top = 100 if "criteria" not in fields else 1
            if minimum is not None and not 0 <= minimum <= top:
                self.add("R804" if top == 100 else "R805", fields["min"], where=where.at("min"),
                         value=describe(fields["min"].node))
                ok = False
            ok = ok and minimum is not None
            count = None
            if "count" in fields:
                count = self.whole(fields["count"], where.at("count"))
                if count is not None and count < 1:
                    self.add("R806", fields["count"], where=where.at("count"),
                             value=describe(fields["count"].node))
                    count = None
                ok = ok and count is not None
            effects = [key for key in ("cap", "factor") if key in fields]
            cap = factor = None
            if len(effects) != 1:
                at = fields[effects[1]].key_node if len(effects) > 1 else fields["id"]
                self.add("R807", at, where=where)
                ok = False
            if "cap" in fields:
                cap = self.number(fields["cap"], where.at("cap"))
                if cap is not None and not 0 <= cap <= 100:
                    self.add("R804", fields["cap"], where=where.at("cap"),
                             value=describe(fields["cap"].node))
                    cap = None
                ok = ok and cap is not None
            if "factor" in fields:
                factor = self.number(fields["factor"], where.at("factor"))
                if factor is not None and not 0 <= factor <= 1:
                    self.add("R805", fields["factor"], where=where.at("factor"),
                             value=describe(fields["factor"].node))
                    factor = None
                ok = ok and factor is not None
            if ok:
                gates.append(Gate(gate_id, title, unit_list, criterion_list, minimum, count,
                                  cap, factor, line=position(item)[0]))
        return tuple(gates)

    def _gate_refs(self, field: Field, where: Where, known: list[str], code: str, *,
                   allow_all: bool) -> tuple[str, ...] | None:
        """The unit or criterion ids a gate names (a list, one id, or «all» for units)."""
        node = field.node
        if allow_all and isinstance(node, ScalarNode) and normalise_text(node.value) == "all" \
                and node.style in (None, ""):
            return tuple(known)
        if isinstance(node, ScalarNode) and kind_of(node) != "null":
            items = [node]
        else:
            items = self.sequence(field, where)
            if items is None:
                return None
        result: list[str] = []
        ok = True
        for item in items:
            if not isinstance(item, ScalarNode) or kind_of(item) == "null":
                self.add("R103", item, where=where, found=describe(item))
                ok = False
                continue
            value = normalise_text(item.value)
            if value not in known:
                self.suggest_or(code, item, value, known, where=where)
                ok = False
                continue
            if value not in result:
                result.append(value)
        return tuple(result) if ok else None

    # --- examples -------------------------------------------------------------------------

    def _examples(self, field: Field) -> tuple[Example, ...]:
        items = self.sequence(field, Where().at("examples"), nonempty=False)
        if items is None:
            return ()
        examples = []
        for number, item in enumerate(items, start=1):
            where = Where((_named("example", item, "name", number),))
            fields = self.mapping(item, where, EXAMPLE_KEYS, ("name", "municipality",
                                                               "answers"))
            if fields is None:
                continue
            name = self.text(fields.get("name"), where.at("name"))
            if name:
                where = Where((("example", name),))
            municipality = None
            if "municipality" in fields:
                municipality = self._example_municipality(fields["municipality"], where)
            answers = None
            if "answers" in fields:
                afield = fields["answers"]
                afields = self.mapping(afield.node, where.at("answers"), None, key_pos=afield)
                if afields is not None:
                    answers = {key: to_raw(entry.node) for key, entry in afields.items()}
            score = band = None
            expect_line = 0
            if "expect" in fields:
                efield = fields["expect"]
                expect_line = position(efield.key_node)[0]
                efields = self.mapping(efield.node, where.at("expect"), EXPECT_KEYS,
                                       key_pos=efield)
                if efields is not None:
                    score = self.number(efields.get("score"), where.at("score"))
                    band = self.text(efields.get("band"), where.at("band"))
            if name and municipality is not None and answers is not None:
                examples.append(Example(name, municipality, answers, score, band,
                                        line=position(item)[0], expect_line=expect_line))
        return tuple(examples)

    def _example_municipality(self, field: Field, where: Where) -> dict | None:
        where = where / ("municipality", "")
        fields = self.mapping(field.node, where, MUNICIPALITY_KEYS, key_pos=field)
        if fields is None:
            return None
        result: dict[str, object] = {}
        if "name" in fields:
            result["name"] = self.text(fields["name"], where.at("name"), required=False) or ""
        for key in ("grade", "population", "budget", "staff", "area"):
            if key in fields and kind_of(fields[key].node) != "null":
                value = self.number(fields[key], where.at(key))
                if value is not None and key in ("grade", "population"):
                    value = self.whole(fields[key], where.at(key))
                if value is not None:
                    result[key] = value
        if "tier" in fields:
            tier = self.text(fields["tier"], where.at("tier"))
            if tier is not None and self.tiers_known and tier not in self.tier_ids:
                self.suggest_or("R206", fields["tier"], tier, self.tier_ids, "define",
                                where=where.at("tier"), known=self.tier_ids)
            elif tier is not None:
                result["tier"] = tier
        return result


def _named(kind: str, item: Node, key: str, number: int) -> tuple[str, str]:
    """A place segment for a list item: by its id (or label, name) when it has a usable one,
    else by its position in the list."""
    if isinstance(item, MappingNode):
        for key_node, value_node in item.value:
            if (isinstance(key_node, ScalarNode) and key_node.value == key
                    and isinstance(value_node, ScalarNode) and value_node.value.strip()):
                return kind, normalise_text(value_node.value)
    return f"{kind}#", str(number)


def _runs(values: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted whole numbers: [2, 3, 7] → [(2, 3), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for value in values:
        if runs and runs[-1][1] == value - 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


def _span(low: int, high: int) -> Span:
    return Span((low, high))
