"""Answers files (YAML or JSON): a municipality and criterion id → answer.

Read with the same safe reader and limits as rubrics. Values are converted by the criterion's
type, accepting what inspectors type: Persian and Arabic-Indic digits, «٫» and «٬», the labels
of a scale, «بله» / «خیر». :func:`coerce_answer` is the one place that conversion happens, so
the web forms use it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from app.i18n import normalise_text, parse_number
from app.rubric.errors import RubricError, RubricProblem, Term, Where
from app.rubric.model import Criterion, Rubric
from app.rubric.nodes import Checker, Field, describe, suggest, to_python, yes_no
from app.rubric.reader import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_EVENTS,
    MappingNode,
    Node,
    ScalarNode,
    kind_of,
    position,
    read_tree,
)

TOP_KEYS = ("municipality", "answers", "rubric", "version")
MUNICIPALITY_KEYS = ("name", "grade", "population", "tier")
ANSWER_KEYS = ("value", "note", "na", "reason")

__all__ = ["AnswerError", "AnswerSheet", "AnswerValue", "check_answers", "coerce_answer",
           "load_answers"]


@dataclass(frozen=True)
class AnswerValue:
    """One criterion's answer."""

    value: float | bool | None = None  # None = unanswered
    na: bool = False
    na_reason: str = ""
    note: str = ""


@dataclass(frozen=True)
class AnswerSheet:
    tier_id: str
    municipality: dict
    answers: dict[str, AnswerValue] = field(default_factory=dict)


class AnswerError(ValueError):
    """An answer that cannot be accepted: a catalogue code and its parameters.

    `part` says which part of a ``{value, note, na}`` answer is wrong ("value", "na" or None
    for the answer as a whole), so a form can put the message by the right field.
    """

    def __init__(self, code: str, params: Mapping[str, object], part: str | None = None,
                 hint_params: Mapping[str, object] | None = None):
        self.code = code
        self.params = dict(params)
        self.part = part
        self.hint_params = dict(hint_params or {})
        super().__init__(code)

    def problem(self, line: int = 0, col: int = 0) -> RubricProblem:
        return RubricProblem(self.code, line, col, self.params, self.hint_params)


def _shown(raw: object) -> str:
    if isinstance(raw, bool):
        return f"«{str(raw).lower()}»"
    return f"«{raw}»"


def _is_empty(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not normalise_text(raw))


def coerce_value(criterion: Criterion, raw: object) -> float | bool | None:
    """A bare value converted by the criterion's type; None for an empty one."""
    if _is_empty(raw):
        return None
    cid = criterion.id
    if isinstance(raw, (dict, list)):
        raise AnswerError("A008", {"id": cid, "found": describe_python(raw)}, "value")
    if criterion.type == "yesno":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, (int, float)) and raw in (0, 1):
            return bool(raw)
        answer = yes_no(str(raw))
        if answer is None:
            raise AnswerError("A005", {"id": cid, "value": _shown(raw)}, "value")
        return answer
    if criterion.type == "scale":
        assert criterion.scale is not None
        number = None if isinstance(raw, bool) else parse_number(raw)
        if number is not None:
            if criterion.scale.level(number) is None:
                raise AnswerError("A002", _scale_params(criterion, raw), "value")
            return number
        level = criterion.scale.level_by_label(normalise_text(str(raw)))
        if level is None:
            raise AnswerError("A002", _scale_params(criterion, raw), "value")
        return level.value
    number = None if isinstance(raw, bool) else parse_number(raw)
    if number is None:
        raise AnswerError("A004", {"id": cid, "value": _shown(raw)}, "value")
    if criterion.type == "percent" and not 0 <= number <= 100:
        raise AnswerError("A003", {"id": cid, "value": _shown(raw)}, "value")
    return number


def _scale_params(criterion: Criterion, raw: object) -> dict:
    assert criterion.scale is not None
    levels = [f"{_plain(level.value)} = {level.label}" for level in criterion.scale.levels]
    return {"id": criterion.id, "value": _shown(raw), "levels": levels}


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def describe_python(raw: object) -> str:
    if isinstance(raw, dict):
        return Term("a mapping")
    if isinstance(raw, list):
        return Term("a list")
    return _shown(raw)


def coerce_answer(criterion: Criterion, raw: object) -> AnswerValue:
    """One answer as written — a value, ``{value, note}``, ``{na: reason}`` or
    ``{na: true, reason: …}`` — as an :class:`AnswerValue`; raises :class:`AnswerError`."""
    cid = criterion.id
    if isinstance(raw, list):
        raise AnswerError("A008", {"id": cid, "found": describe_python(raw)})
    if not isinstance(raw, dict):
        return AnswerValue(value=coerce_value(criterion, raw))
    unknown = [key for key in raw if key not in ANSWER_KEYS]
    if unknown:
        suggestion = suggest(str(unknown[0]), ANSWER_KEYS)
        raise AnswerError("A008", {"id": cid, "found": f"«{unknown[0]}»"}, None,
                          {"suggestion": suggestion} if suggestion else None)
    note = "" if _is_empty(raw.get("note")) else normalise_text(str(raw.get("note")))
    na, reason = _na(raw)
    if na:
        if not criterion.allow_na:
            raise AnswerError("A006", {"id": cid}, "na")
        if not _is_empty(raw.get("value")):
            raise AnswerError("A008", {"id": cid, "found": _both()}, "na")
        if not reason:
            raise AnswerError("A007", {"id": cid}, "na")
        return AnswerValue(na=True, na_reason=reason, note=note)
    return AnswerValue(value=coerce_value(criterion, raw.get("value")), note=note)


def _both() -> str:
    return Term("both a value and N/A")


def _na(raw: dict) -> tuple[bool, str]:
    """(is N/A, reason) from ``{na: reason}`` or ``{na: true, reason: …}``."""
    if "na" not in raw:
        return False, ""
    na = raw["na"]
    reason = "" if _is_empty(raw.get("reason")) else normalise_text(str(raw["reason"]))
    if isinstance(na, bool):
        return na, reason
    if _is_empty(na):
        return True, reason
    if isinstance(na, str):
        word = yes_no(na)
        if word is not None:  # «na: yes», «na: "true"», «na: 1»
            return word, reason
        return True, reason or normalise_text(na)
    return True, reason


# --- the file ---------------------------------------------------------------------------------

def load_answers(source: str | bytes | Path, rubric: Rubric, *, filename: str | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES, max_events: int = DEFAULT_MAX_EVENTS,
                 max_depth: int = DEFAULT_MAX_DEPTH) -> AnswerSheet:
    """The answers in `source` for `rubric`; raises :class:`RubricError` with every problem."""
    sheet, problems, name = _check(source, rubric, filename, max_bytes, max_events, max_depth)
    if problems or sheet is None:
        raise RubricError(problems, name)
    return sheet


def check_answers(source: str | bytes | Path, rubric: Rubric, *, filename: str | None = None,
                  max_bytes: int = DEFAULT_MAX_BYTES
                  ) -> tuple[AnswerSheet | None, list[RubricProblem]]:
    sheet, problems, _name = _check(source, rubric, filename, max_bytes, DEFAULT_MAX_EVENTS,
                                    DEFAULT_MAX_DEPTH)
    return (None if problems else sheet), problems


def _check(source, rubric, filename, max_bytes, max_events, max_depth):
    node, name, problems = read_tree(source, filename=filename or None, max_bytes=max_bytes,
                                     max_events=max_events, max_depth=max_depth,
                                     json_tabs=True)
    if node is None:
        return None, problems, name
    checker = _AnswersChecker(rubric)
    sheet = checker.build(node)
    problems = sorted(problems + checker.problems, key=lambda p: (p.line, p.col))
    return (None if problems else sheet), problems, name


class _AnswersChecker(Checker):
    def __init__(self, rubric: Rubric) -> None:
        super().__init__()
        self.rubric = rubric
        self.tier_ids = [tier.id for tier in rubric.tiers]

    def build(self, root: Node) -> AnswerSheet | None:
        top = Where()
        fields = self.mapping(root, top, TOP_KEYS, ("municipality",))
        if fields is None:
            return None
        municipality, tier_id = {}, None
        if "municipality" in fields:
            municipality, tier_id = self._municipality(fields["municipality"])
        answers: dict[str, AnswerValue] = {}
        if "answers" in fields and kind_of(fields["answers"].node) != "null":
            answers = self._answers(fields["answers"])
        if self.problems or tier_id is None:
            return None
        return AnswerSheet(tier_id, municipality, answers)

    def _municipality(self, field: Field) -> tuple[dict, str | None]:
        where = Where((("municipality", ""),))
        fields = self.mapping(field.node, where, MUNICIPALITY_KEYS, key_pos=field)
        if fields is None:
            return {}, None
        result: dict[str, object] = {}
        if "name" in fields:
            result["name"] = self.text(fields["name"], where.at("name"), required=False) or ""
        ok = True
        for key in ("grade", "population"):
            if key in fields and kind_of(fields[key].node) != "null":
                value = self.whole(fields[key], where.at(key))
                if value is None:
                    ok = False
                elif key == "grade" and not 1 <= value <= 12:
                    self.add("R402", fields[key], where=where.at(key),
                             value=describe(fields[key].node))
                    ok = False
                elif key == "population" and value < 0:
                    self.add("R404", fields[key], where=where.at(key),
                             value=describe(fields[key].node))
                    ok = False
                else:
                    result[key] = value
        if "tier" in fields and kind_of(fields["tier"].node) != "null":
            tier = self.text(fields["tier"], where.at("tier"))
            if tier is None:
                return result, None
            if tier not in self.tier_ids:
                self.suggest_or("R206", fields["tier"], tier, self.tier_ids, "define",
                                where=where.at("tier"), known=self.tier_ids)
                return result, None
            result["tier"] = tier
            return result, tier
        if not ok:
            return result, None
        tier = self.rubric.tier_for(result.get("grade"), result.get("population"))
        if tier is None:
            self.add("A009", field, grade=result.get("grade", "—"),
                     population=result.get("population", "—"))
            return result, None
        return result, tier.id

    def _answers(self, field: Field) -> dict[str, AnswerValue]:
        where = Where((("answers", ""),))
        fields = self.mapping(field.node, where, None, key_pos=field)
        if fields is None:
            return {}
        known = [criterion.id for criterion in self.rubric.criteria()]
        answers: dict[str, AnswerValue] = {}
        for key, entry in fields.items():
            criterion = self.rubric.criterion(key)
            if criterion is None:
                self.suggest_or("A001", entry.key_node, key, known, id=key)
                continue
            raw = to_raw(entry.node)
            try:
                answers[key] = coerce_answer(criterion, raw)
            except AnswerError as error:
                line, col = self._where_in(entry, error.part)
                self.problems.append(error.problem(line, col))
        return answers

    def _where_in(self, entry: Field, part: str | None) -> tuple[int, int]:
        node = entry.node
        if isinstance(node, MappingNode) and part is not None:
            for key_node, value_node in node.value:
                if isinstance(key_node, ScalarNode) and key_node.value == part:
                    if kind_of(value_node) == "null" and not value_node.value:
                        return position(key_node)
                    return position(value_node)
            return position(node)
        return entry.pos


def to_raw(node: Node) -> object:
    """An answer node as plain values, scalars kept as their source text (so «۱۲٫۵», «081» and
    the labels arrive as typed), booleans and null as YAML reads them."""
    if isinstance(node, ScalarNode):
        kind = kind_of(node)
        if kind == "null":
            return None
        if kind == "bool":
            return node.value.lower() == "true"
        return normalise_text(node.value) if kind == "str" else node.value
    if isinstance(node, MappingNode):
        return {normalise_text(k.value) if isinstance(k, ScalarNode) else "?": to_raw(v)
                for k, v in node.value}
    return to_python(node)
