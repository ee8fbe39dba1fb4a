"""Validating YAML nodes one at a time, collecting problems instead of stopping at the first.

Shared by the rubric loader and the answers loader. Every check appends catalogue problems to
``Checker.problems`` and returns None for a value it could not accept, so the caller goes on
with the siblings.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from app.i18n import normalise_text, parse_number, to_latin_digits
from app.rubric.errors import RubricProblem, Term, Where
from app.rubric.reader import MappingNode, Node, ScalarNode, SequenceNode, kind_of, position

_TRUE_WORDS = {"true", "yes", "y", "on", "1", "بله", "آری", "اری", "اره", "آره", "اوهوم"}
_FALSE_WORDS = {"false", "no", "n", "off", "0", "خیر", "نه", "نخیر"}


def yes_no(text: str) -> bool | None:
    """«بله» / «خیر», yes / no, true / false, 1 / 0 → bool; anything else → None."""
    word = to_latin_digits(normalise_text(text)).casefold()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    return None


def suggest(value: str, choices: Iterable[str]) -> str | None:
    """The closest of `choices` to `value`, if any is close enough to be a likely slip."""
    choices = list(choices)
    folded = {choice.casefold(): choice for choice in choices}
    if value.casefold() in folded:
        return folded[value.casefold()]
    match = difflib.get_close_matches(value.casefold(), list(folded), n=1, cutoff=0.6)
    return folded[match[0]] if match else None


def describe(node: Node | None) -> str:
    """A value as shown in a message: «as written», or a word for a list / mapping / nothing."""
    if node is None:
        return Term("empty")
    kind = kind_of(node)
    if kind == "mapping":
        return Term("a mapping")
    if kind == "list":
        return Term("a list")
    if kind == "null" or (kind == "str" and not str(node.value).strip()):
        return Term("empty")
    return f"«{node.value}»"


def shown(node: Node) -> str:
    return describe(node)


@dataclass
class Field:
    """A ``key: value`` pair of a mapping node."""

    key: str
    key_node: Node
    node: Node

    @property
    def pos(self) -> tuple[int, int]:
        """Where a problem with the value is reported: the value, or the key when it is empty."""
        if kind_of(self.node) == "null" and not self.node.value:
            return position(self.key_node)
        return position(self.node)


class Checker:
    def __init__(self) -> None:
        self.problems: list[RubricProblem] = []

    # --- reporting ------------------------------------------------------------------------

    def add(self, code: str, at: Node | Field | tuple[int, int], hint: str = "default",
            hint_params: dict | None = None, **params: object) -> None:
        if isinstance(at, Field):
            line, col = at.pos
        elif isinstance(at, tuple):
            line, col = at
        else:
            line, col = position(at)
        self.problems.append(RubricProblem(code, line, col, params, hint_params or {}, hint))

    def suggest_or(self, code: str, at, value: str, choices: Sequence[str],
                   fallback_hint: str = "none", **params: object) -> None:
        """Report an unknown name, with «did you mean» when a known one is close; otherwise
        with `fallback_hint` (a hint variant of the entry; "none" shows no hint)."""
        suggestion = suggest(value, choices)
        if suggestion is not None:
            self.add(code, at, hint_params={"suggestion": suggestion}, value=value, **params)
        else:
            self.add(code, at, hint=fallback_hint, value=value, **params)

    # --- containers -----------------------------------------------------------------------

    def mapping(self, node: Node, where: Where, allowed: Sequence[str] | None = None,
                required: Sequence[str] = (), *, key_pos: Field | None = None
                ) -> dict[str, Field] | None:
        """The fields of a mapping node, reporting a wrong kind, duplicates, unknown and
        missing keys. With `allowed` None every key is accepted."""
        if not isinstance(node, MappingNode):
            self.add("R101", key_pos or node, where=where, found=describe(node))
            return None
        fields: dict[str, Field] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.add("R103", key_node, where=where, found=describe(key_node))
                continue
            key = normalise_text(key_node.value)
            if key in fields:
                first = position(fields[key].key_node)[0]
                self.add("R109", key_node, key=key, where=where, first_line=first,
                         line=position(key_node)[0])
                continue
            if allowed is not None and key not in allowed:
                suggestion = suggest(key, allowed)
                if suggestion is not None:
                    self.add("R108", key_node, hint_params={"suggestion": suggestion},
                             key=key, where=where)
                else:
                    self.add("R108", key_node, hint="allowed",
                             hint_params={"allowed": list(allowed)}, key=key, where=where)
                continue
            fields[key] = Field(key, key_node, value_node)
        for key in required:
            if key not in fields:
                self.add("R107", key_pos or node, where=where, key=key)
        return fields

    def sequence(self, field: Field, where: Where, *, nonempty: bool = True
                 ) -> list[Node] | None:
        node = field.node
        if kind_of(node) == "null" and nonempty:
            self.add("R111", field, where=where)
            return None
        if not isinstance(node, SequenceNode):
            self.add("R102", field, where=where, found=describe(node))
            return None
        if nonempty and not node.value:
            self.add("R111", field, where=where)
            return None
        return list(node.value)

    # --- scalars --------------------------------------------------------------------------

    def text(self, field: Field | None, where: Where, *, required: bool = True
             ) -> str | None:
        """Free text (normalised). Numbers and booleans are taken as written."""
        if field is None:
            return None
        node = field.node
        if not isinstance(node, ScalarNode):
            self.add("R103", field, where=where, found=describe(node))
            return None
        value = "" if kind_of(node) == "null" else normalise_text(node.value)
        if not value and required:
            self.add("R110", field, where=where, hint_params={"key": field.key})
            return None
        return value

    def ident(self, field: Field | None, where: Where) -> str | None:
        """An id or code: text; a bare number is refused (``1.10`` would become 1.1)."""
        if field is None:
            return None
        node = field.node
        kind = kind_of(node)
        if kind in ("int", "float"):
            raw = node.value
            self.add("R201", field, raw=raw, where=where, parsed=_as_yaml_reads(raw, kind),
                     hint_params={"fixed": f'{field.key}: "{raw}"'})
            return normalise_text(raw)  # go on with the code as written
        return self.text(field, where)

    def number(self, field: Field | Node | None, where: Where) -> float | None:
        if field is None:
            return None
        node = field.node if isinstance(field, Field) else field
        value = node_number(node)
        if value is None:
            self.add("R104", field, where=where, found=describe(node))
        return value

    def whole(self, field: Field | Node | None, where: Where) -> int | None:
        if field is None:
            return None
        node = field.node if isinstance(field, Field) else field
        value = node_number(node)
        if value is None or not float(value).is_integer():
            self.add("R105", field, where=where, found=describe(node))
            return None
        return int(value)

    def boolean(self, field: Field | None, where: Where) -> bool | None:
        if field is None:
            return None
        node = field.node
        value = None
        if isinstance(node, ScalarNode) and kind_of(node) != "null":
            value = yes_no(node.value)
        if value is None:
            self.add("R106", field, where=where, found=describe(node))
        return value


def node_number(node: Node) -> float | None:
    """A scalar's number from its source text: Persian / Arabic-Indic digits, «٫», «٬»."""
    if not isinstance(node, ScalarNode):
        return None
    kind = kind_of(node)
    if kind in ("bool", "null"):
        return None
    value = parse_number(node.value)
    if value is None and kind == "int":  # 0x1F, 0o17: YAML spellings parse_number skips
        try:
            value = float(int(node.value.replace("_", ""), 0))
        except ValueError:
            value = None
    return value


def _as_yaml_reads(raw: str, kind: str) -> str:
    try:
        if kind == "int":
            return str(int(raw.replace("_", ""), 0))
        return repr(float(raw.replace("_", "")))
    except ValueError:
        return raw


def to_python(node: Node) -> object:
    """Plain Python values from a node: quoted scalars stay text, plain ones as YAML reads them.

    Numbers keep their digits as written (``"۲۵"`` stays text) — the consumer parses them.
    """
    if isinstance(node, MappingNode):
        result = {}
        for key_node, value_node in node.value:
            key = normalise_text(key_node.value) if isinstance(key_node, ScalarNode) else "?"
            result[key] = to_python(value_node)
        return result
    if isinstance(node, SequenceNode):
        return [to_python(item) for item in node.value]
    kind = kind_of(node)
    if kind == "null":
        return None
    if kind == "bool":
        return node.value.lower() == "true"
    if kind in ("int", "float"):
        value = node_number(node)
        if value is None:
            return node.value
        return int(value) if kind == "int" else value
    return normalise_text(node.value)


ConvertFn = Callable[[Field | Node, Where], object]


# --- per-tier values ----------------------------------------------------------------------------

def once(values: dict[str, tuple[float, Node]], scalar_node: Node):
    """The entries of a per-tier result, a scalar written once being reported only once."""
    seen_scalar = False
    for tier, (value, node) in values.items():
        if node is scalar_node:
            if seen_scalar:
                continue
            seen_scalar = True
        yield tier, (value, node)


def entry_where(where: Where, tier: str, node: Node, field: Field) -> Where:
    """The place of one tier's value: the key itself for a scalar, «key.TIER» in a mapping."""
    if node is field.node:
        return where
    return Where(where.path, f"{where.key}.{tier}")


def report_at(field: Field, node: Node) -> Field | Node:
    """Where to report a per-tier value: the field for a scalar, the entry in a mapping."""
    return field if node is field.node else node


def plain_num(value: float) -> float | int:
    """A number for messages: 90.0 → 90."""
    return int(value) if float(value).is_integer() else value
