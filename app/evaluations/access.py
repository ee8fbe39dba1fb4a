"""Who may see and change which evaluation. Every view asks here; nothing else decides."""

from __future__ import annotations

from sqlalchemy import select

from app.models import Assignment, Evaluation, EvaluationStatus


def _assigned(user, evaluation: Evaluation, role: str) -> bool:
    return any(a.user_id == user.id and a.role == role for a in evaluation.assignments)


def can_view(user, evaluation: Evaluation) -> bool:
    if not user or not user.is_authenticated:
        return False
    if user.has_role("admin"):
        return True
    return (user.has_role("inspector") and _assigned(user, evaluation, "inspector")) or (
        user.has_role("reviewer") and _assigned(user, evaluation, "reviewer"))


def can_edit_answers(user, evaluation: Evaluation) -> bool:
    """Inspectors assigned to it, while it is a draft or returned and its cycle is open."""
    return (user.is_authenticated and user.has_role("inspector")
            and _assigned(user, evaluation, "inspector")
            and evaluation.status in (EvaluationStatus.DRAFT, EvaluationStatus.RETURNED)
            and evaluation.cycle.is_open)


def can_review(user, evaluation: Evaluation) -> bool:
    return (user.is_authenticated and evaluation.status == EvaluationStatus.SUBMITTED
            and user.has_role("reviewer") and _assigned(user, evaluation, "reviewer"))


def visible_evaluations_query(user):
    """A select() of the evaluations `user` may see."""
    query = select(Evaluation)
    if user.has_role("admin"):
        return query
    roles = [r for r in ("inspector", "reviewer") if user.has_role(r)]
    if not roles:
        return query.where(Evaluation.id.is_(None))
    mine = select(Assignment.evaluation_id).where(Assignment.user_id == user.id,
                                                  Assignment.role.in_(roles))
    return query.where(Evaluation.id.in_(mine))
