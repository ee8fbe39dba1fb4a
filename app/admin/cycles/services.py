"""Evaluation cycles: creating one, opening and closing it. Cycles are national (one per
Jalali year): only a national administrator runs them (app.access). Each function flushes,
the caller commits; every change is audited."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from app import audit, workflow
from app.errors import ServiceError
from app.extensions import db
from app.i18n import _, normalise_text
from app.models import Evaluation, EvaluationCycle


def create_cycle(*, year: int, title: str, visit_start: dt.date | None,
                 visit_end: dt.date | None, declaration_deadline: dt.date | None = None,
                 actor=None) -> EvaluationCycle:
    """A new open evaluation cycle for a Jalali year, with its visit window and the last day
    municipalities may declare their own figures (default: the day before the visits)."""
    if not isinstance(year, int) or not 1300 <= year <= 1500:
        raise ServiceError(_("Enter the Jalali year, from 1300 to 1500 (for example 1404)."),
                           422)
    if db.session.scalar(select(EvaluationCycle.id).where(EvaluationCycle.year == year)):
        raise ServiceError(_("A cycle for the year %(year)s already exists.", year=year), 409)
    if visit_start and visit_end and visit_end < visit_start:
        raise ServiceError(_("The visit window ends before it starts. Check the two dates."),
                           422)
    if declaration_deadline is None and visit_start is not None:
        declaration_deadline = visit_start - dt.timedelta(days=1)
    title = normalise_text(title)
    if len(title) > 200:
        raise ServiceError(_("The title is too long (at most %(n)s characters).", n=200), 422)
    cycle = EvaluationCycle(year=year, title=title, visit_start=visit_start,
                            visit_end=visit_end, declaration_deadline=declaration_deadline,
                            is_open=True)
    db.session.add(cycle)
    db.session.flush()
    audit.record("cycle.create", "cycle", cycle.id, user=actor,
                 new={"year": year, "title": title, "visit_start": visit_start,
                      "visit_end": visit_end, "declaration_deadline": declaration_deadline})
    return cycle


def set_cycle_open(cycle: EvaluationCycle, is_open: bool, *, actor=None) -> bool:
    """Open or close a cycle (a closed cycle accepts no new answers nor declarations).
    Returns False when it already was so."""
    if bool(cycle.is_open) == bool(is_open):
        return False
    cycle.is_open = bool(is_open)
    db.session.flush()
    audit.record("cycle.open" if is_open else "cycle.close", "cycle", cycle.id, user=actor,
                 old={"is_open": not is_open}, new={"is_open": bool(is_open)})
    return True


def set_declaration_deadline(cycle: EvaluationCycle, deadline: dt.date | None, *,
                             actor=None) -> bool:
    """Change the last day of the self-declarations; False when nothing changed."""
    if cycle.declaration_deadline == deadline:
        return False
    old = cycle.declaration_deadline
    cycle.declaration_deadline = deadline
    db.session.flush()
    audit.record("cycle.deadline", "cycle", cycle.id, user=actor,
                 old={"declaration_deadline": old}, new={"declaration_deadline": deadline})
    return True


def list_cycles() -> list[EvaluationCycle]:
    return list(db.session.scalars(select(EvaluationCycle).order_by(EvaluationCycle.year.desc())))


def closing_facts(cycle: EvaluationCycle) -> dict:
    """What closing a cycle stops, for its confirmation page: its evaluations by state (the
    open ones can no longer change)."""
    state = workflow.state_column(Evaluation)
    counts = dict(db.session.execute(
        select(state, func.count()).where(Evaluation.cycle_id == cycle.id).group_by(state)).all())
    still_open = sum(n for s, n in counts.items() if not workflow.is_locked_state(s))
    return {"counts": {s: counts[s] for s in workflow.ordered() if s in counts},
            "still_open": still_open}
