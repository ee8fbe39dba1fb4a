"""Users: the list, a new account, changes, deactivation (after a confirmation page), a
password reset, and the import from CSV/XLSX."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app import params
from app.admin import tables
from app.admin.common import (
    bp,
    import_limit,
    load,
    no_store,
    paginate,
    provinces,
    read_upload,
)
from app.admin.places.services import find_municipalities
from app.admin.users import importing, services
from app.db import writing
from app.errors import ServiceError
from app.extensions import db
from app.i18n import _, digits
from app.models import Province, User
from forms.admin import (
    ConfirmForm,
    UserCreateForm,
    UserEditForm,
    UserImportConfirmForm,
    UserImportForm,
    choices,
)


def _place_choices(form) -> None:
    pairs = [(p.id, p.name) for p in provinces()]
    if current_user.province_id is None:
        pairs.insert(0, ("", _("All provinces")))
    form.province.choices = choices(pairs)
    towns = find_municipalities("", [p.id for p in provinces()])
    form.municipality.choices = choices([("", _("— none —"))] + [
        (m.id, f"{m.name} ({m.province.name})") for m in towns])


@bp.route("/users")
def users():
    page = paginate(services.users_query(current_user),
                    params.query_int("page", kind=params.PAGE, default=1))
    names = dict(db.session.execute(select(Province.id, Province.name)).all())
    return render_template("admin/users.html", page=page, users=page.items, provinces=names)


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = UserCreateForm()
    _place_choices(form)
    if form.validate_on_submit():
        try:
            with writing():
                user, password = services.create_user(
                    username=form.username.data, full_name=form.full_name.data,
                    roles=form.roles.data, province_id=form.province.data,
                    municipality_id=form.municipality.data, actor=current_user)
                username = user.username
        except ServiceError as error:
            flash(error.message, "error")
            return render_template("admin/user_form.html", form=form, user=None), error.status
        return no_store(render_template("admin/password_once.html", username=username,
                                        password=password, created=True))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int):
    user = load(User, user_id)
    form = UserEditForm(obj=None if request.method == "POST" else user)
    if request.method == "GET":
        form.roles.data = sorted(user.role_set)
        form.province.data = user.province_id
        form.municipality.data = user.municipality_id
        form.active.data = bool(user.active)
    _place_choices(form)
    if form.validate_on_submit():
        try:
            with writing():
                changes = services.update_user(
                    db.session.get(User, user_id), full_name=form.full_name.data,
                    roles=form.roles.data, province_id=form.province.data,
                    municipality_id=form.municipality.data, active=form.active.data,
                    actor=current_user)
        except ServiceError as error:
            flash(error.message, "error")
            return render_template("admin/user_form.html", form=form, user=user,
                                   confirm=ConfirmForm()), error.status
        flash(_("Saved.") if changes else _("Nothing changed."), "success")
        return redirect(url_for(".users"))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/user_form.html", form=form, user=user,
                           confirm=ConfirmForm()), status


@bp.route("/users/<int:user_id>/deactivate", methods=["GET"])
def user_deactivate_page(user_id: int):
    """What deactivating ends (the user's sessions, their logins), before it is done."""
    user = load(User, user_id)
    assigned = services.open_assignments(user)
    return render_template("admin/confirm_deactivate.html", user=user, assigned=assigned,
                           confirm=ConfirmForm())


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def user_deactivate(user_id: int):
    load(User, user_id)
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
    load(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with writing():
        user = db.session.get(User, user_id)
        password = services.reset_password(user, actor=current_user)
        username = user.username
    return no_store(render_template("admin/password_once.html", username=username,
                                    password=password, created=False))


# --- the import ----------------------------------------------------------------------------

def _render_import(form, plan=None, token=None, status=200):
    return no_store(render_template(
        "admin/users_import.html", form=form, plan=plan, token=token,
        confirm=UserImportConfirmForm(), columns=importing.COLUMNS,
        limit_kb=import_limit() // 1024, max_rows=tables.MAX_ROWS)), status


@bp.route("/users/import", methods=["GET", "POST"])
def users_import():
    form = UserImportForm()
    if not form.validate_on_submit():
        return _render_import(form, status=422 if form.is_submitted() else 200)
    filename, data = read_upload(form.file.data, "users.csv")
    with writing():
        plan = services.import_users(filename, data, actor=current_user, dry_run=True,
                                     max_bytes=import_limit())
    if not plan.ok:
        flash(_("Nothing was imported: correct the rows listed below and upload the file "
                "again."), "error")
        return _render_import(form, plan, status=422)
    token = tables.stash_upload(filename, data, current_user.id)
    return _render_import(form, plan, token=token)


@bp.route("/users/import/confirm", methods=["POST"])
def users_import_confirm():
    confirm = UserImportConfirmForm()
    if not confirm.validate_on_submit():
        abort(400)
    kept = tables.take_upload(confirm.token.data, current_user.id)
    if kept is None:
        flash(_("The checked file is no longer kept. Upload it again."), "error")
        return _render_import(UserImportForm(), status=410)
    filename, data = kept
    with writing():
        plan = services.import_users(filename, data, actor=current_user, max_bytes=import_limit())
    if not plan.ok:
        flash(_("Nothing was imported: correct the rows listed below and upload the file "
                "again."), "error")
        return _render_import(UserImportForm(), plan, status=422)
    tables.drop_upload(confirm.token.data)
    flash(_("Imported: %(new)s new, %(changed)s changed, %(same)s unchanged.",
            new=digits(plan.count("new")), changed=digits(plan.count("changed")),
            same=digits(plan.count("unchanged"))), "success")
    return _render_import(UserImportForm(), plan)
