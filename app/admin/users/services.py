"""User accounts: creating, changing, deactivating, resetting passwords, importing from a
file. One documented function per use case; each flushes, the caller commits; every change is
audited with what it was and what it became, and a change of what a user may reach (roles,
province, municipality, active) ends every session of theirs (app.auth.sessions)."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import func, select

from app import access, audit
from app.auth.sessions import end_all as end_sessions
from app.errors import ServiceError
from app.extensions import db
from app.i18n import _, normalise_text
from app.models import MUNICIPALITY_ROLES, PROVINCE_ROLES, ROLES, Municipality, Province, User
from app.models.users import ROLE_TITLES

#: login names: Latin lower-case letters, digits, dot, dash and underscore
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,59}")
#: letters and digits that cannot be mistaken for one another when read aloud or copied
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


# --- users -----------------------------------------------------------------------------------



def role_label(role: str) -> str:
    """A role's name in the user's language."""
    return _(ROLE_TITLES[role]) if role in ROLE_TITLES else role


def temporary_password() -> str:
    """A random password to hand over once, e.g. ``k7dm-x3qa-pf9w`` (about 74 bits)."""
    return "-".join("".join(secrets.choice(_PASSWORD_ALPHABET) for _i in range(5))
                    for _j in range(3))


def _profile(user: User) -> dict:
    return {"full_name": user.full_name, "roles": sorted(user.role_set),
            "province_id": user.province_id, "municipality_id": user.municipality_id,
            "active": bool(user.active)}


def _check_roles(roles) -> list[str]:
    roles = list(dict.fromkeys(roles or ()))
    if not roles:
        raise ServiceError(_("Choose at least one role."), 422)
    if set(roles) - set(ROLES):
        raise ServiceError(_("Unknown role. Choose among the roles listed."), 422)
    if set(roles) & set(MUNICIPALITY_ROLES) and len(roles) > 1:
        raise ServiceError(_("A municipality's account holds that role alone: it speaks for "
                             "the municipality, never for the office."), 422)
    return roles


def _check_place(roles, province_id: int | None, municipality_id: int | None, actor
                 ) -> tuple[int | None, int | None]:
    """The province and municipality a user with `roles` works for, checked: a
    director-general needs a province, a municipality account its municipality (whose
    province it then has); an administrator gives only places they run."""
    if province_id is not None and db.session.get(Province, province_id) is None:
        raise ServiceError(_("Unknown province. Choose one from the list."), 422)
    if set(roles) & set(MUNICIPALITY_ROLES):
        town = db.session.get(Municipality, municipality_id) if municipality_id else None
        if town is None:
            raise ServiceError(_("Choose the municipality this account speaks for."), 422)
        province_id = town.province_id
    else:
        municipality_id = None
    if set(roles) & set(PROVINCE_ROLES) and province_id is None:
        raise ServiceError(_("A director-general works for one province: choose it."), 422)
    if actor is not None and not access.may_administer_province(actor, province_id):
        raise ServiceError(_("You administer one province only: choose it."), 403)
    return province_id, municipality_id


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
                municipality_id: int | None = None, locale: str = "fa",
                actor=None) -> tuple[User, str]:
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
    province_id, municipality_id = _check_place(roles, province_id, municipality_id, actor)
    user = User(username=username, full_name=normalise_text(full_name), province_id=province_id,
                municipality_id=municipality_id,
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
                municipality_id: int | None = None, actor=None) -> dict:
    """Change a user's name, roles, province scope, municipality and active flag; returns
    the changes (field → [old, new]), which are audited. A change of what the user may reach
    ends every session of theirs."""
    roles = _check_roles(roles)
    province_id, municipality_id = _check_place(roles, province_id, municipality_id, actor)
    _guard_admin_loss(user, actor=actor, keeps_admin="admin" in roles, stays_active=active)
    old = _profile(user)
    user.full_name = normalise_text(full_name)
    user.set_roles(roles)
    user.province_id = province_id
    user.municipality_id = municipality_id
    user.active = bool(active)
    new = _profile(user)
    changes = {key: [old[key], new[key]] for key in new if old[key] != new[key]}
    if changes.keys() & {"roles", "province_id", "municipality_id", "active"}:
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


def users_query(actor=None):
    """A select() of the users `actor` administers (app.access; everyone without an actor),
    active ones first, by login name."""
    statement = select(User).order_by(User.active.desc(), User.username)
    if actor is not None:
        statement = statement.where(access.users_condition(actor))
    return statement


def list_users(actor=None) -> list[User]:
    """Every user of :func:`users_query`."""
    return list(db.session.scalars(users_query(actor)))




def import_users(filename: str, data: bytes, *, actor=None, dry_run: bool = False,
                 max_bytes: int | None = None):
    """Check a CSV/XLSX file of user accounts and, unless `dry_run` or any row has a problem,
    create the new accounts (each with a temporary password, returned once in the plan) and
    change the others (every change audited; a change of roles or places ends the user's
    sessions). All or nothing."""
    from app.admin.places.services import provinces_for
    from app.admin.tables import MAX_BYTES
    from app.admin.users.importing import plan_users

    provinces = provinces_for(actor) if actor is not None else list(
        db.session.scalars(select(Province)))
    towns = list(db.session.scalars(select(Municipality).where(
        Municipality.province_id.in_([p.id for p in provinces]))))
    plan = plan_users(filename, data, users=list_users(actor), provinces=provinces,
                      municipalities=towns, max_bytes=max_bytes or MAX_BYTES)
    if dry_run or not plan.ok:
        return plan
    for row in plan.rows:
        try:
            if row.status == "new":
                user, password = create_user(
                    username=row.username, full_name=row.full_name or row.username,
                    roles=row.roles, province_id=row.province_id,
                    municipality_id=row.municipality_id, actor=actor)
                plan.passwords[user.username] = password
            elif row.status == "changed":
                user = db.session.get(User, row.user_id)
                update_user(user, full_name=row.full_name, roles=row.roles,
                            province_id=row.province_id, municipality_id=row.municipality_id,
                            active=bool(user.active), actor=actor)
        except ServiceError as error:
            from app.admin.tables import Problem

            plan.problems.append(Problem(row.row, "", row.username, error.message))
    if plan.problems:  # nothing is kept: the caller's transaction rolls back
        db.session.rollback()
        plan.passwords.clear()
        return plan
    audit.record("user.import", "user", "import", user=actor, file=filename,
                 new_rows=plan.count("new"), changed_rows=plan.count("changed"),
                 unchanged_rows=plan.count("unchanged"))
    plan.applied = True
    return plan


def open_assignments(user: User) -> list:
    """The evaluations not yet locked that `user` inspects or reviews (a deactivation's
    confirmation page lists them: someone else must take them over)."""
    from app import workflow
    from app.models import Assignment, Evaluation

    locked = workflow.in_states([s.id for s in workflow.STATES.values() if s.locked], Evaluation)
    # (ids through a subquery, not DISTINCT over the rows: PostgreSQL cannot compare JSON)
    mine = select(Assignment.evaluation_id).where(Assignment.user_id == user.id)
    return list(db.session.scalars(
        select(Evaluation).where(Evaluation.id.in_(mine), ~locked).order_by(Evaluation.id)))
