"""Formulas of computed criteria: arithmetic over what the inspector counts and the town's profile.

A small parser of our own (never ``eval``): numbers in any digits, names, ``+ - * /``,
parentheses and ``min(…)`` / ``max(…)``. :func:`parse` turns the text into a tree of tuples
or raises :class:`FormulaError` with the offset of the problem; :func:`evaluate` computes it,
returning None when a value is missing or a division by zero happens (the criterion is then
left unanswered, never scored wrong).

>>> f = parse("green_area / population")
>>> evaluate(f, {"green_area": 14400, "population": 1600})
9.0
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from app.i18n import N_, format_quantity, to_latin_digits, translator

#: the municipality profile names a formula may use, and the profile keys they read
PROFILE_NAMES: dict[str, str] = {
    "population": "population",
    "grade": "grade",
    "budget": "budget_million_rial",
    "staff": "staff_count",
    "area": "area_hectares",
}
#: how each profile value is named and counted where a person reads it (translated when shown)
PROFILE_WORDS: dict[str, tuple[str, str]] = {
    "population": (N_("population"), N_("people")),
    "grade": (N_("grade"), ""),
    "budget": (N_("yearly budget"), N_("million rials")),
    "staff": (N_("staff"), N_("people")),
    "area": (N_("area"), N_("hectares")),
}
FUNCTIONS = ("min", "max")
#: a longer formula is surely a mistake (and bounds the parser's work)
MAX_LENGTH = 500
_MAX_DEPTH = 40

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_TOKEN = re.compile(r"\s*(?:(?P<number>[0-9۰-۹٠-٩]+(?:[.٫][0-9۰-۹٠-٩]+)?)"
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[-+*/(),]))")


class FormulaError(ValueError):
    """`kind` is "syntax" (with `found`) or "name" (with `name`); `offset` is 0-based."""

    def __init__(self, kind: str, offset: int, **params: object):
        super().__init__(kind)
        self.kind = kind
        self.offset = offset
        self.params = params


@dataclass(frozen=True)
class Formula:
    """A parsed formula: its text as written, its tree, and the names it reads."""

    text: str
    tree: tuple
    names: frozenset[str]

    def profile_names(self) -> tuple[str, ...]:
        return tuple(name for name in PROFILE_NAMES if name in self.names)


def parse(text: str, inputs: tuple[str, ...] | frozenset[str] = ()) -> Formula:
    """The formula in `text`; names must be `inputs` or profile names."""
    if len(text) > MAX_LENGTH:
        raise FormulaError("long", 0, limit=MAX_LENGTH)
    parser = _Parser(text, frozenset(inputs))
    tree = parser.expression(0)
    if parser.token is not None:
        raise FormulaError("syntax", parser.token[2], found=parser.token[1])
    return Formula(text, tree, frozenset(parser.names))


def evaluate(formula: Formula, values: Mapping[str, float | None]) -> float | None:
    """The formula's value; None when a name has no value or a division by zero happens."""
    try:
        return _eval(formula.tree, values)
    except (_Missing, ZeroDivisionError, OverflowError):
        return None


def profile_values(profile: Mapping[str, object] | None) -> dict[str, float]:
    """Formula names → numbers from a municipality profile (its keys as stored, or the
    formula names themselves, as answers files write them)."""
    result: dict[str, float] = {}
    for name, key in PROFILE_NAMES.items():
        if not profile:
            break
        value = profile.get(key, profile.get(name))
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, (int, float)):
            result[name] = float(value)
    return result


def say_profile(name: str, value: float | None, lang: str = "fa") -> str:
    """A profile value in words: «جمعیت ۱٬۶۰۰ نفر», «population 1,600 people»."""
    gettext = translator(lang).gettext
    title, unit = PROFILE_WORDS[name]
    text = f"{gettext(title)} {format_quantity(value, lang)}"
    return f"{text} {gettext(unit)}" if unit else text


class _Missing(Exception):
    pass


def _eval(node: tuple, values) -> float:
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "name":
        value = values.get(node[1])
        if value is None:
            raise _Missing(node[1])
        return float(value)
    if kind == "neg":
        return -_eval(node[1], values)
    if kind == "call":
        args = [_eval(arg, values) for arg in node[2]]
        return min(args) if node[1] == "min" else max(args)
    left, right = _eval(node[1], values), _eval(node[2], values)
    if kind == "+":
        return left + right
    if kind == "-":
        return left - right
    if kind == "*":
        return left * right
    if right == 0:
        raise ZeroDivisionError
    return left / right


class _Parser:
    """Recursive descent: expression := term (('+'|'-') term)*; term := unary (('*'|'/')
    unary)*; unary := '-' unary | atom; atom := number | name | name '(' args ')' | '(' e ')'."""

    def __init__(self, text: str, inputs: frozenset[str]):
        self.text = text
        self.inputs = inputs
        self.names: set[str] = set()
        self.tokens = self._tokenise(text)
        self.index = 0

    @staticmethod
    def _tokenise(text: str) -> list[tuple[str, str, int]]:
        tokens = []
        position = 0
        while position < len(text):
            if text[position:].strip() == "":
                break
            match = _TOKEN.match(text, position)
            if match is None:
                start = position + len(text[position:]) - len(text[position:].lstrip())
                raise FormulaError("syntax", start, found=text[start])
            kind = match.lastgroup
            start = match.start(kind)
            tokens.append((kind, match.group(kind), start))
            position = match.end()
        return tokens

    @property
    def token(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _take(self, value: str | None = None) -> tuple[str, str, int]:
        token = self.token
        if token is None:
            raise FormulaError("end", len(self.text.rstrip()))
        if value is not None and token[1] != value:
            raise FormulaError("syntax", token[2], found=token[1])
        self.index += 1
        return token

    def _at(self, *values: str) -> bool:
        return self.token is not None and self.token[0] == "op" and self.token[1] in values

    def expression(self, depth: int) -> tuple:
        if depth > _MAX_DEPTH:
            raise FormulaError("deep", self.token[2] if self.token else 0, limit=_MAX_DEPTH)
        node = self.term(depth)
        while self._at("+", "-"):
            op = self._take()[1]
            node = (op, node, self.term(depth))
        return node

    def term(self, depth: int) -> tuple:
        node = self.unary(depth)
        while self._at("*", "/"):
            op = self._take()[1]
            node = (op, node, self.unary(depth))
        return node

    def unary(self, depth: int) -> tuple:
        if self._at("-", "+"):
            op = self._take()[1]
            inner = self.unary(depth + 1)
            return ("neg", inner) if op == "-" else inner
        return self.atom(depth)

    def atom(self, depth: int) -> tuple:
        kind, value, start = self._take()
        if kind == "number":
            return ("num", float(to_latin_digits(value).replace("٫", ".")))
        if kind == "name":
            if self._at("("):
                if value not in FUNCTIONS:
                    raise FormulaError("function", start, name=value)
                self._take("(")
                args = [self.expression(depth + 1)]
                while self._at(","):
                    self._take(",")
                    args.append(self.expression(depth + 1))
                self._take(")")
                return ("call", value, tuple(args))
            if value not in self.inputs and value not in PROFILE_NAMES:
                raise FormulaError("name", start, name=value)
            self.names.add(value)
            return ("name", value)
        if value == "(":
            node = self.expression(depth + 1)
            self._take(")")
            return node
        raise FormulaError("syntax", start, found=value)
