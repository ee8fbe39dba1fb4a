"""Scoring the worked examples a rubric carries (`examples:`), for `arzyab rubric check`."""

from __future__ import annotations

from app.rubric.answers import AnswerError, coerce_answer
from app.rubric.errors import RubricProblem
from app.rubric.model import Rubric
from app.rubric.nodes import suggest


def check_examples(rubric: Rubric) -> list[RubricProblem]:
    """A problem for each example whose score or band differs from what it expects."""
    from app.scoring import score

    problems = []
    for example in rubric.examples:
        where = {"name": example.name}
        municipality = example.municipality
        tier_id = municipality.get("tier")
        if tier_id is None:
            tier = rubric.tier_for(municipality.get("grade"), municipality.get("population"))
            tier_id = tier.id if tier else None
        if tier_id is None or rubric.tier(str(tier_id)) is None:
            problems.append(RubricProblem("X001", example.line, 1, where))
            continue
        answers, failed = {}, False
        for criterion_id, raw in example.answers.items():
            criterion = rubric.criterion(str(criterion_id))
            if criterion is None:
                known = [c.id for c in rubric.criteria()]
                problems.append(RubricProblem("X002", example.line, 1, {
                    **where, "id": criterion_id,
                    "problem": RubricProblem("A001", 0, 0, {"id": criterion_id})},
                    {"suggestion": suggest(str(criterion_id), known)}))
                failed = True
                continue
            try:
                answers[criterion.id] = coerce_answer(criterion, raw)
            except AnswerError as error:
                problems.append(RubricProblem("X002", example.line, 1,
                                              {**where, "id": criterion_id,
                                               "problem": error.problem()}))
                failed = True
        if failed:
            continue
        card = score(rubric, str(tier_id), answers, municipality)
        at = example.expect_line or example.line
        if example.expect_score is not None and card.score != example.expect_score:
            problems.append(RubricProblem("X003", at, 1, {
                **where, "expected": example.expect_score, "got": card.score}))
        if example.expect_band is not None and card.band != example.expect_band:
            problems.append(RubricProblem("X004", at, 1, {
                **where, "expected": example.expect_band, "got": card.band or "—"}))
    return problems
