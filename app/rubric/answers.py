"""Answers files (YAML or JSON): a municipality and criterion id → answer.

Read with the same safe reader and limits as rubrics. Values are converted by the criterion's
type, accepting what inspectors type: Persian and Arabic-Indic digits, «٫» and «٬», the labels
of a scale, «بله» / «خیر». :func:`coerce_answer` is the one place that conversion happens, so
the web forms use it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.i18n import normalise_text
from app.rubric.errors import RubricError, RubricProblem, Term, Where
from app.rubric.formula import profile_values
from app.rubric.model import Criterion, Rubric
from app.rubric.nodes import Checker, Field, describe, suggest, to_python, yes_no
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
from app.rubric.types.base import shown
from app.rubric.values import AnswerError, AnswerValue, Sample

TOP_KEYS = ("municipality", "answers", "rubric", "version")
MUNICIPALITY_KEYS = ("name", "grade", "population", "tier", "budget", "staff", "area")
#: the keys of an answer mapping every type accepts; each type adds its own (value, inputs …)
COMMON_ANSWER_KEYS = ("note", "na", "reason")

__all__ = ["AnswerError", "AnswerSheet", "AnswerValue", "Sample", "check_answers",
           "coerce_answer", "load_answers"]


@dataclass(frozen=True)
class AnswerSheet:
    tier_id: str
    municipality: dict
    answers: dict[str, AnswerValue] = field(default_factory=dict)

    @property
    def profile(self) -> dict[str, float]:
        """The municipality's profile as formulas read it (population, grade, budget …)."""
        return profile_values(self.municipality)


def _is_empty(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not normalise_text(raw))


def describe_python(raw: object) -> str:
    if isinstance(raw, dict):
        return Term("a mapping")
    if isinstance(raw, list):
        return Term("a list")
    return shown(raw)


def coerce_value(criterion: Criterion, raw: object):
    """A bare value converted by the criterion's type; None for an empty one."""
    return criterion.kind.read_value(criterion, raw)


def coerce_answer(criterion: Criterion, raw: object) -> AnswerValue:
    """One answer as written — a value, ``{value, note}``, ``{na: reason}``,
    ``{na: true, reason: …}``, or the type's own shapes (``{inputs: …}``, ``{samples: …}``,
    a checklist's list) — as an :class:`AnswerValue`; raises :class:`AnswerError`.

    The one reading of answers: answers files, worked examples, the form and the autosave
    all come through here."""
    kind = criterion.kind
    cid = criterion.id
    if not isinstance(raw, dict):
        if isinstance(raw, list) and "value" not in kind.answer_keys(criterion):
            raise AnswerError("A008", {"id": cid, "found": describe_python(raw)})
        return AnswerValue(**kind.read_answer(criterion, raw))
    allowed = COMMON_ANSWER_KEYS + kind.answer_keys(criterion)
    unknown = [key for key in raw if key not in allowed]
    if unknown:
        suggestion = suggest(str(unknown[0]), allowed)
        raise AnswerError("A008", {"id": cid, "found": f"«{unknown[0]}»"}, None,
                          {"suggestion": suggestion} if suggestion else None)
    note = raw.get("note")
    if isinstance(note, bool) or (note is not None and not isinstance(note, str | int | float)):
        raise AnswerError("A008", {"id": cid, "found": describe_python(note)}, "note")
    note = "" if _is_empty(note) else normalise_text(str(note))
    na, reason = _na(raw, cid)
    parts = {key: value for key, value in raw.items() if key not in COMMON_ANSWER_KEYS}
    if na:
        if not criterion.allow_na:
            raise AnswerError("A006", {"id": cid}, "na")
        if any(not _is_empty(value) and value != [] for value in parts.values()):
            raise AnswerError("A008", {"id": cid, "found": _both()}, "na")
        if not reason:
            raise AnswerError("A007", {"id": cid}, "na")
        return AnswerValue(na=True, na_reason=reason, note=note)
    return AnswerValue(note=note, **kind.read_answer(criterion, parts))


def _both() -> str:
    return Term("both a value and N/A")


def _na(raw: dict, cid: str) -> tuple[bool, str]:
    """(is N/A, reason) from ``{na: reason}`` or ``{na: true, reason: …}``.

    In a file, «na: yes» and «na: "true"» read as written; a false N/A is never a reason."""
    if "na" not in raw:
        return False, ""
    na = raw["na"]
    reason_raw = raw.get("reason")
    if reason_raw is not None and (not isinstance(reason_raw, str | int | float)
                                   or isinstance(reason_raw, bool)):
        raise AnswerError("A008", {"id": cid, "found": describe_python(reason_raw)}, "na")
    reason = "" if _is_empty(reason_raw) else normalise_text(str(reason_raw))
    if isinstance(na, bool):
        return na, reason
    if _is_empty(na):
        return True, reason
    if isinstance(na, str):
        word = yes_no(na)
        if word is not None:  # «na: yes», «na: "true"», «na: 1»
            return word, reason
        return True, reason or normalise_text(na)
    raise AnswerError("A008", {"id": cid, "found": describe_python(na)}, "na")


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
        for key in ("budget", "staff", "area"):
            if key in fields and kind_of(fields[key].node) != "null":
                value = self.number(fields[key], where.at(key))
                if value is None:
                    ok = False
                elif value < 0:
                    self.add("R404", fields[key], where=where.at(key),
                             value=describe(fields[key].node))
                    ok = False
                else:
                    result[key] = value
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
                line, col = self._where_in(entry, error.part, error.index)
                self.problems.append(error.problem(line, col))
        return answers

    def _where_in(self, entry: Field, part: str | None, index: int | None = None
                  ) -> tuple[int, int]:
        """Where a problem with `part` of an answer (item `index` of a list) is written."""
        node = entry.node
        if isinstance(node, MappingNode) and part is not None:
            for key_node, value_node in node.value:
                if isinstance(key_node, ScalarNode) and key_node.value == part:
                    if kind_of(value_node) == "null" and not value_node.value:
                        return position(key_node)
                    if (index is not None and isinstance(value_node, SequenceNode)
                            and index < len(value_node.value)):
                        return position(value_node.value[index])
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
