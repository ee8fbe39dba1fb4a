"""The audit trail: filtered, paged, in plain words (Persian action names, Jalali dates,
«field: old → new»), and as CSV."""

from __future__ import annotations

import datetime as dt

from flask import abort, make_response, render_template, request
from flask_login import current_user

from app import params
from app.admin.audit import services, words
from app.admin.common import PER_PAGE, bp, scope_ids
from app.admin.places.services import find_municipalities
from app.admin.users.services import list_users
from app.i18n import _
from forms.admin import AuditFilterForm, choices

# --- the audit trail ----------------------------------------------------------------------

def _audit_filters() -> tuple[AuditFilterForm, services.AuditFilter, bool]:
    form = AuditFilterForm(formdata=request.args)
    form.user.choices = choices([("", _("Anyone"))] + [
        (u.id, f"{u.display_name} ({u.username})") for u in list_users(current_user)])
    form.municipality.choices = choices([("", _("Any"))] + [
        (m.id, m.name) for m in find_municipalities("", scope_ids())])
    form.action.choices = choices([("", _("Any"))] + [
        (a, words.action_title(a)) for a in services.audit_actions()])
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
    number = params.query_int("page", kind=params.PAGE, default=1)
    if not valid:  # the form shows what to correct; nothing is listed under a wrong filter
        return render_template("admin/audit.html", form=form, page=None, events=[],
                               args={}), 400
    page = services.audit_page(filters, number, PER_PAGE, actor=current_user)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("admin/audit.html", form=form, page=page,
                           events=services.described(page.items), args=args)


@bp.route("/audit.csv")
def audit_csv():
    _form, filters, valid = _audit_filters()
    if not valid:
        abort(400)
    body = services.audit_csv(filters, actor=current_user)
    response = make_response(body.encode("utf-8"))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    stamp = dt.date.today().isoformat()
    response.headers["Content-Disposition"] = f'attachment; filename="arzyab-audit-{stamp}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response

