"""Who may see and change what: the one place that decides, for every kind of object.

For each kind — evaluations (their answers, photos, declarations, report texts and reports),
recommendations, dashboard rows and exports, the province comparison, administration lists
and the audit trail — this module answers whether a user may see or change one object, and
gives the SQL condition that lists the objects a user may see. Views, exports and services
ask here and nowhere else; the workflow (``app.workflow``) says what a *state* allows, this
module says *who*.

The roles (``app.models.users.ROLES``):

- inspector: the evaluations they are assigned to inspect; they change answers while the
  state allows it;
- reviewer: the evaluations they are assigned to review (return, report texts, approve), and
  the dashboard's figures of their province; exports hold only what they may open;
- manager (a province's director-general): every evaluation, report and export of their
  province, read-only; signs approved evaluations off (never one they approved themselves);
- municipality (one municipality's account): its own evaluations once the final is issued,
  their reports and recommendations (which it answers), and its self-declaration while the
  cycle, the state and the deadline allow;
- author: rubrics only;
- admin: everything of their province, or of every province when they have none; cycles
  (national objects) only when national.

Every route declares its rule with :func:`route` (or its blueprint with :func:`guard`); a test
fails for a route that declares none.
"""

from __future__ import annotations

import datetime as dt
from functools import wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import and_, false, or_, select, true

from app import workflow

# --- the user ----------------------------------------------------------------------------------


def _logged_in(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _has(user, *roles: str) -> bool:
    return _logged_in(user) and user.has_role(*roles)


def province_of(user) -> int | None:
    return getattr(user, "province_id", None)


def _in_province(user, province_id: int | None) -> bool:
    """The user's province is `province_id`, or they have none (national)."""
    own = province_of(user)
    return own is None or own == province_id


# --- evaluations -------------------------------------------------------------------------------

def _assigned(user, evaluation, role: str) -> bool:
    return any(a.user_id == user.id and a.role == role for a in evaluation.assignments)


def _province_id(evaluation) -> int:
    return evaluation.municipality.province_id


def _own_municipality(user, evaluation) -> bool:
    return (_has(user, "municipality") and user.municipality_id is not None
            and user.municipality_id == evaluation.municipality_id)


def may_view(user, evaluation) -> bool:
    """The evaluation's page, answers, notes, photos and report."""
    if not _logged_in(user):
        return False
    if user.has_role("admin", "manager") and _in_province(user, _province_id(evaluation)):
        return True
    if user.has_role("inspector") and _assigned(user, evaluation, "inspector"):
        return True
    if user.has_role("reviewer") and _assigned(user, evaluation, "reviewer"):
        return True
    return _own_municipality(user, evaluation) and workflow.is_final(evaluation)


def load_evaluation(evaluation_id: int, may=None, options=()):
    """For views: the evaluation `evaluation_id` if the current user may see it (`may`
    decides, :func:`may_view` by default); 404 otherwise (no hint that it exists).
    `options`: loader options for what the view reads of it (SQLAlchemy's)."""
    from app.extensions import db
    from app.models import Evaluation

    evaluation = db.session.get(Evaluation, evaluation_id, options=options)
    if evaluation is None or not (may or may_view)(current_user, evaluation):
        abort(404)
    return evaluation


def may_answer(user, evaluation) -> bool:
    """Answers, photos, verifying declarations, following up recommendations: the assigned
    inspectors, while the state and the cycle allow it."""
    return (_has(user, "inspector") and _assigned(user, evaluation, "inspector")
            and workflow.allows(evaluation, workflow.ANSWER))


def may_review(user, evaluation) -> bool:
    """Comments, report texts, returning: the assigned reviewer, while it waits for review."""
    return (_has(user, "reviewer") and _assigned(user, evaluation, "reviewer")
            and workflow.allows(evaluation, workflow.REVIEW))


def _actor(user, evaluation, actor: str) -> bool:
    """Whether `user` is the `actor` a transition names, for this evaluation."""
    if actor in ("inspector", "reviewer"):
        return _has(user, actor) and _assigned(user, evaluation, actor)
    if actor == "manager":
        return (_has(user, "manager") and province_of(user) is not None
                and province_of(user) == _province_id(evaluation)
                and evaluation.approved_by_id != user.id)  # two people: approve, sign
    return False


def may_move(user, evaluation, name: str) -> bool:
    """Whether `user` may make the workflow transition `name` now."""
    step = workflow.transition(name)
    if not workflow.can_move(evaluation, name) or not _actor(user, evaluation, step.actor):
        return False
    if step.actor == "inspector":  # the inspectors' moves need what answering needs
        return workflow.allows(evaluation, workflow.ANSWER)
    return True


def may_declare(user, evaluation, today: dt.date | None = None) -> bool:
    """The municipality's own self-declaration, while the state, the cycle and the deadline
    allow it."""
    if not _own_municipality(user, evaluation):
        return False
    if not workflow.allows(evaluation, workflow.DECLARE):
        return False
    deadline = evaluation.cycle.declaration_deadline
    return deadline is None or (today or _today()) <= deadline


def may_see_declaration(user, evaluation) -> bool:
    """The declared values: the municipality itself (at any state), and whoever may view the
    evaluation."""
    return _own_municipality(user, evaluation) or may_view(user, evaluation)


def may_sign(user, evaluation) -> bool:
    return may_move(user, evaluation, "sign")


def may_read_report(user, evaluation) -> bool:
    """The PDF: whoever may view the evaluation (a municipality only its finals)."""
    return may_view(user, evaluation)


def evaluations_condition(user):
    """An SQL condition on Evaluation (with Municipality joinable by a subquery) that holds
    for the evaluations `user` may view; the query of every list and export."""
    from app.models import Assignment, Evaluation, Municipality

    if not _logged_in(user):
        return false()
    conditions = []
    if user.has_role("admin", "manager"):
        if province_of(user) is None:
            return true()
        conditions.append(Evaluation.municipality_id.in_(
            select(Municipality.id).where(Municipality.province_id == province_of(user))))
    roles = [r for r in ("inspector", "reviewer") if user.has_role(r)]
    if roles:
        conditions.append(Evaluation.id.in_(
            select(Assignment.evaluation_id).where(Assignment.user_id == user.id,
                                                   Assignment.role.in_(roles))))
    if user.has_role("municipality") and user.municipality_id is not None:
        conditions.append(and_(Evaluation.municipality_id == user.municipality_id,
                               workflow.final_condition(Evaluation)))
    return or_(*conditions) if conditions else false()


def visible_evaluations(user):
    """A select() of the evaluations `user` may view."""
    from app.models import Evaluation

    return select(Evaluation).where(evaluations_condition(user))


def visible_ids(user, evaluation_ids) -> set[int]:
    """The ids among `evaluation_ids` whose evaluation `user` may view."""
    from app.extensions import db
    from app.models import Evaluation

    ids = list(dict.fromkeys(evaluation_ids))
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        found.update(db.session.scalars(select(Evaluation.id).where(
            Evaluation.id.in_(ids[start:start + 500]), evaluations_condition(user))))
    return found


def declarations_condition(user):
    """The evaluations whose declarations `user` may see: as :func:`evaluations_condition`,
    plus every evaluation of a municipality account's own municipality."""
    from app.models import Evaluation

    if _has(user, "municipality") and user.municipality_id is not None:
        return or_(evaluations_condition(user),
                   Evaluation.municipality_id == user.municipality_id)
    return evaluations_condition(user)


# --- photos ------------------------------------------------------------------------------------

def may_view_photo(user, evidence, evaluation) -> bool:
    """A photo: whoever may view its evaluation; the municipality also the documents of its
    own declaration."""
    if evidence.evaluation_id != evaluation.id:
        return False
    if may_view(user, evaluation):
        return True
    return evidence.source == "declaration" and _own_municipality(user, evaluation)


def may_add_photo(user, evaluation, source: str) -> bool:
    if source == "declaration":
        return may_declare(user, evaluation)
    return may_answer(user, evaluation)


def may_remove_photo(user, evidence, evaluation) -> bool:
    return may_add_photo(user, evaluation, evidence.source)


# --- recommendations ---------------------------------------------------------------------------

def may_respond(user, recommendation) -> bool:
    """The municipality answers the recommendations of its own issued finals."""
    evaluation = recommendation.evaluation
    return (_own_municipality(user, evaluation)
            and workflow.allows(evaluation, workflow.RESPOND))


def may_see_recommendation(user, recommendation) -> bool:
    return may_view(user, recommendation.evaluation)


def may_follow_up(user, evaluation) -> bool:
    """The inspectors of the later evaluation judge the earlier recommendations."""
    return may_answer(user, evaluation)


# --- the dashboard, its exports and the province comparison ----------------------------------

def may_see_dashboard(user) -> bool:
    return _has(user, "reviewer", "manager", "admin")


def dashboard_provinces(user) -> tuple[int, ...] | None:
    """The provinces whose dashboard rows (scores of every town) `user` sees: their own, or
    every province (None) when they have none."""
    if province_of(user) is None:
        return None
    return (province_of(user),)


def may_see_province(user, province_id: int) -> bool:
    """Dashboard rows, a municipality's history page and the comparison of `province_id`."""
    return may_see_dashboard(user) and _in_province(user, province_id)


def export_condition(user, kind: str):
    """The evaluations an export of `kind` may hold for `user`:

    - "overview": the dashboard rows (scores, states) — the province scope of the dashboard;
    - "answers": every answer and note — only evaluations the user may open;
    - "finals": the ZIP of final reports — only finals the user may open.
    """
    from app.models import Evaluation, Municipality

    if kind == "overview":
        scope = dashboard_provinces(user)
        if not may_see_dashboard(user):
            return false()
        if scope is None:
            return true()
        return Evaluation.municipality_id.in_(
            select(Municipality.id).where(Municipality.province_id.in_(scope)))
    if kind == "answers":
        return evaluations_condition(user) if may_see_dashboard(user) else false()
    if kind == "finals":
        return (and_(evaluations_condition(user), workflow.final_condition(Evaluation))
                if may_see_dashboard(user) else false())
    raise ValueError(kind)


# --- administration ----------------------------------------------------------------------------

def may_administer(user) -> bool:
    return _has(user, "admin")


def may_run_cycles(user) -> bool:
    """Cycles are national: creating, opening and closing them needs a national admin."""
    return may_administer(user) and province_of(user) is None


def admin_provinces(user) -> tuple[int, ...] | None:
    """The provinces an administrator runs (None: every province)."""
    return None if province_of(user) is None else (province_of(user),)


def may_administer_province(user, province_id: int | None) -> bool:
    """Municipalities, evaluations and users of `province_id` (None: national objects, which
    only a national admin runs)."""
    if not may_administer(user):
        return False
    if province_of(user) is None:
        return True
    return province_id is not None and province_id == province_of(user)


def may_manage_user(actor, user) -> bool:
    """A user account: a national admin any; a province's admin those of their province."""
    return may_administer_province(actor, user.province_id)


def users_condition(actor):
    from app.models import User

    if not may_administer(actor):
        return false()
    if province_of(actor) is None:
        return true()
    return User.province_id == province_of(actor)


def municipalities_condition(actor):
    from app.models import Municipality

    if not may_administer(actor):
        return false()
    if province_of(actor) is None:
        return true()
    return Municipality.province_id == province_of(actor)


def audit_condition(actor):
    """The audit events an administrator may read: all (national), else those about their
    province's municipalities and evaluations, and about its users."""
    from sqlalchemy import String, cast

    from app.models import AuditEvent, Municipality, User

    if not may_administer(actor):
        return false()
    if province_of(actor) is None:
        return true()
    towns = select(Municipality.id).where(Municipality.province_id == province_of(actor))
    people = select(cast(User.id, String)).where(User.province_id == province_of(actor))
    return or_(AuditEvent.municipality_id.in_(towns),
               and_(AuditEvent.object_type == "user", AuditEvent.object_id.in_(people)))


# --- the read API (app.api): the rules above, as SQL conditions for its lists ------------------

def api_evaluations_condition(user):
    """The evaluations whose figures (state, scores, units, gates) the read API lists for
    `user`: the dashboard's rows, as the overview export holds them, and the evaluations they
    may open. Their answers: only those they may open (:func:`may_view`)."""
    return or_(export_condition(user, "overview"), evaluations_condition(user))


def visible_municipalities_condition(user):
    """The municipalities whose profile `user` sees: those of the provinces whose dashboard
    rows they see (:func:`may_see_province`) or that they administer, those of the
    evaluations they may view, and a municipality account's own."""
    from app.models import Evaluation, Municipality

    if not _logged_in(user):
        return false()
    conditions = [Municipality.id.in_(select(Evaluation.municipality_id)
                                      .where(evaluations_condition(user)))]
    if may_see_dashboard(user) or may_administer(user):
        conditions.append(true() if province_of(user) is None
                          else Municipality.province_id == province_of(user))
    if _has(user, "municipality") and user.municipality_id is not None:
        conditions.append(Municipality.id == user.municipality_id)
    return or_(*conditions)


def recommendations_condition(user):
    """The recommendations `user` may see (:func:`may_see_recommendation`), in SQL."""
    from app.models import Evaluation, Recommendation

    return Recommendation.evaluation_id.in_(
        select(Evaluation.id).where(evaluations_condition(user)))


# --- rubrics -----------------------------------------------------------------------------------

def may_author(user) -> bool:
    return _has(user, "author", "admin")


# --- routes: every one declares its rule -------------------------------------------------------

#: rule → what a user must be to reach a route under it at all (the object, if any, is checked
#: by the view through the functions above)
REACH = {
    "public": lambda user: True,
    "account": _logged_in,
    "evaluation": _logged_in,        # object rules: the view loads through may_view & co.
    "declaration": _logged_in,
    "recommendation": _logged_in,
    "portal": lambda user: _has(user, "municipality"),
    "dashboard": may_see_dashboard,
    "comparison": may_see_dashboard,
    "admin": may_administer,
    "rubrics": may_author,
    # the read API: any active user's token; every list and object is filtered by the
    # functions above, as the pages are
    "api": _logged_in,
}
#: endpoints Flask adds itself (files anyone may fetch)
PUBLIC_ENDPOINTS = {"static": "public", "font": "public", "admin.static": "public"}


def _enforce(rule: str):
    """None when the current user may reach a route under `rule`; else the answer: the
    login page (or a 401 in JSON) for nobody logged in, 403 for anyone else."""
    from app.extensions import login_manager

    if rule == "public":
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not REACH[rule](current_user):
        abort(403)
    return None


def route(rule: str):
    """Declare (and enforce, before the view) the access rule of a view."""
    if rule not in REACH:
        raise ValueError(f"unknown access rule {rule!r}")

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            refused = _enforce(rule)
            if refused is not None:
                return refused
            return view(*args, **kwargs)

        guarded.access_rule = rule
        return guarded

    return decorator


_BLUEPRINT_RULES: dict[str, str] = {}


def guard(blueprint, rule: str) -> None:
    """Every view of `blueprint` falls under `rule`, enforced before any of them runs (a view
    added later cannot forget it)."""
    if rule not in REACH:
        raise ValueError(f"unknown access rule {rule!r}")
    _BLUEPRINT_RULES[blueprint.name] = rule
    blueprint.before_request(lambda: _enforce(rule))


def rule_of(app, endpoint: str) -> str | None:
    """The access rule a route falls under, or None when it declares none."""
    if endpoint in PUBLIC_ENDPOINTS:
        return PUBLIC_ENDPOINTS[endpoint]
    view = app.view_functions.get(endpoint)
    own = getattr(view, "access_rule", None)
    if own is not None:
        return own
    blueprint = endpoint.rpartition(".")[0]
    return _BLUEPRINT_RULES.get(blueprint)


def _today() -> dt.date:
    from app.i18n import local_time

    return local_time(dt.datetime.now(dt.UTC)).date()
