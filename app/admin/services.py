"""Administration use cases: users, municipalities, cycles, planning and the audit trail.

One documented function per use case. Each changes the session and flushes; the caller (a view
inside ``app.db.writing()``, or a command) commits, so a refused or failed use case leaves
nothing behind. Every change is audited with what it was and what it became. A refusal raises
:class:`ServiceError` with a translated message saying what to do instead.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app import audit
from app.admin import importing
from app.auth.sessions import end_all as end_sessions
from app.authoring.services import latest_version, rubric_of
from app.evaluations.services import ServiceError, create_evaluation, rescore
from app.extensions import db
from app.i18n import LOCAL_TIMEZONE, _, normalise_text, search_key
from app.models import (
    ROLES,
    Assignment,
    AuditEvent,
    Evaluation,
    EvaluationCycle,
    EvaluationStatus,
    Municipality,
    Province,
    User,
)

__all__ = ["ServiceError"]  # re-exported: views catch it from here

#: login names: Latin lower-case letters, digits, dot, dash and underscore
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,59}")
#: letters and digits that cannot be mistaken for one another when read aloud or copied
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


# --- users -----------------------------------------------------------------------------------

def role_label(role: str) -> str:
    """A role's name in the user's language."""
    labels = {"inspector": _("Inspector"), "reviewer": _("Reviewer"),
              "author": _("Rubric author"), "admin": _("Administrator")}
    return labels.get(role, role)


def temporary_password() -> str:
    """A random password to hand over once, e.g. ``k7dm-x3qa-pf9w`` (about 74 bits)."""
    return "-".join("".join(secrets.choice(_PASSWORD_ALPHABET) for _i in range(5))
                    for _j in range(3))


def _profile(user: User) -> dict:
    return {"full_name": user.full_name, "roles": sorted(user.role_set),
            "province_id": user.province_id, "active": bool(user.active)}


def _check_roles(roles) -> list[str]:
    roles = list(dict.fromkeys(roles or ()))
    if not roles:
        raise ServiceError(_("Choose at least one role."), 422)
    if set(roles) - set(ROLES):
        raise ServiceError(_("Unknown role. Choose among the roles listed."), 422)
    return roles


def _check_province(province_id: int | None) -> None:
    if province_id is not None and db.session.get(Province, province_id) is None:
        raise ServiceError(_("Unknown province. Choose one from the list."), 422)


def _other_active_admins(user: User) -> int:
    return db.session.scalar(select(func.count(User.id)).where(
        User.id != user.id, User.active.is_(True), User.roles.contains("admin"))) or 0


def _guard_admin_loss(user: User, *, actor, keeps_admin: bool, stays_active: bool) -> None:
    """Refuse a change that would lock the actor or everyone out of administration."""
    if keeps_admin and stays_active:
        return
    if user.id == getattr(actor, "id", None):
        raise ServiceError(_("You cannot remove your own administrator role or deactivate "
                             "yourself. Ask another administrator."), 409)
    if user.active and user.has_role("admin") and _other_active_admins(user) == 0:
        raise ServiceError(_("This is the last active administrator. Give another user the "
                             "administrator role first."), 409)


def create_user(*, username: str, full_name: str, roles, province_id: int | None = None,
                locale: str = "fa", actor=None) -> tuple[User, str]:
    """A new active user with a temporary password, which is returned to be shown once.

    The user must choose their own password at first login (``must_change_password``).
    """
    username = normalise_text(username).lower()
    if not USERNAME.fullmatch(username):
        raise ServiceError(_("The username may hold only Latin letters, digits, «.», «-» and "
                             "«_», 2 to 60 of them, starting with a letter or digit."), 422)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ServiceError(_("The username %(name)s is already taken. Choose another.",
                             name=username), 409)
    roles = _check_roles(roles)
    _check_province(province_id)
    user = User(username=username, full_name=normalise_text(full_name), province_id=province_id,
                locale=locale if locale in ("fa", "en") else "fa", active=True)
    user.set_roles(roles)
    password = temporary_password()
    user.set_password(password)
    user.must_change_password = True
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", "user", user.id, user=actor, username=username,
                 new=_profile(user))
    return user, password


def update_user(user: User, *, full_name: str, roles, province_id: int | None, active: bool,
                actor=None) -> dict:
    """Change a user's name, roles, province scope and active flag; returns the changes
    (field → [old, new]), which are audited."""
    roles = _check_roles(roles)
    _check_province(province_id)
    _guard_admin_loss(user, actor=actor, keeps_admin="admin" in roles, stays_active=active)
    old = _profile(user)
    user.full_name = normalise_text(full_name)
    user.set_roles(roles)
    user.province_id = province_id
    user.active = bool(active)
    new = _profile(user)
    changes = {key: [old[key], new[key]] for key in new if old[key] != new[key]}
    if changes.keys() & {"roles", "province_id", "active"}:
        # what the user may reach changed: every session of theirs starts again
        end_sessions(user, "roles", keep_current=actor is not None and actor.id == user.id)
    if changes:
        db.session.flush()
        audit.record("user.update", "user", user.id, user=actor, username=user.username,
                     old={k: v[0] for k, v in changes.items()},
                     new={k: v[1] for k, v in changes.items()})
    return changes


def deactivate_user(user: User, *, actor=None) -> bool:
    """Deactivate a user (users are never deleted: the audit trail points at them).
    Returns False when the user was already inactive."""
    if not user.active:
        return False
    _guard_admin_loss(user, actor=actor, keeps_admin=True, stays_active=False)
    user.active = False
    end_sessions(user, "deactivated")
    db.session.flush()
    audit.record("user.deactivate", "user", user.id, user=actor, username=user.username,
                 old={"active": True}, new={"active": False})
    return True


def reset_password(user: User, *, actor=None) -> str:
    """Give the user a new temporary password, returned to be shown once; they must change
    it at their next login. The password itself is never audited."""
    password = temporary_password()
    user.set_password(password)
    user.must_change_password = True
    # every session and remember cookie of theirs ends (an admin resetting their own
    # password keeps this one, and must then choose a new password before anything else)
    end_sessions(user, "reset", keep_current=actor is not None and actor.id == user.id)
    db.session.flush()
    audit.record("user.password_reset", "user", user.id, user=actor, username=user.username)
    return password


def list_users() -> list[User]:
    """Every user, active ones first, by login name."""
    return list(db.session.scalars(select(User).order_by(User.active.desc(), User.username)))


def users_with_role(role: str, province_id: int | None = None) -> list[User]:
    """Active users holding `role` who may work in `province_id` (unscoped users may)."""
    query = select(User).where(User.active.is_(True), User.roles.contains(role))
    if province_id is not None:
        query = query.where(or_(User.province_id.is_(None), User.province_id == province_id))
    return [u for u in db.session.scalars(query.order_by(User.full_name, User.username))
            if u.has_role(role)]


# --- provinces and municipalities ------------------------------------------------------------

def provinces_for(actor) -> list[Province]:
    """The provinces `actor` administers: their own when scoped, else all."""
    query = select(Province).order_by(Province.name)
    if getattr(actor, "province_id", None) is not None:
        query = query.where(Province.id == actor.province_id)
    return list(db.session.scalars(query))


def find_province(name: str) -> Province | None:
    key = search_key(name)
    return next((p for p in db.session.scalars(select(Province)) if search_key(p.name) == key),
                None)


def find_municipalities(query: str = "", province_ids=None) -> list[Municipality]:
    """Municipalities whose name or county contains `query`, spelled with Persian or Arabic
    letters and either kind of digits alike; limited to `province_ids` when given."""
    statement = select(Municipality).options(selectinload(Municipality.province))
    if province_ids is not None:
        statement = statement.where(Municipality.province_id.in_(list(province_ids)))
    rows = db.session.scalars(statement.order_by(Municipality.name)).all()
    key = search_key(query)
    if not key:
        return list(rows)
    return [m for m in rows
            if key in (m.name_key or search_key(m.name)) or key in search_key(m.county)]


def _check_profile(values: dict) -> dict:
    """The profile values checked against the same rules as the import."""
    checked = {}
    for key, value in values.items():
        column = importing.BY_KEY.get(key)
        if column is None or key not in importing.PROFILE_FIELDS:
            raise ServiceError(_("Unknown field %(field)s.", field=key), 422)
        try:
            checked[key] = importing.check_cell(column, value)
        except ValueError as error:
            raise ServiceError(f"{column.label}: {error}", 422) from None
    if "grade" in checked and checked["grade"] is None:
        raise ServiceError(_("The grade is required (1 to 12)."), 422)
    if "county" in checked and checked["county"] is None:
        checked["county"] = ""
    return checked


def update_municipality(municipality: Municipality, values: dict, *, actor=None,
                        source: str = "form") -> dict:
    """Change a municipality's profile (county, grade, population, census year, budget,
    staff, area); returns and audits the changes (field → [old, new]).

    Evaluations already planned keep their tier snapshot: an admin re-tiers them with a
    reason (:func:`retier`).
    """
    checked = _check_profile(values)
    changes = {key: [getattr(municipality, key), value] for key, value in checked.items()
               if getattr(municipality, key) != value}
    if not changes:
        return {}
    for key, (_old, new) in changes.items():
        setattr(municipality, key, new)
    db.session.flush()
    audit.record("municipality.update", "municipality", municipality.id, user=actor,
                 municipality_id=municipality.id, name=municipality.name, source=source,
                 old={k: v[0] for k, v in changes.items()},
                 new={k: v[1] for k, v in changes.items()})
    return changes


def import_municipalities(filename: str, data: bytes, province_name: str, *, actor=None,
                          dry_run: bool = False,
                          max_bytes: int = importing.MAX_BYTES) -> importing.ImportPlan:
    """Check a CSV/XLSX file of municipality profiles and, unless `dry_run` or any row has a
    problem, create the new municipalities and update the changed ones (every change audited).

    All or nothing: with any problem nothing is written and the plan lists every problem.
    The province is created when it does not exist yet (a fresh installation).
    """
    province_name = normalise_text(province_name)
    if not province_name or len(province_name) > 100:
        raise ServiceError(_("Choose the province to import into."), 422)
    province = find_province(province_name)
    existing = list(province.municipalities) if province is not None else []
    plan = importing.plan_import(filename, data, province.name if province else province_name,
                                 existing, max_bytes=max_bytes)
    if dry_run or not plan.ok:
        return plan
    if province is None:
        province = Province(name=province_name)
        db.session.add(province)
        db.session.flush()
        audit.record("province.create", "province", province.id, user=actor, name=province_name)
    by_id = {m.id: m for m in existing}
    for row in plan.rows:
        if row.status == "new":
            profile = {k: v for k, v in row.values.items() if k in importing.PROFILE_FIELDS}
            municipality = Municipality(province=province, name=row.name,
                                        name_key=search_key(row.name),
                                        **{"county": "", **profile})
            db.session.add(municipality)
            db.session.flush()
            row.municipality_id = municipality.id
            audit.record("municipality.create", "municipality", municipality.id, user=actor,
                         municipality_id=municipality.id, name=row.name, source="import",
                         file=filename, row=row.row, new=profile)
        elif row.status == "changed":
            municipality = by_id[row.municipality_id]
            for key, (_old, new) in row.changes.items():
                setattr(municipality, key, new)
            db.session.flush()
            audit.record("municipality.update", "municipality", municipality.id, user=actor,
                         municipality_id=municipality.id, name=municipality.name,
                         source="import", file=filename, row=row.row,
                         old={k: v[0] for k, v in row.changes.items()},
                         new={k: v[1] for k, v in row.changes.items()})
    audit.record("municipality.import", "province", province.id, user=actor, file=filename,
                 new_rows=plan.count("new"), changed_rows=plan.count("changed"),
                 unchanged_rows=plan.count("unchanged"))
    plan.applied = True
    return plan


# --- cycles ----------------------------------------------------------------------------------

def create_cycle(*, year: int, title: str, visit_start: dt.date | None,
                 visit_end: dt.date | None, actor=None) -> EvaluationCycle:
    """A new open evaluation cycle for a Jalali year, with its visit window."""
    if not isinstance(year, int) or not 1300 <= year <= 1500:
        raise ServiceError(_("Enter the Jalali year, from 1300 to 1500 (for example 1404)."),
                           422)
    if db.session.scalar(select(EvaluationCycle.id).where(EvaluationCycle.year == year)):
        raise ServiceError(_("A cycle for the year %(year)s already exists.", year=year), 409)
    if visit_start and visit_end and visit_end < visit_start:
        raise ServiceError(_("The visit window ends before it starts. Check the two dates."),
                           422)
    title = normalise_text(title)
    if len(title) > 200:
        raise ServiceError(_("The title is too long (at most %(n)s characters).", n=200), 422)
    cycle = EvaluationCycle(year=year, title=title, visit_start=visit_start,
                            visit_end=visit_end, is_open=True)
    db.session.add(cycle)
    db.session.flush()
    audit.record("cycle.create", "cycle", cycle.id, user=actor,
                 new={"year": year, "title": title, "visit_start": visit_start,
                      "visit_end": visit_end})
    return cycle


def set_cycle_open(cycle: EvaluationCycle, is_open: bool, *, actor=None) -> bool:
    """Open or close a cycle (a closed cycle accepts no new answers). Returns False when
    it already was so."""
    if bool(cycle.is_open) == bool(is_open):
        return False
    cycle.is_open = bool(is_open)
    db.session.flush()
    audit.record("cycle.open" if is_open else "cycle.close", "cycle", cycle.id, user=actor,
                 old={"is_open": not is_open}, new={"is_open": bool(is_open)})
    return True


def list_cycles() -> list[EvaluationCycle]:
    return list(db.session.scalars(select(EvaluationCycle).order_by(EvaluationCycle.year.desc())))


# --- planning --------------------------------------------------------------------------------

def rubric_ids() -> list[str]:
    """The rubrics that have a published version."""
    from app.models import RubricVersion

    return list(db.session.scalars(select(RubricVersion.rubric_id).distinct()
                                   .order_by(RubricVersion.rubric_id)))


def plan_evaluations(cycle: EvaluationCycle, province: Province, rubric_id: str, *,
                     due_date: dt.date | None = None, actor=None) -> tuple[list[Evaluation], int]:
    """Create the draft evaluations of every municipality of `province` in `cycle`, pinned to
    the rubric's latest published version and snapshotting each municipality's tier.

    Municipalities already evaluated in the cycle are skipped. Returns (created, skipped).
    All or nothing: a municipality that no tier of the rubric fits refuses the whole plan.
    """
    if not cycle.is_open:
        raise ServiceError(_("The cycle is closed. Open it before planning evaluations."), 409)
    version = latest_version(rubric_id)
    if version is None:
        raise ServiceError(_("The rubric %(id)s has no published version. Publish it first.",
                             id=rubric_id), 422)
    rubric = rubric_of(version)
    planned = set(db.session.scalars(select(Evaluation.municipality_id)
                                     .where(Evaluation.cycle_id == cycle.id)))
    todo = [m for m in province.municipalities if m.id not in planned]
    misfits = [m.name for m in todo if rubric.tier_for(m.grade, m.population) is None]
    if misfits:
        raise ServiceError(_("No tier of the rubric fits %(names)s. Correct their grade or "
                             "population first.", names="، ".join(misfits)), 422)
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
    locked = [e.municipality.name for e in evaluations if e.is_locked]
    if locked:
        raise ServiceError(_("Approved evaluations cannot be reassigned: %(names)s.",
                             names="، ".join(locked)), 409)
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
    if evaluation.is_locked:
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
            "due_date": evaluation.due_date, "status": evaluation.status,
            "locked": evaluation.is_locked,
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


# --- the audit trail -------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditFilter:
    """What to show of the audit trail; None means "any". Dates are whole days in Iran."""

    user_id: int | None = None
    municipality_id: int | None = None
    evaluation_id: int | None = None
    action: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _utc_start_of(day: dt.date) -> dt.datetime:
    """The stored (naive UTC) time at which `day` begins in Iran."""
    local = dt.datetime.combine(day, dt.time.min, tzinfo=LOCAL_TIMEZONE)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _audit_conditions(filters: AuditFilter) -> list:
    conditions = []
    if filters.user_id is not None:
        conditions.append(AuditEvent.user_id == filters.user_id)
    if filters.municipality_id is not None:
        conditions.append(AuditEvent.municipality_id == filters.municipality_id)
    if filters.evaluation_id is not None:
        conditions.append(AuditEvent.evaluation_id == filters.evaluation_id)
    if filters.action:
        conditions.append(AuditEvent.action == filters.action)
    if filters.date_from is not None:
        conditions.append(AuditEvent.at >= _utc_start_of(filters.date_from))
    if filters.date_to is not None:
        conditions.append(AuditEvent.at < _utc_start_of(filters.date_to + dt.timedelta(1)))
    return conditions


def audit_query(filters: AuditFilter):
    """A select() of the audit events matching `filters`, newest first."""
    return (select(AuditEvent).options(selectinload(AuditEvent.user))
            .where(*_audit_conditions(filters))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))


def audit_page(filters: AuditFilter, page: int = 1, per_page: int = 50
               ) -> tuple[list[AuditEvent], int]:
    """One page of matching events and the number of all matching events."""
    total = db.session.scalar(select(func.count(AuditEvent.id))
                              .where(*_audit_conditions(filters))) or 0
    events = db.session.scalars(audit_query(filters).limit(per_page)
                                .offset((max(page, 1) - 1) * per_page))
    return list(events), total


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).distinct()
                                   .order_by(AuditEvent.action)))


#: cells a spreadsheet would run as a formula (CSV injection)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def audit_csv(filters: AuditFilter, *, limit: int = 100_000) -> str:
    """The matching events as CSV text (UTF-8 with BOM, so Excel reads the Persian), newest
    first, at most `limit` rows. Times are Iran's local time in Jalali, and UTC ISO."""
    from app.i18n import jalali_datetime

    names = {m.id: m.name for m in db.session.scalars(select(Municipality))}
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["id", _("Time (Jalali)"), "utc", _("User"), _("Action"), "object_type",
                     "object_id", _("Evaluation"), _("Municipality"), _("Details")])
    for event in db.session.scalars(audit_query(filters).limit(limit)):
        writer.writerow([_safe_cell(v) for v in (
            event.id, jalali_datetime(event.at, "en"),
            event.at.isoformat(timespec="seconds") + "Z" if event.at else "",
            event.user.username if event.user else "", event.action, event.object_type,
            event.object_id, event.evaluation_id or "",
            names.get(event.municipality_id, event.municipality_id or ""),
            json.dumps(event.details or {}, ensure_ascii=False, sort_keys=True))])
    return out.getvalue()


def statuses() -> tuple[str, ...]:
    return tuple(s.value for s in EvaluationStatus)
