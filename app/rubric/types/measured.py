"""Measured types: ``number`` and ``percent``, scored against a target (linear, with an
optional floor) or by step points (``brackets``); the value may be typed, or computed by a
``formula`` from ``inputs`` the inspector counts and the town's profile."""

from __future__ import annotations

from app.i18n import (
    N_,
    NumberError,
    format_percent,
    format_quantity,
    list_separator,
    normalise_text,
    percent_sign,
    read_number,
    translator,
)
from app.rubric import formula as formulas
from app.rubric.errors import Where
from app.rubric.nodes import describe, entry_where, once, plain_num, report_at
from app.rubric.parts import BETTER, Bracket, Input
from app.rubric.reader import MappingNode, ScalarNode, kind_of, position
from app.rubric.types.base import CriterionType, FieldSpec, is_empty, shown
from app.rubric.values import AnswerError

INPUT_KEYS = ("title", "unit_label")
BRACKET_KEYS = ("min", "max", "fraction")
#: a typed number past this is surely a slip (and past what a float keeps exactly)
LARGEST = 1e12


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


class NumberType(CriterionType):
    name = "number"
    title = N_("a number")
    keys = ("target", "floor", "better", "brackets", "inputs", "formula", "min", "max",
            "samples")
    sampleable = True
    widget = "number"
    #: bounds of a typed value when the rubric gives none
    default_min: float | None = 0.0
    default_max: float | None = None
    percent = False

    # --- the rubric file --------------------------------------------------------------------

    def read(self, reader, spec):
        fields, where = spec.fields, spec.where
        result: dict = {}
        better = "higher"
        if "better" in fields:
            value = reader.text(fields["better"], where.at("better"))
            if value is not None and value not in BETTER:
                reader.suggest_or("R209", fields["better"], value, BETTER, where=where)
                return None
            better = value or better
        result["better"] = better
        computed = "formula" in fields or "inputs" in fields
        if "brackets" in fields:
            for key in ("target", "floor"):
                if key in fields:
                    reader.add("R310", fields[key].key_node, key=key, where=where)
            brackets = self._brackets(reader, spec, fields["brackets"], computed)
            if brackets is None:
                return None
            result["brackets"], result["bracket_kind"] = brackets
        else:
            target, floor = self._targets(reader, spec, better, computed)
            result["target"], result["floor"] = target, floor
        if computed:
            inputs, formula = self._computed(reader, spec)
            result["inputs"], result["formula"] = inputs, formula
        result["minimum"], result["maximum"] = self._bounds(reader, spec, computed)
        return result

    def _targets(self, reader, spec, better, computed):
        """Targets and floors. A scalar is stored for every tier (the raw score reads the
        reference tier's), a mapping as given."""
        fields, where = spec.fields, spec.where
        if "target" not in fields:
            reader.add("R302", spec.item, where=where, type=self.name, key="target")
            return None, None
        bounded = self.percent and not computed
        tfield = fields["target"]
        targets = reader.per_tier(tfield, where.at("target"), spec.applies, spec.everywhere)
        for tier, (value, node) in once(targets, tfield.node):
            place = entry_where(where.at("target"), tier, node, tfield)
            if value < 0:
                reader.add("R303", report_at(tfield, node), where=place, value=describe(node))
            elif bounded and value > 100:
                reader.add("R304", report_at(tfield, node), where=place, value=describe(node))
        good = {tier: value for tier, (value, _node) in targets.items()
                if value >= 0 and not (bounded and value > 100)}
        if "floor" not in fields:
            return good, None
        ffield = fields["floor"]
        raw = reader.per_tier(ffield, where.at("floor"), spec.applies, spec.everywhere)
        for tier, (value, node) in once(raw, ffield.node):
            if bounded and not 0 <= value <= 100:
                reader.add("R304", report_at(ffield, node),
                           where=entry_where(where.at("floor"), tier, node, ffield),
                           value=describe(node))
        reported = False
        for tier, (value, node) in raw.items():
            target = good.get(tier)
            if target is None or (reported and node is ffield.node):
                continue
            if value >= target if better == "higher" else value <= target:
                reader.add("R306" if better == "higher" else "R307", report_at(ffield, node),
                           where=where, tier=tier, floor=plain_num(value),
                           target=plain_num(target))
                reported = reported or node is ffield.node
        return good, {tier: value for tier, (value, _node) in raw.items()}

    def _brackets(self, reader, spec, field, computed):
        """One list of brackets for every tier, or a mapping tier → list."""
        where = spec.where.at("brackets")
        node = field.node
        lists: dict[str, tuple[object, Where]] = {}
        if isinstance(node, MappingNode):
            entries = reader.mapping(node, where, None, key_pos=field) or {}
            for key, entry in entries.items():
                if reader.tiers_known and key not in reader.tier_ids:
                    reader.suggest_or("R206", entry.key_node, key, reader.tier_ids, "define",
                                      where=where, known=reader.tier_ids)
                    continue
                lists[key] = (entry, Where(where.path, f"{where.key}.{key}"))
            if reader.tiers_known:
                for tier in reader.tier_ids:
                    if tier in spec.applies and tier not in entries:
                        reader.add("R208", field, where=where, tier=tier)
        else:
            lists = {tier: (field, where) for tier in spec.everywhere}
        kinds: set[str] = set()
        result: dict[str, tuple[Bracket, ...]] = {}
        ok = True
        done: dict[int, tuple | None] = {}
        for tier, (entry, place) in lists.items():
            if id(entry) in done:  # one list for every tier: read and reported once
                parsed = done[id(entry)]
            else:
                parsed = self._bracket_list(reader, entry, place, computed)
                done[id(entry)] = parsed
            if parsed is None:
                ok = False
                continue
            kind, steps = parsed
            kinds.add(kind)
            result[tier] = steps
        if len(kinds) > 1:
            reader.add("R313", field, where=where)
            ok = False
        if not ok or not result:
            return None
        return result, kinds.pop()

    def _bracket_list(self, reader, entry, where, computed):
        items = reader.sequence(entry, where)
        if items is None:
            return None
        kinds, steps, seen, ok = [], [], {}, True
        for number, item in enumerate(items, start=1):
            place = Where(where.path + (("bracket#", str(number)),), None) \
                if where.key is None else Where(where.path, f"{where.key}[{number}]")
            fields = reader.mapping(item, place, BRACKET_KEYS, ("fraction",))
            if fields is None:
                ok = False
                continue
            bounds = [key for key in ("min", "max") if key in fields]
            if len(bounds) != 1:
                reader.add("R312", item, where=place)
                ok = False
                continue
            kind = bounds[0]
            bound = reader.number(fields[kind], place)
            fraction = reader.number(fields.get("fraction"), place)
            if bound is None or fraction is None:
                ok = False
                continue
            if not 0 <= fraction <= 1:
                reader.add("R311", fields["fraction"], where=place,
                           value=describe(fields["fraction"].node))
                ok = False
                continue
            if self.percent and not computed and not 0 <= bound <= 100:
                reader.add("R304", fields[kind], where=place, value=describe(fields[kind].node))
                ok = False
                continue
            line = position(fields[kind].node)[0]
            if bound in seen:
                reader.add("R314", fields[kind], value=plain_num(bound), where=where,
                           first_line=seen[bound], line=line)
                ok = False
                continue
            seen[bound] = line
            kinds.append(kind)
            steps.append(Bracket(bound, fraction))
        if len(set(kinds)) > 1:
            reader.add("R313", entry, where=where)
            return None
        if not ok or not steps:
            return None
        return kinds[0], tuple(sorted(steps, key=lambda b: b.bound))

    def _computed(self, reader, spec):
        fields, where = spec.fields, spec.where
        inputs: list[Input] = []
        if "inputs" in fields:
            ifield = fields["inputs"]
            entries = reader.mapping(ifield.node, where.at("inputs"), None, key_pos=ifield)
            for name, entry in (entries or {}).items():
                place = where / ("input", name)
                if not formulas.NAME.fullmatch(name) or name in formulas.PROFILE_NAMES:
                    reader.add("R705", entry.key_node, name=name, where=where,
                               hint="profile" if name in formulas.PROFILE_NAMES else "default")
                    continue
                node = entry.node
                if isinstance(node, ScalarNode) and kind_of(node) != "null":
                    title = reader.text(entry, place)
                    label = ""
                else:
                    parts = reader.mapping(node, place, INPUT_KEYS, ("title",), key_pos=entry)
                    if parts is None:
                        continue
                    title = reader.text(parts.get("title"), place.at("title"))
                    label = reader.text(parts.get("unit_label"), place.at("unit_label"),
                                        required=False) or ""
                if title:
                    inputs.append(Input(name, title, label))
        if "formula" not in fields:
            reader.add("R706", fields["inputs"].key_node, where=where)
            return tuple(inputs), None
        ffield = fields["formula"]
        text = reader.text(ffield, where.at("formula"))
        if text is None:
            return tuple(inputs), None
        names = tuple(item.name for item in inputs)
        declared = set(names) | set(_declared_names(fields.get("inputs")))
        try:
            return tuple(inputs), formulas.parse(text, frozenset(declared))
        except formulas.FormulaError as error:
            at = _formula_position(ffield.node, error.offset)
            if error.kind == "name":
                known = [n for n in names if n not in formulas.PROFILE_NAMES]
                known += list(formulas.PROFILE_NAMES)
                reader.suggest_or("R702", at, error.params["name"], known, "define",
                                  where=where, known=known)
            elif error.kind == "function":
                reader.add("R704", at, name=error.params["name"], where=where)
            elif error.kind == "end":
                reader.add("R703", at, where=where)
            else:
                reader.add("R701", at, found=error.params.get("found", ""), where=where)
            return tuple(inputs), None

    def _bounds(self, reader, spec, computed):
        fields, where = spec.fields, spec.where
        low = self.default_min if not computed else None
        high = self.default_max if not computed else None
        given = {}
        for key in ("min", "max"):
            if key in fields:
                value = reader.number(fields[key], where.at(key))
                if value is None:
                    continue
                if self.percent and not computed and not 0 <= value <= 100:
                    reader.add("R304", fields[key], where=where.at(key),
                               value=describe(fields[key].node))
                    continue
                given[key] = value
        low, high = given.get("min", low), given.get("max", high)
        if low is not None and high is not None and low >= high and "min" in given:
            reader.add("R315", fields["min"], where=where, low=plain_num(low),
                       high=plain_num(high))
        return low, high

    # --- answers ----------------------------------------------------------------------------

    def answer_keys(self, criterion):
        return ("value", "samples", "inputs")

    def read_answer(self, criterion, raw):
        if not criterion.computed:
            return super().read_answer(criterion, raw)
        parts = raw if isinstance(raw, dict) else {"value": raw}
        if not is_empty(parts.get("value")):
            raise AnswerError("A013", {"id": criterion.id}, "value")
        if parts.get("samples") is not None:
            raise AnswerError("A016", {"id": criterion.id}, "samples", hint="inputs")
        given = parts.get("inputs")
        if given is None:
            return {}
        if not isinstance(given, dict):
            raise AnswerError("A012", {"id": criterion.id, "name": "inputs",
                                       "value": shown(given)}, "inputs")
        names = [item.name for item in criterion.inputs]
        inputs: dict[str, float] = {}
        for name, value in given.items():
            if name not in names:
                from app.rubric.nodes import suggest

                suggestion = suggest(str(name), names)
                raise AnswerError("A011", {"id": criterion.id, "name": name, "known": names},
                                  "inputs", {"suggestion": suggestion} if suggestion else None)
            if is_empty(value):
                continue
            number = self._number(criterion, value, part="inputs", name=name)
            if number < 0:
                raise AnswerError("A012", {"id": criterion.id, "name": name,
                                           "value": shown(value)}, "inputs")
            inputs[name] = number
        return {"inputs": inputs}

    def read_value(self, criterion, raw):
        if is_empty(raw):
            return None
        if isinstance(raw, (dict, list)):
            from app.rubric.errors import Term

            found = Term("a mapping") if isinstance(raw, dict) else Term("a list")
            raise AnswerError("A008", {"id": criterion.id, "found": found}, "value")
        number = self._number(criterion, raw, part="value")
        if self.percent and not criterion.computed and not 0 <= number <= 100:
            raise AnswerError("A003", {"id": criterion.id, "value": shown(raw)}, "value")
        low, high = criterion.minimum, criterion.maximum
        if low is not None and number < low:
            raise AnswerError("A021", {"id": criterion.id, "value": shown(raw),
                                       "limit": plain_num(low)}, "value")
        if high is not None and number > high:
            raise AnswerError("A022", {"id": criterion.id, "value": shown(raw),
                                       "limit": plain_num(high)}, "value")
        return number

    def _number(self, criterion, raw, *, part: str, name: str | None = None) -> float:
        if isinstance(raw, bool):
            raise AnswerError("A004", {"id": criterion.id, "value": shown(raw)}, part)
        try:
            number = read_number(raw)
        except NumberError as error:
            code = {"ambiguous": "A023", "large": "A024"}.get(error.reason, "A004")
            params = {"id": criterion.id, "value": shown(raw)}
            if name is not None and code == "A004":
                code, params = "A012", {**params, "name": name}
            raise AnswerError(code, params, part) from None
        if abs(number) > LARGEST:
            raise AnswerError("A024", {"id": criterion.id, "value": shown(raw)}, part)
        return number

    # --- scoring ----------------------------------------------------------------------------

    def value_of(self, criterion, answer, profile):
        if not criterion.computed:
            return getattr(answer, "value", None)
        inputs = getattr(answer, "inputs", None)
        if inputs is None:
            return None
        return formulas.evaluate(criterion.formula, {**profile, **inputs})

    def details(self, criterion, answer, value, profile):
        if not criterion.computed:
            return {}
        used = {name: profile.get(name) for name in criterion.formula.profile_names()}
        return {"inputs": dict(getattr(answer, "inputs", None) or {}), "profile": used}

    def value_fraction(self, criterion, value, tier_id, own_tier=None):
        if criterion.brackets is not None:
            steps = criterion.brackets_for(tier_id)
            if steps is None and own_tier is not None:
                steps = criterion.brackets_for(own_tier)
            return _bracket_fraction(criterion.bracket_kind, steps or (), value)
        target = criterion.target_for(tier_id)
        floor = criterion.floor_for(tier_id)
        if target is None and own_tier is not None and criterion.target is not None:
            target, floor = criterion.target_for(own_tier), criterion.floor_for(own_tier)
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

    # --- example answers -------------------------------------------------------------------

    def demo_value(self, criterion, tier_id, q, profile):
        if criterion.brackets is not None:
            steps = criterion.brackets_for(tier_id) or ()
            step = min(steps, key=lambda b: abs(b.fraction - q))
            return step.bound
        target = criterion.target_for(tier_id)
        floor = criterion.floor_for(tier_id)
        if criterion.better == "lower":
            if floor is not None:
                value = floor - q * (floor - target)
            else:
                value = target / q if q > 0.05 else target * 20
        elif floor is not None:
            value = floor + q * (target - floor)
        else:
            value = target * q
        value = round(value, 1)
        if criterion.maximum is not None and not criterion.computed:
            value = min(value, criterion.maximum)
        return max(value, criterion.minimum) if criterion.minimum is not None else value

    def demo_answer(self, criterion, tier_id, q, profile):
        if not criterion.computed:
            return super().demo_answer(criterion, tier_id, q, profile)
        wanted = self.demo_value(criterion, tier_id, q, profile)
        names = [item.name for item in criterion.inputs]
        if not names:
            return {"inputs": {}}
        rest = {name: 100.0 for name in names[1:]}

        def value_at(x):
            return formulas.evaluate(criterion.formula, {**profile, **rest, names[0]: x})

        if value_at(1.0) is None:  # the profile lacks what the formula reads: left unanswered
            return {"inputs": {}}
        low, high = 0.0, 1.0
        while (value_at(high) or 0) < wanted and high < 1e12:
            high *= 2
        for _step in range(60):  # the value grows with the first input in the usual formulas
            middle = (low + high) / 2
            if (value_at(middle) or 0) < wanted:
                low = middle
            else:
                high = middle
        return {"inputs": {names[0]: round(high), **{k: round(v) for k, v in rest.items()}}}

    # --- storage ----------------------------------------------------------------------------

    def to_storage(self, criterion, answer, profile):
        if criterion.computed:
            if answer.inputs is None:
                return None, None
            value = self.value_of(criterion, answer, profile)
            return value, {"inputs": dict(answer.inputs)}
        return super().to_storage(criterion, answer, profile)

    def from_storage(self, criterion, value, data):
        if criterion.computed:
            inputs = (data or {}).get("inputs")
            # the value as computed when saved rides along (exports print it); scoring
            # always computes it again from the inputs and the pinned profile
            return {} if inputs is None else {"inputs": dict(inputs), "value": value}
        return super().from_storage(criterion, value, data)

    # --- the form ---------------------------------------------------------------------------

    def form_fields(self, criterion, lang="fa"):
        if not criterion.computed:
            return super().form_fields(criterion, lang)
        return tuple(FieldSpec(f"_in_{item.name}", "text", item.title)
                     for item in criterion.inputs)

    def form_widget(self, criterion):
        return "inputs" if criterion.computed else super().form_widget(criterion)

    def raw_from_form(self, criterion, data):
        if not criterion.computed:
            return super().raw_from_form(criterion, data)
        inputs = {item.name: data.get(f"_in_{item.name}") for item in criterion.inputs}
        if all(is_empty(value) for value in inputs.values()):
            return None
        return {"inputs": {k: v for k, v in inputs.items() if not is_empty(v)}}

    def form_data(self, criterion, answer, lang):
        if not criterion.computed:
            return super().form_data(criterion, answer, lang)
        inputs = answer.inputs or {}
        return {f"_in_{item.name}": self.field_text(criterion, inputs.get(item.name), lang)
                for item in criterion.inputs}

    def client_spec(self, criterion, tier_id, reference=None):
        spec = super().client_spec(criterion, tier_id, reference)
        spec["unit"] = self.unit_sign(criterion)
        spec["read"] = {"min": criterion.minimum, "max": criterion.maximum,
                        "percent": self.percent and not criterion.computed,
                        "largest": LARGEST}
        if criterion.computed:
            spec["inputs"] = [item.name for item in criterion.inputs]
            spec["formula"] = criterion.formula.tree
        return spec

    def client_rule(self, criterion, tier_id, own_tier):
        if criterion.brackets is not None:
            steps = criterion.brackets_for(tier_id)
            if steps is None and own_tier is not None:
                steps = criterion.brackets_for(own_tier)
            return {"brackets": [[b.bound, b.fraction] for b in steps or ()],
                    "kind": criterion.bracket_kind}
        target = criterion.target_for(tier_id)
        floor = criterion.floor_for(tier_id)
        if target is None and own_tier is not None and criterion.target is not None:
            target, floor = criterion.target_for(own_tier), criterion.floor_for(own_tier)
        return {"target": target, "floor": floor, "better": criterion.better}

    # --- words ------------------------------------------------------------------------------

    def unit_sign(self, criterion, lang: str = "fa") -> str:
        return criterion.unit_label

    def say_value(self, criterion, value, lang):
        text = format_quantity(value, lang)
        sign = self.unit_sign(criterion, lang)
        if sign in ("٪", "%"):  # a percent sign follows its number: «۹۵٪», "95%"
            return text + sign
        return f"{text} {sign}" if sign else text

    def inputs_text(self, criterion, answer, lang="fa"):
        inputs = getattr(answer, "inputs", None)
        if not criterion.computed or not inputs:
            return ""
        return list_separator(lang).join(
            f"{item.title}: {format_quantity(inputs[item.name], lang)} {item.unit_label}".strip()
            for item in criterion.inputs if inputs.get(item.name) is not None)

    def short_text(self, criterion, answer, lang="fa"):
        value = getattr(answer, "value", None)
        if criterion.samples is not None or value is None:
            return self.value_text(criterion, answer, lang)
        return format_quantity(value, lang, grouping=False)

    def target_text(self, criterion, tier_id, lang="fa"):
        """The target in words, «دست‌کم ۹۰ ٪» or «حداکثر ۱۵ روز» — words, not ≥/≤: those
        signs are mirrored in right-to-left text and would read backwards."""
        gettext = translator(lang).gettext
        if criterion.brackets is not None:
            steps = criterion.brackets_for(tier_id)
            if not steps:
                return ""
            top = max(steps, key=lambda b: (b.fraction, -b.bound if criterion.bracket_kind
                                            == "max" else b.bound))
            return self._bound_text(criterion, top.bound, criterion.bracket_kind == "max",
                                    gettext, lang)
        target = criterion.target_for(tier_id)
        if target is None:
            return ""
        return self._bound_text(criterion, target, criterion.better == "lower", gettext, lang)

    def _bound_text(self, criterion, value, lower: bool, gettext, lang) -> str:
        shown_value = self.say_value(criterion, value, lang)
        template = N_("at most %(value)s") if lower else N_("at least %(value)s")
        return gettext(template) % {"value": shown_value}

    def bracket_rows(self, criterion, tier_id, lang="fa") -> list[dict]:
        """The steps of tier `tier_id` as a small table: the range in words and the share."""
        steps = criterion.brackets_for(tier_id) or ()
        gettext = translator(lang).gettext
        rows = []
        ordered = sorted(steps, key=lambda b: b.bound, reverse=criterion.bracket_kind == "min")
        for step in ordered:
            rows.append({"when": self._bound_text(criterion, step.bound,
                                                  criterion.bracket_kind == "max", gettext, lang),
                         "fraction": step.fraction,
                         "share": format_percent(step.fraction * 100, lang)})
        return rows


class PercentType(NumberType):
    name = "percent"
    title = N_("a percentage")
    default_min = 0.0
    default_max = 100.0
    percent = True

    def unit_sign(self, criterion, lang="fa"):
        return criterion.unit_label or percent_sign(lang)


def _bracket_fraction(kind: str, steps, value: float) -> float:
    """With `min` brackets the largest min ≤ v applies; with `max` the smallest max ≥ v;
    when none applies, 0."""
    if kind == "max":
        fitting = [b for b in steps if b.bound >= value]
        return min(fitting, key=lambda b: b.bound).fraction if fitting else 0.0
    fitting = [b for b in steps if b.bound <= value]
    return max(fitting, key=lambda b: b.bound).fraction if fitting else 0.0


def _declared_names(field) -> list[str]:
    """Every key written under ``inputs:`` (also those refused), so that a formula is not
    reported a second time for a name whose definition was already reported."""
    if field is None or not isinstance(field.node, MappingNode):
        return []
    return [normalise_text(k.value) for k, _v in field.node.value if isinstance(k, ScalarNode)]


def _formula_position(node, offset: int) -> tuple[int, int]:
    """The line and column of character `offset` of a formula written on one line."""
    line, col = position(node)
    if not isinstance(node, ScalarNode) or "\n" in node.value:
        return line, col
    if node.style in ('"', "'"):
        return line, col + 1 + offset
    if node.style in (None, ""):
        return line, col + offset
    return line, col

