"""The criterion types: one object per type, found by the name the rubric gives in ``type:``.

Everything a type means (its YAML keys and checks, its answers, its fraction, its form
fields, its words, what the page's script needs) lives in its class; the loader, the
scoring engine, the forms, the reports and the exports ask it. To add a type, write a
module with a :class:`CriterionType` subclass, register it here (or call :func:`register`),
and describe it in ``rubrics/README.md``.
"""

from __future__ import annotations

from app.rubric.types.base import CriterionType, FieldSpec, Measure, aggregate
from app.rubric.types.checklist import ChecklistType
from app.rubric.types.choice import ScaleType, YesNoType, level_key
from app.rubric.types.measured import NumberType, PercentType

_TYPES: dict[str, CriterionType] = {}


def register(kind: CriterionType) -> CriterionType:
    """Make `kind` known to the loader and everything after it, by its `name`."""
    _TYPES[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Forget a type (tests that register one of their own)."""
    _TYPES.pop(name, None)


def type_of(name: str) -> CriterionType:
    return _TYPES[name]


def type_names() -> tuple[str, ...]:
    return tuple(_TYPES)


def all_keys() -> tuple[str, ...]:
    """Every YAML key some type adds, in a stable order."""
    keys: list[str] = []
    for kind in _TYPES.values():
        keys += [key for key in kind.keys if key not in keys]
    return tuple(keys)


for _kind in (ScaleType(), YesNoType(), NumberType(), PercentType(), ChecklistType()):
    register(_kind)

__all__ = ["CriterionType", "FieldSpec", "Measure", "aggregate", "all_keys", "level_key",
           "register", "type_names", "type_of", "unregister"]
