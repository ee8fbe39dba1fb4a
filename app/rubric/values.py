"""What an answer holds, and the error raised when one cannot be accepted.

Shared by the answers files, the criterion types and the web forms. Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.rubric.errors import RubricProblem

#: the longest text a typed value may be (a number, a level's key), and an N/A reason: the
#: form's fields, the autosave and the page's script all take these (a note's limit is the
#: configuration's NOTE_MAX_CHARS)
VALUE_MAX_CHARS = 50
REASON_MAX_CHARS = 1000


@dataclass(frozen=True)
class Sample:
    """One observation of a sampled criterion: the site and the value seen there."""

    site: str
    value: float | bool


@dataclass(frozen=True)
class AnswerValue:
    """One criterion's answer. Which of the parts is used depends on the criterion's type:
    `value` for a typed value (a number, a scale level, yes/no), `inputs` for a computed
    criterion, `items` for a checklist (the ticked keys), `samples` for site observations."""

    value: float | bool | None = None
    na: bool = False
    na_reason: str = ""
    note: str = ""
    inputs: Mapping[str, float] | None = None
    items: tuple[str, ...] | None = None
    samples: tuple[Sample, ...] | None = None

    @property
    def empty(self) -> bool:
        """Nothing given (a note alone does not answer a criterion)."""
        return (not self.na and self.value is None and self.inputs is None
                and self.items is None and self.samples is None)


class AnswerError(ValueError):
    """An answer that cannot be accepted: a catalogue code and its parameters.

    `part` says which part of a ``{value, note, na, …}`` answer is wrong ("value", "na",
    "inputs", "samples" or None for the answer as a whole), so a form can put the message by
    the right field.
    """

    def __init__(self, code: str, params: Mapping[str, object], part: str | None = None,
                 hint_params: Mapping[str, object] | None = None, *, hint: str = "default",
                 index: int | None = None):
        self.code = code
        self.params = dict(params)
        self.part = part
        self.hint_params = dict(hint_params or {})
        self.hint = hint
        #: which item of a list part (a sample, 0-based) is wrong, when one is
        self.index = index
        super().__init__(code)

    def problem(self, line: int = 0, col: int = 0) -> RubricProblem:
        return RubricProblem(self.code, line, col, self.params, self.hint_params, self.hint)
