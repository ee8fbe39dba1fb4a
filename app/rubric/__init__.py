"""Rubrics: the YAML format, its safe loader with an author-grade error catalogue, and the
frozen model the rest of the system uses. No Flask, no database.

>>> rubric = load_rubric("rubrics/municipal-units.yaml")       # raises RubricError
>>> rubric, problems = check_rubric(text, filename="x.yaml")   # never raises for a bad file
>>> for problem in problems: print(format_problem(problem, "x.yaml", "fa"))
"""

from app.rubric.answers import (
    AnswerError,
    AnswerSheet,
    AnswerValue,
    check_answers,
    coerce_answer,
    load_answers,
)
from app.rubric.errors import CATALOGUE, RubricError, RubricProblem, format_problem
from app.rubric.loader import check_rubric, load_rubric
from app.rubric.model import (
    Band,
    Criterion,
    Example,
    Rubric,
    Scale,
    ScaleLevel,
    Tier,
    Unit,
)

__all__ = [
    "CATALOGUE", "AnswerError", "AnswerSheet", "AnswerValue", "Band", "Criterion", "Example",
    "Rubric", "RubricError", "RubricProblem", "Scale", "ScaleLevel", "Tier", "Unit",
    "check_answers", "check_rubric", "coerce_answer", "format_problem", "load_answers",
    "load_rubric",
]
