"""Planning a cycle: the evaluations of a province (pinned to a rubric version chosen by its
label), assigning inspectors, reviewers and due dates, one at a time or many, and re-tiering."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app import params, workflow
from app.admin.common import bp, load, provinces
from app.admin.planning import services
from app.authoring.services import rubric_of
from app.db import writing
from app.errors import ServiceError
from app.extensions import db
from app.i18n import _, digits, search_key
from app.models import Evaluation, EvaluationCycle, Province, User
from forms.admin import (
    AssignForm,
    EvaluationAssignForm,
    PlanForm,
    RetierForm,
    choices,
)

# --- planning -----------------------------------------------------------------------------

def _plan_province() -> Province | None:
    choices_ = provinces()
    wanted = params.to_int(request.values.get("province"))
    chosen = next((p for p in choices_ if p.id == wanted), None)
    if chosen is None:
        default = search_key(current_app.config["PROVINCE_NAME"])
        chosen = next((p for p in choices_ if search_key(p.name) == default),
                      choices_[0] if choices_ else None)
    return chosen


def _people_choices(form, province_id: int | None, blank_reviewer: str) -> None:
    form.inspectors.choices = choices(
        (u.id, u.display_name) for u in services.users_with_role("inspector", province_id))
    form.reviewer.choices = choices([("", blank_reviewer)] + [
        (u.id, u.display_name) for u in services.users_with_role("reviewer", province_id)])


def _plan_forms(cycle, province):
    plan_form = PlanForm(prefix="plan")
    plan_form.province.choices = choices((p.id, p.name) for p in provinces())
    versions = services.rubric_versions()
    plan_form.version.choices = choices((v.id, services.version_choice(v)) for v in versions)
    if not plan_form.is_submitted():
        plan_form.province.data = province.id if province else None
        default = next((v for v in versions
                        if v.rubric_id == current_app.config["DEFAULT_RUBRIC"]), None)
        plan_form.version.data = default.id if default else None
    assign_form = AssignForm(prefix="assign")
    _people_choices(assign_form, province.id if province else None, _("— keep as it is —"))
    evaluation_ids = db.session.scalars(
        select(Evaluation.id).where(Evaluation.cycle_id == cycle.id))
    assign_form.evaluations.choices = choices((i, str(i)) for i in evaluation_ids)
    return plan_form, assign_form


def _render_plan(cycle, province, plan_form, assign_form, status=200):
    table = services.plan_table(cycle, [province.id] if province else [])
    return render_template("admin/plan.html", cycle=cycle, province=province,
                           provinces=provinces(), table=table, plan_form=plan_form,
                           assign_form=assign_form), status


@bp.route("/cycles/<int:cycle_id>/plan", methods=["GET"])
def plan(cycle_id: int):
    cycle = load(EvaluationCycle, cycle_id)
    province = _plan_province()
    plan_form, assign_form = _plan_forms(cycle, province)
    return _render_plan(cycle, province, plan_form, assign_form)


@bp.route("/cycles/<int:cycle_id>/plan", methods=["POST"])
def plan_create(cycle_id: int):
    cycle = load(EvaluationCycle, cycle_id)
    province = _plan_province()
    plan_form, assign_form = _plan_forms(cycle, province)
    if not plan_form.validate_on_submit():
        return _render_plan(cycle, province, plan_form, assign_form, status=422)
    try:
        with writing():
            created, skipped = services.plan_evaluations(
                db.session.get(EvaluationCycle, cycle_id),
                db.session.get(Province, plan_form.province.data),
                version_id=plan_form.version.data, due_date=plan_form.due_date.data,
                actor=current_user)
            created = len(created)
    except ServiceError as error:
        flash(error.message, "error")
        return _render_plan(db.session.get(EvaluationCycle, cycle_id), province, plan_form,
                            assign_form, status=error.status)
    flash(_("Evaluations created: %(created)s. Municipalities that already had one: "
            "%(skipped)s.",
            created=digits(created), skipped=digits(skipped)), "success")
    return redirect(url_for(".plan", cycle_id=cycle_id, province=plan_form.province.data))


@bp.route("/cycles/<int:cycle_id>/assign", methods=["POST"])
def plan_assign(cycle_id: int):
    cycle = load(EvaluationCycle, cycle_id)
    province = _plan_province()
    plan_form, assign_form = _plan_forms(cycle, province)
    if not assign_form.validate_on_submit():
        flash(_("Some fields need correcting; see the marked fields."), "error")
        return _render_plan(cycle, province, plan_form, assign_form, status=422)
    try:
        with writing():
            evaluations = [load(Evaluation, i) for i in assign_form.evaluations.data]
            changed = services.assign(
                evaluations, inspectors=_users(assign_form.inspectors.data) or None,
                reviewer=_user_or_none(assign_form.reviewer.data),
                due_date=assign_form.due_date.data, actor=current_user)
    except ServiceError as error:
        flash(error.message, "error")
        return _render_plan(db.session.get(EvaluationCycle, cycle_id), province, plan_form,
                            assign_form, status=error.status)
    flash(_("Assignments saved. Evaluations changed: %(n)s.", n=digits(changed)), "success")
    return redirect(url_for(".plan", cycle_id=cycle_id,
                            province=province.id if province else None))


def _users(ids) -> list[User]:
    if not ids:
        return []
    found = list(db.session.scalars(select(User).where(User.id.in_(list(ids)))))
    if len(found) != len(set(ids)):
        abort(400)
    return found


def _user_or_none(user_id: int | None) -> User | None:
    return _users([user_id])[0] if user_id is not None else None


@bp.route("/evaluations/<int:evaluation_id>/assign", methods=["GET", "POST"])
def evaluation_assign(evaluation_id: int):
    evaluation = load(Evaluation, evaluation_id)
    form = EvaluationAssignForm()
    _people_choices(form, evaluation.municipality.province_id, _("— keep as it is —"))
    if not form.is_submitted():
        form.inspectors.data = [u.id for u in evaluation.users_in_role("inspector")]
        reviewers = evaluation.users_in_role("reviewer")
        form.reviewer.data = reviewers[0].id if reviewers else None
        form.due_date.data = evaluation.due_date
    if form.validate_on_submit():
        try:
            with writing():
                changed = services.assign(
                    [db.session.get(Evaluation, evaluation_id)],
                    inspectors=_users(form.inspectors.data),
                    reviewer=_user_or_none(form.reviewer.data), due_date=form.due_date.data,
                    actor=current_user)
                cycle_id = db.session.get(Evaluation, evaluation_id).cycle_id
        except ServiceError as error:
            flash(error.message, "error")
            return render_template("admin/evaluation_assign.html", form=form,
                                   evaluation=evaluation), error.status
        flash(_("Assignments saved.") if changed else _("Nothing changed."), "success")
        return redirect(url_for(".plan", cycle_id=cycle_id,
                                province=evaluation.municipality.province_id))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/evaluation_assign.html", form=form,
                           evaluation=evaluation), status


@bp.route("/evaluations/<int:evaluation_id>/retier", methods=["GET", "POST"])
def evaluation_retier(evaluation_id: int):
    evaluation = load(Evaluation, evaluation_id)
    rubric = rubric_of(evaluation.rubric_version)
    town = evaluation.municipality
    suggested = rubric.tier_for(town.grade, town.population)
    form = RetierForm()
    form.tier.choices = choices((t.id, f"{t.id} — {t.title}" if t.title else t.id)
                                for t in rubric.tiers)
    if not form.is_submitted():
        form.tier.data = suggested.id if suggested else evaluation.tier_id

    def page(status=200):
        return render_template("admin/retier.html", form=form, evaluation=evaluation,
                               rubric=rubric, suggested=suggested,
                               locked=workflow.is_locked(evaluation),
                               profile=town.tier_basis()), status

    if workflow.is_locked(evaluation):
        flash(_("An approved evaluation keeps its tier."), "error")
        return page(409)
    if form.validate_on_submit():
        try:
            with writing():
                current = db.session.get(Evaluation, evaluation_id)
                services.retier(current, form.tier.data, form.reason.data, actor=current_user)
                cycle_id = current.cycle_id
        except ServiceError as error:
            flash(error.message, "error")
            return page(error.status)
        flash(_("The evaluation is re-tiered and rescored."), "success")
        return redirect(url_for(".plan", cycle_id=cycle_id, province=town.province_id))
    return page(422 if form.is_submitted() else 200)


