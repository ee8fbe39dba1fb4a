"""Planning a cycle: the evaluations of a province's municipalities, who inspects and reviews
each, their due dates and tiers. One documented function per use case; each flushes, the
caller commits; every change is audited with what it was and what it became."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app import audit, workflow
from app.admin.users.services import role_label
from app.authoring.services import latest_version, rubric_of
from app.errors import ServiceError
from app.evaluations.services import create_evaluation, rescore
from app.extensions import db
from app.i18n import _, list_separator, normalise_text, search_key
from app.models import (
    Assignment,
    Evaluation,
    EvaluationCycle,
    Municipality,
    Province,
    RubricVersion,
    User,
)


def users_with_role(role: str, province_id: int | None = None) -> list[User]:
    """Active users holding `role` who may work in `province_id` (unscoped users may)."""
    query = select(User).where(User.active.is_(True), User.roles.contains(role))
    if province_id is not None:
        query = query.where(or_(User.province_id.is_(None), User.province_id == province_id))
    return [u for u in db.session.scalars(query.order_by(User.full_name, User.username))
            if u.has_role(role)]


# --- planning --------------------------------------------------------------------------------

def rubric_ids() -> list[str]:
    """The rubrics that have a published version."""
    return list(db.session.scalars(select(RubricVersion.rubric_id).distinct()
                                   .order_by(RubricVersion.rubric_id)))


def rubric_versions() -> list[RubricVersion]:
    """Every published version, each rubric's newest first: planning chooses one by its
    label («municipal-units 1405.1»)."""
    return list(db.session.scalars(select(RubricVersion).order_by(
        RubricVersion.rubric_id, RubricVersion.published_at.desc(), RubricVersion.id.desc())))


def version_choice(version: RubricVersion) -> str:
    """How a version is named in the planning form: its rubric, its label and its title."""
    # the rubric's id and label are Latin text: isolated, so they read right in either direction
    return f"\u2066{version.rubric_id} {version.version_label}\u2069 — {version.title}"


def _version_to_plan(rubric_id: str | None, version_id: int | None) -> RubricVersion:
    if version_id is not None:
        version = db.session.get(RubricVersion, version_id)
        if version is None:
            raise ServiceError(_("Unknown rubric version. Choose one from the list."), 422)
        return version
    version = latest_version(rubric_id) if rubric_id else None
    if version is None:
        raise ServiceError(_("The rubric %(id)s has no published version. Publish it first.",
                             id=rubric_id or "—"), 422)
    return version


def plan_evaluations(cycle: EvaluationCycle, province: Province, rubric_id: str | None = None,
                     *, version_id: int | None = None, due_date: dt.date | None = None,
                     actor=None) -> tuple[list[Evaluation], int]:
    """Create the draft evaluations of every municipality of `province` in `cycle`, pinned to
    the rubric version chosen (`version_id`, by its label in the form) or else the rubric's
    latest published version, snapshotting each municipality's tier.

    Municipalities already evaluated in the cycle are skipped. Returns (created, skipped).
    All or nothing: a municipality that no tier of the rubric fits refuses the whole plan.
    """
    if not cycle.is_open:
        raise ServiceError(_("The cycle is closed. Open it before planning evaluations."), 409)
    version = _version_to_plan(rubric_id, version_id)
    rubric_id = version.rubric_id
    rubric = rubric_of(version)
    planned = set(db.session.scalars(select(Evaluation.municipality_id)
                                     .where(Evaluation.cycle_id == cycle.id)))
    todo = [m for m in province.municipalities if m.id not in planned]
    misfits = [m.name for m in todo if rubric.tier_for(m.grade, m.population) is None]
    if misfits:
        raise ServiceError(_("No tier of the rubric fits %(names)s. Correct their grade or "
                             "population first.", names=list_separator().join(misfits)), 422)
    due = due_date or cycle.visit_end
    created = [create_evaluation(m, cycle, version, user=actor, due_date=due) for m in todo]
    if created:
        audit.record("cycle.plan", "cycle", cycle.id, user=actor, province=province.name,
                     rubric_id=rubric_id, rubric_version=version.version_label,
                     created=[e.id for e in created], skipped=len(planned))
    db.session.flush()
    return created, len(province.municipalities) - len(todo)


def _names(users) -> list[str]:
    return sorted(u.username for u in users)


def assign(evaluations, *, inspectors=None, reviewer: User | None = None,
           due_date: dt.date | None = None, actor=None) -> int:
    """Set who inspects and reviews each of `evaluations` and when it is due.

    `inspectors` (a list) replaces the evaluation's inspectors; `reviewer` replaces its
    reviewer; `due_date` replaces its due date; None leaves that part as it is. Inspectors
    must be active users with the inspector role, the reviewer an active reviewer, both
    allowed in the municipality's province. Approved evaluations cannot be reassigned.
    All or nothing. Returns how many evaluations changed.
    """
    evaluations = list(evaluations)
    if not evaluations:
        raise ServiceError(_("Select at least one evaluation."), 422)
    if inspectors is None and reviewer is None and due_date is None:
        raise ServiceError(_("Choose inspectors, a reviewer or a due date to set."), 422)
    locked = [e.municipality.name for e in evaluations if workflow.is_locked(e)]
    if locked:
        raise ServiceError(_("Approved evaluations cannot be reassigned: %(names)s.",
                             names=list_separator().join(locked)), 409)
    for person, role in [(u, "inspector") for u in inspectors or ()] + \
            ([(reviewer, "reviewer")] if reviewer is not None else []):
        if not person.active or not person.has_role(role):
            raise ServiceError(_("%(name)s is not an active user with the role %(role)s.",
                                 name=person.display_name, role=role_label(role)), 422)
        for evaluation in evaluations:
            province_id = evaluation.municipality.province_id
            if person.province_id is not None and person.province_id != province_id:
                raise ServiceError(_("%(name)s works for another province than %(town)s.",
                                     name=person.display_name,
                                     town=evaluation.municipality.name), 422)
    changed = 0
    for evaluation in evaluations:
        old = _assignment_state(evaluation)
        if inspectors is not None:
            _replace(evaluation, "inspector", inspectors)
        if reviewer is not None:
            _replace(evaluation, "reviewer", [reviewer])
        if due_date is not None:
            evaluation.due_date = due_date
        db.session.flush()
        new = _assignment_state(evaluation)
        if new != old:
            changed += 1
            audit.record("evaluation.assign", "evaluation", evaluation.id, user=actor,
                         evaluation=evaluation, old=old, new=new)
    return changed


def _assignment_state(evaluation: Evaluation) -> dict:
    return {"inspectors": _names(evaluation.users_in_role("inspector")),
            "reviewer": (_names(evaluation.users_in_role("reviewer")) or [None])[0],
            "due_date": evaluation.due_date}


def _replace(evaluation: Evaluation, role: str, users) -> None:
    wanted = {u.id for u in users}
    for assignment in [a for a in evaluation.assignments if a.role == role]:
        if assignment.user_id not in wanted:
            evaluation.assignments.remove(assignment)
    present = {a.user_id for a in evaluation.assignments if a.role == role}
    for user in users:
        if user.id not in present:
            evaluation.assignments.append(Assignment(user=user, role=role))
            present.add(user.id)


def retier(evaluation: Evaluation, tier_id: str, reason: str, *, actor=None) -> None:
    """Put an evaluation in another tier of its pinned rubric (for example after the
    municipality's grade changed), re-snapshot the profile and rescore; the reason is
    required and audited. Approved evaluations keep their tier."""
    if workflow.is_locked(evaluation):
        raise ServiceError(_("An approved evaluation keeps its tier."), 409)
    reason = normalise_text(reason)
    if not reason:
        raise ServiceError(_("Write the reason for changing the tier."), 422)
    if len(reason) > 1000:
        raise ServiceError(_("The reason is too long (at most %(n)s characters).", n=1000),
                           422)
    rubric = rubric_of(evaluation.rubric_version)
    tier = rubric.tier(tier_id)
    if tier is None:
        raise ServiceError(_("Unknown tier. Choose one of the rubric's tiers."), 422)
    municipality = evaluation.municipality
    basis = municipality.tier_basis()
    if tier.id == evaluation.tier_id and not municipality.profile_differs(evaluation.tier_basis):
        raise ServiceError(_("The evaluation already has this tier and this profile."), 409)
    old = {"tier": evaluation.tier_id, "basis": dict(evaluation.tier_basis or {})}
    evaluation.tier_id = tier.id
    evaluation.tier_basis = basis
    rescore(evaluation)
    db.session.flush()
    suggested = rubric.tier_for(municipality.grade, municipality.population)
    audit.record("evaluation.retier", "evaluation", evaluation.id, user=actor,
                 evaluation=evaluation, old=old, new={"tier": tier.id, "basis": basis},
                 reason=reason, profile_tier=getattr(suggested, "id", None))


def plan_table(cycle: EvaluationCycle, province_ids=None) -> dict:
    """The plan of a cycle as plain rows: municipality, tier, inspectors, reviewer, due date,
    status, and whether the profile now points to another tier; plus the municipalities of
    the provinces not planned yet."""
    query = (select(Evaluation).join(Municipality)
             .where(Evaluation.cycle_id == cycle.id)
             .options(selectinload(Evaluation.assignments).selectinload(Assignment.user),
                      selectinload(Evaluation.municipality),
                      selectinload(Evaluation.rubric_version))
             .order_by(Municipality.name))
    if province_ids is not None:
        query = query.where(Municipality.province_id.in_(list(province_ids)))
    rows = []
    for evaluation in db.session.scalars(query):
        rubric = rubric_of(evaluation.rubric_version)
        tier = rubric.tier(evaluation.tier_id)
        town = evaluation.municipality
        now = rubric.tier_for(town.grade, town.population)
        rows.append({
            "id": evaluation.id, "municipality": town.name, "municipality_id": town.id,
            "grade": (evaluation.tier_basis or {}).get("grade"),
            "tier_id": evaluation.tier_id, "tier_title": tier.title if tier else "",
            "profile_tier": getattr(now, "id", None),
            "profile_changed": town.profile_differs(evaluation.tier_basis),
            "inspectors": [u.display_name for u in evaluation.users_in_role("inspector")],
            "reviewer": ", ".join(u.display_name for u in evaluation.users_in_role("reviewer")),
            "due_date": evaluation.due_date, "status": evaluation.state,
            "locked": workflow.is_locked(evaluation),
            "rubric": f"{evaluation.rubric_version.rubric_id} "
                      f"{evaluation.rubric_version.version_label}",
        })
    rows.sort(key=lambda row: search_key(row["municipality"]))  # the same on every database
    planned = {row["municipality_id"] for row in rows}
    towns = select(Municipality).order_by(Municipality.name)
    if province_ids is not None:
        towns = towns.where(Municipality.province_id.in_(list(province_ids)))
    unplanned = [m.name for m in db.session.scalars(towns) if m.id not in planned]
    return {"rows": rows, "unplanned": unplanned}


