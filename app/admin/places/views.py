"""Municipalities: the list (searched, paged), a profile's changes, and the import of
profiles from CSV/XLSX (checked in a preview, then imported all or nothing)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app import params
from app.admin import tables
from app.admin.common import (
    bp,
    import_limit,
    load,
    paginate,
    provinces,
    read_upload,
    scope_ids,
)
from app.admin.places import importing, services
from app.db import writing
from app.errors import ServiceError
from app.extensions import db
from app.i18n import _, digits
from app.models import Municipality
from forms.admin import ImportConfirmForm, ImportForm, MunicipalityForm, choices

# --- municipalities -----------------------------------------------------------------------

@bp.route("/municipalities")
def municipalities():
    query = request.args.get("q", "")[:100]
    page = paginate(services.municipalities_query(query, scope_ids()),
                    params.query_int("page", kind=params.PAGE, default=1))
    return render_template("admin/municipalities.html", page=page, municipalities=page.items,
                           query=query)


@bp.route("/municipalities/<int:municipality_id>", methods=["GET", "POST"])
def municipality_edit(municipality_id: int):
    town = load(Municipality, municipality_id)
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


def _import_form() -> ImportForm:
    form = ImportForm()
    names = [p.name for p in provinces()]
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
                           limit_kb=import_limit() // 1024, max_rows=tables.MAX_ROWS), status


@bp.route("/municipalities/import", methods=["GET", "POST"])
def municipalities_import():
    form = _import_form()
    if not form.validate_on_submit():
        return _render_import(form, status=422 if form.is_submitted() else 200)
    filename, data = read_upload(form.file.data, "upload.csv")
    dry_run = request.form.get("action") != "import"
    try:
        with writing():
            plan = services.import_municipalities(filename, data, form.province.data,
                                                  actor=current_user, dry_run=dry_run,
                                                  max_bytes=import_limit())
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
                new=digits(plan.count("new")), changed=digits(plan.count("changed")),
                same=digits(plan.count("unchanged"))), "success")
        return _render_import(form, plan)
    token = tables.stash_upload(filename, data, current_user.id)
    return _render_import(form, plan, token=token)


@bp.route("/municipalities/import/confirm", methods=["POST"])
def municipalities_import_confirm():
    confirm = ImportConfirmForm()
    form = _import_form()
    if not confirm.validate_on_submit():
        abort(400)
    kept = tables.take_upload(confirm.token.data, current_user.id)
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
                                                  max_bytes=import_limit())
    except ServiceError as error:
        flash(error.message, "error")
        return _render_import(form, status=error.status)
    except IntegrityError:
        flash(_("Someone changed the municipalities meanwhile. Check the file again."),
              "error")
        return _render_import(form, status=409)
    if plan.applied:
        tables.drop_upload(confirm.token.data)
    return _finish_import(form, plan, filename, data)


