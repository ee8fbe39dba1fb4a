"""Administration pages: users, municipalities (and their import), cycles, planning and the
audit trail. Thin: load, check, validate, call a service inside ``writing()``, respond.

Only active administrators reach anything under /admin: the guard sits on the whole
blueprint, so a view added later cannot forget it.
"""

from __future__ import annotations

import datetime as dt
import json
import math

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import params
from app.admin import importing, services
from app.admin.services import ServiceError
from app.auth.decorators import require_roles
from app.authoring.services import rubric_of
from app.db import writing
from app.extensions import db
from app.i18n import _, current_lang, persian_digits, search_key
from app.models import AuditEvent, Evaluation, EvaluationCycle, Municipality, Province, User
from forms.admin import (
    AssignForm,
    AuditFilterForm,
    ConfirmForm,
    CycleForm,
    EvaluationAssignForm,
    ImportConfirmForm,
    ImportForm,
    MunicipalityForm,
    PlanForm,
    RetierForm,
    UserCreateForm,
    UserEditForm,
    choices,
)

bp = Blueprint("admin", __name__, url_prefix="/admin", static_folder="static",
               static_url_path="/static")

AUDIT_PER_PAGE = 50


@bp.before_request
def _only_admins():
    require_roles("admin")


@bp.context_processor
def _helpers():
    return {"role_label": services.role_label, "status_label": _status_label,
            "details_text": _details_text}


def _details_text(details) -> str:
    return json.dumps(details or {}, ensure_ascii=False, sort_keys=True)


def _status_label(status: str) -> str:
    return {"draft": _("Draft"), "submitted": _("Submitted"), "returned": _("Returned"),
            "approved": _("Approved")}.get(status, status)


def _digits(value) -> str:
    return persian_digits(value) if current_lang() == "fa" else str(value)


def _no_store(response):
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- scope: the provinces this administrator runs ---------------------------------------

def _provinces() -> list[Province]:
    return services.provinces_for(current_user)


def _scope_ids() -> list[int] | None:
    """None when the administrator is not limited to a province."""
    if current_user.province_id is None:
        return None
    return [current_user.province_id]


def _in_scope(province_id: int) -> bool:
    scope = _scope_ids()
    return scope is None or province_id in scope


def _load(model, object_id: int):
    row = db.session.get(model, object_id)
    if row is None:
        abort(404)
    province_id = None
    if isinstance(row, Municipality):
        province_id = row.province_id
    elif isinstance(row, Evaluation):
        province_id = row.municipality.province_id
    if province_id is not None and not _in_scope(province_id):
        abort(404)
    return row


# --- home ---------------------------------------------------------------------------------

@bp.route("/")
def index():
    counts = {
        "users": db.session.scalar(select(func.count(User.id)).where(User.active.is_(True))),
        "municipalities": db.session.scalar(select(func.count(Municipality.id))),
        "cycles": db.session.scalar(select(func.count(EvaluationCycle.id))),
        "events": db.session.scalar(select(func.count(AuditEvent.id))),
    }
    return render_template("admin/index.html", counts=counts, cycles=services.list_cycles())


# --- users --------------------------------------------------------------------------------

def _province_choices(form_field, blank: str | None = None) -> None:
    pairs = [(p.id, p.name) for p in _provinces()]
    if blank is not None and current_user.province_id is None:
        pairs.insert(0, ("", blank))
    form_field.choices = choices(pairs)


@bp.route("/users")
def users():
    provinces = {p.id: p.name for p in db.session.scalars(select(Province))}
    return render_template("admin/users.html", users=services.list_users(),
                           provinces=provinces)


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = UserCreateForm()
    _province_choices(form.province, blank=_("All provinces"))
    if form.validate_on_submit():
        try:
            with writing():
                user, password = services.create_user(
                    username=form.username.data, full_name=form.full_name.data,
                    roles=form.roles.data, province_id=form.province.data, actor=current_user)
                username = user.username
        except ServiceError as error:
            flash(error.message, "error")
            return render_template("admin/user_form.html", form=form, user=None), error.status
        return _no_store(render_template("admin/password_once.html", username=username,
                                         password=password, created=True))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int):
    user = _load(User, user_id)
    form = UserEditForm(obj=None if request.method == "POST" else user)
    if request.method == "GET":
        form.roles.data = sorted(user.role_set)
        form.province.data = user.province_id
        form.active.data = bool(user.active)
    _province_choices(form.province, blank=_("All provinces"))
    if form.validate_on_submit():
        try:
            with writing():
                changes = services.update_user(
                    db.session.get(User, user_id), full_name=form.full_name.data,
                    roles=form.roles.data, province_id=form.province.data,
                    active=form.active.data, actor=current_user)
        except ServiceError as error:
            flash(error.message, "error")
            return render_template("admin/user_form.html", form=form, user=user,
                                   confirm=ConfirmForm()), error.status
        flash(_("Saved.") if changes else _("Nothing changed."), "success")
        return redirect(url_for(".users"))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/user_form.html", form=form, user=user,
                           confirm=ConfirmForm()), status


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def user_deactivate(user_id: int):
    _load(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        with writing():
            done = services.deactivate_user(db.session.get(User, user_id), actor=current_user)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for(".user_edit", user_id=user_id))
    flash(_("The user is deactivated and can no longer log in.") if done
          else _("The user was already inactive."), "success")
    return redirect(url_for(".users"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
def user_password(user_id: int):
    _load(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with writing():
        user = db.session.get(User, user_id)
        password = services.reset_password(user, actor=current_user)
        username = user.username
    return _no_store(render_template("admin/password_once.html", username=username,
                                     password=password, created=False))


# --- municipalities -----------------------------------------------------------------------

@bp.route("/municipalities")
def municipalities():
    query = request.args.get("q", "")[:100]
    found = services.find_municipalities(query, _scope_ids())
    return render_template("admin/municipalities.html", municipalities=found, query=query)


@bp.route("/municipalities/<int:municipality_id>", methods=["GET", "POST"])
def municipality_edit(municipality_id: int):
    town = _load(Municipality, municipality_id)
    form = MunicipalityForm(obj=None if request.method == "POST" else town)
    if form.validate_on_submit():
        try:
            with writing():
                changes = services.update_municipality(
                    db.session.get(Municipality, municipality_id), form.profile(),
                    actor=current_user)
        except ServiceError as error:
            flash(error.message, "error")
            return render_template("admin/municipality_form.html", form=form,
                                   town=town), error.status
        flash(_("Saved. Evaluations already planned keep their tier until you re-tier them.")
              if changes else _("Nothing changed."), "success")
        return redirect(url_for(".municipalities"))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/municipality_form.html", form=form, town=town), status


def _import_limit() -> int:
    return int(current_app.config.get("MUNICIPALITY_IMPORT_MAX_BYTES", importing.MAX_BYTES))


def _import_form() -> ImportForm:
    form = ImportForm()
    names = [p.name for p in _provinces()]
    default = current_app.config["PROVINCE_NAME"]
    if current_user.province_id is None and default not in names:
        names.insert(0, default)
    form.province.choices = choices((name, name) for name in names)
    if not form.is_submitted() and default in names:
        form.province.data = default
    return form


def _render_import(form, plan=None, token=None, status=200):
    return render_template("admin/import.html", form=form, plan=plan, token=token,
                           confirm=ImportConfirmForm(), columns=importing.COLUMNS,
                           profile_fields=importing.PROFILE_FIELDS,
                           labels={c.key: c.label for c in importing.COLUMNS},
                           limit_kb=_import_limit() // 1024, max_rows=importing.MAX_ROWS), status


@bp.route("/municipalities/import", methods=["GET", "POST"])
def municipalities_import():
    form = _import_form()
    if not form.validate_on_submit():
        return _render_import(form, status=422 if form.is_submitted() else 200)
    upload = form.file.data
    filename = (upload.filename or "upload.csv")[:200]
    data = upload.stream.read(_import_limit() + 1)
    dry_run = request.form.get("action") != "import"
    try:
        with writing():
            plan = services.import_municipalities(filename, data, form.province.data,
                                                  actor=current_user, dry_run=dry_run,
                                                  max_bytes=_import_limit())
    except ServiceError as error:
        flash(error.message, "error")
        return _render_import(form, status=error.status)
    except IntegrityError:
        flash(_("Someone changed the municipalities meanwhile. Check the file again."),
              "error")
        return _render_import(form, status=409)
    return _finish_import(form, plan, filename, data)


def _finish_import(form, plan, filename, data):
    if not plan.ok:
        flash(_("Nothing was imported: correct the rows listed below and upload the file "
                "again."), "error")
        return _render_import(form, plan, status=422)
    if plan.applied:
        flash(_("Imported: %(new)s new, %(changed)s changed, %(same)s unchanged.",
                new=_digits(plan.count("new")), changed=_digits(plan.count("changed")),
                same=_digits(plan.count("unchanged"))), "success")
        return _render_import(form, plan)
    token = importing.stash_upload(filename, data, current_user.id)
    return _render_import(form, plan, token=token)


@bp.route("/municipalities/import/confirm", methods=["POST"])
def municipalities_import_confirm():
    confirm = ImportConfirmForm()
    form = _import_form()
    if not confirm.validate_on_submit():
        abort(400)
    kept = importing.take_upload(confirm.token.data, current_user.id)
    if kept is None:
        flash(_("The checked file is no longer kept. Upload it again."), "error")
        return _render_import(form, status=410)
    filename, data = kept
    form.province.data = confirm.province.data
    if confirm.province.data not in [choice.value for choice in form.province.choices]:
        abort(400)
    try:
        with writing():
            plan = services.import_municipalities(filename, data, confirm.province.data,
                                                  actor=current_user,
                                                  max_bytes=_import_limit())
    except ServiceError as error:
        flash(error.message, "error")
        return _render_import(form, status=error.status)
    except IntegrityError:
        flash(_("Someone changed the municipalities meanwhile. Check the file again."),
              "error")
        return _render_import(form, status=409)
    if plan.applied:
        importing.drop_upload(confirm.token.data)
    return _finish_import(form, plan, filename, data)


# --- cycles -------------------------------------------------------------------------------

@bp.route("/cycles")
def cycles():
    return render_template("admin/cycles.html", cycles=services.list_cycles(),
                           confirm=ConfirmForm())


@bp.route("/cycles/new", methods=["GET", "POST"])
def cycle_new():
    form = CycleForm()
    if form.validate_on_submit():
        try:
            with writing():
                cycle = services.create_cycle(
                    year=form.year.data, title=form.title.data,
                    visit_start=form.visit_start.data, visit_end=form.visit_end.data,
                    actor=current_user)
                cycle_id = cycle.id
        except ServiceError as error:
            flash(error.message, "error")
            return render_template("admin/cycle_form.html", form=form), error.status
        flash(_("The cycle is created and open. Now plan its evaluations."), "success")
        return redirect(url_for(".plan", cycle_id=cycle_id))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/cycle_form.html", form=form), status


@bp.route("/cycles/<int:cycle_id>/<any(open, close):change>", methods=["POST"])
def cycle_open_close(cycle_id: int, change: str):
    _load(EvaluationCycle, cycle_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with writing():
        services.set_cycle_open(db.session.get(EvaluationCycle, cycle_id), change == "open",
                                actor=current_user)
    flash(_("The cycle is open: inspectors can enter answers.") if change == "open"
          else _("The cycle is closed: no answers can be entered or changed."), "success")
    return redirect(url_for(".cycles"))


# --- planning -----------------------------------------------------------------------------

def _plan_province() -> Province | None:
    provinces = _provinces()
    wanted = params.to_int(request.values.get("province"))
    chosen = next((p for p in provinces if p.id == wanted), None)
    if chosen is None:
        default = search_key(current_app.config["PROVINCE_NAME"])
        chosen = next((p for p in provinces if search_key(p.name) == default),
                      provinces[0] if provinces else None)
    return chosen


def _people_choices(form, province_id: int | None, blank_reviewer: str) -> None:
    form.inspectors.choices = choices(
        (u.id, u.display_name) for u in services.users_with_role("inspector", province_id))
    form.reviewer.choices = choices([("", blank_reviewer)] + [
        (u.id, u.display_name) for u in services.users_with_role("reviewer", province_id)])


def _plan_forms(cycle, province):
    plan_form = PlanForm(prefix="plan")
    plan_form.province.choices = choices((p.id, p.name) for p in _provinces())
    plan_form.rubric_id.choices = choices((r, r) for r in services.rubric_ids())
    if not plan_form.is_submitted():
        plan_form.province.data = province.id if province else None
        plan_form.rubric_id.data = current_app.config["DEFAULT_RUBRIC"]
    assign_form = AssignForm(prefix="assign")
    _people_choices(assign_form, province.id if province else None, _("— keep as it is —"))
    evaluation_ids = db.session.scalars(
        select(Evaluation.id).where(Evaluation.cycle_id == cycle.id))
    assign_form.evaluations.choices = choices((i, str(i)) for i in evaluation_ids)
    return plan_form, assign_form


def _render_plan(cycle, province, plan_form, assign_form, status=200):
    table = services.plan_table(cycle, [province.id] if province else [])
    return render_template("admin/plan.html", cycle=cycle, province=province,
                           provinces=_provinces(), table=table, plan_form=plan_form,
                           assign_form=assign_form), status


@bp.route("/cycles/<int:cycle_id>/plan", methods=["GET"])
def plan(cycle_id: int):
    cycle = _load(EvaluationCycle, cycle_id)
    province = _plan_province()
    plan_form, assign_form = _plan_forms(cycle, province)
    return _render_plan(cycle, province, plan_form, assign_form)


@bp.route("/cycles/<int:cycle_id>/plan", methods=["POST"])
def plan_create(cycle_id: int):
    cycle = _load(EvaluationCycle, cycle_id)
    province = _plan_province()
    plan_form, assign_form = _plan_forms(cycle, province)
    if not plan_form.validate_on_submit():
        return _render_plan(cycle, province, plan_form, assign_form, status=422)
    try:
        with writing():
            created, skipped = services.plan_evaluations(
                db.session.get(EvaluationCycle, cycle_id),
                db.session.get(Province, plan_form.province.data), plan_form.rubric_id.data,
                due_date=plan_form.due_date.data, actor=current_user)
            created = len(created)
    except ServiceError as error:
        flash(error.message, "error")
        return _render_plan(db.session.get(EvaluationCycle, cycle_id), province, plan_form,
                            assign_form, status=error.status)
    flash(_("Evaluations created: %(created)s. Municipalities that already had one: "
            "%(skipped)s.",
            created=_digits(created), skipped=_digits(skipped)), "success")
    return redirect(url_for(".plan", cycle_id=cycle_id, province=plan_form.province.data))


@bp.route("/cycles/<int:cycle_id>/assign", methods=["POST"])
def plan_assign(cycle_id: int):
    cycle = _load(EvaluationCycle, cycle_id)
    province = _plan_province()
    plan_form, assign_form = _plan_forms(cycle, province)
    if not assign_form.validate_on_submit():
        flash(_("Some fields need correcting; see the marked fields."), "error")
        return _render_plan(cycle, province, plan_form, assign_form, status=422)
    try:
        with writing():
            evaluations = [_load(Evaluation, i) for i in assign_form.evaluations.data]
            changed = services.assign(
                evaluations, inspectors=_users(assign_form.inspectors.data) or None,
                reviewer=_user_or_none(assign_form.reviewer.data),
                due_date=assign_form.due_date.data, actor=current_user)
    except ServiceError as error:
        flash(error.message, "error")
        return _render_plan(db.session.get(EvaluationCycle, cycle_id), province, plan_form,
                            assign_form, status=error.status)
    flash(_("Assignments saved. Evaluations changed: %(n)s.", n=_digits(changed)), "success")
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
    evaluation = _load(Evaluation, evaluation_id)
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
    evaluation = _load(Evaluation, evaluation_id)
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
                               profile=town.tier_basis()), status

    if evaluation.is_locked:
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


# --- the audit trail ----------------------------------------------------------------------

def _audit_filters() -> tuple[AuditFilterForm, services.AuditFilter, bool]:
    form = AuditFilterForm(formdata=request.args)
    form.user.choices = choices([("", _("Anyone"))] + [
        (u.id, f"{u.display_name} ({u.username})") for u in services.list_users()])
    form.municipality.choices = choices([("", _("Any"))] + [
        (m.id, m.name) for m in services.find_municipalities("", _scope_ids())])
    form.action.choices = choices([("", _("Any"))] + [(a, a) for a in services.audit_actions()])
    valid = form.validate()

    def ok(field):
        return None if field.errors else field.data

    date_from, date_to = ok(form.date_from), ok(form.date_to)
    if date_from and date_to and date_to < date_from:
        form.date_to.errors = [_("The end date is before the start date.")]
        valid, date_to = False, None
    filters = services.AuditFilter(
        user_id=ok(form.user), municipality_id=ok(form.municipality),
        evaluation_id=int(form.evaluation.data) if ok(form.evaluation) else None,
        action=ok(form.action) or None, date_from=date_from, date_to=date_to)
    return form, filters, valid


@bp.route("/audit")
def audit():
    form, filters, valid = _audit_filters()
    page = params.query_int("page", kind=params.PAGE, default=1)
    if not valid:  # the form shows what to correct; nothing is listed under a wrong filter
        return render_template("admin/audit.html", form=form, events=[], total=0, page=1,
                               pages=1, names={}, args={}), 400
    events, total = services.audit_page(filters, page, AUDIT_PER_PAGE)
    pages = max(1, math.ceil(total / AUDIT_PER_PAGE))
    names = {m.id: m.name for m in db.session.scalars(select(Municipality))}
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("admin/audit.html", form=form, events=events, total=total,
                           page=page, pages=pages, names=names, args=args)


@bp.route("/audit.csv")
def audit_csv():
    _form, filters, valid = _audit_filters()
    if not valid:
        abort(400)
    body = services.audit_csv(filters)
    response = make_response(body.encode("utf-8"))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    stamp = dt.date.today().isoformat()
    response.headers["Content-Disposition"] = f'attachment; filename="arzyab-audit-{stamp}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response

