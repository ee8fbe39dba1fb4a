"""Evaluation cycles: the list, a new cycle, opening, closing (after a confirmation page) and
the declaration deadline. Cycles are national (app.access.may_run_cycles)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from app import access
from app.admin.common import bp, load
from app.admin.cycles import services
from app.db import writing
from app.errors import ServiceError
from app.extensions import db
from app.i18n import _
from app.models import EvaluationCycle
from forms.admin import ConfirmForm, CycleForm, DeadlineForm

# --- cycles -------------------------------------------------------------------------------

@bp.route("/cycles")
def cycles():
    return render_template("admin/cycles.html", cycles=services.list_cycles(),
                           confirm=ConfirmForm(), national=access.may_run_cycles(current_user))


def _national() -> None:
    """Cycles are national: only a national administrator creates, opens or closes them."""
    if not access.may_run_cycles(current_user):
        abort(403)


@bp.route("/cycles/new", methods=["GET", "POST"])
def cycle_new():
    _national()
    form = CycleForm()
    if form.validate_on_submit():
        try:
            with writing():
                cycle = services.create_cycle(
                    year=form.year.data, title=form.title.data,
                    visit_start=form.visit_start.data, visit_end=form.visit_end.data,
                    declaration_deadline=form.declaration_deadline.data, actor=current_user)
                cycle_id = cycle.id
        except ServiceError as error:
            flash(error.message, "error")
            return render_template("admin/cycle_form.html", form=form), error.status
        flash(_("The cycle is created and open. Now plan its evaluations."), "success")
        return redirect(url_for(".plan", cycle_id=cycle_id))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/cycle_form.html", form=form), status


@bp.route("/cycles/<int:cycle_id>/close", methods=["GET"])
def cycle_close_page(cycle_id: int):
    """What closing the cycle stops (its evaluations still open), before it is closed."""
    _national()
    cycle = load(EvaluationCycle, cycle_id)
    return render_template("admin/confirm_close.html", cycle=cycle, confirm=ConfirmForm(),
                           facts=services.closing_facts(cycle))


@bp.route("/cycles/<int:cycle_id>/<any(open, close):change>", methods=["POST"])
def cycle_open_close(cycle_id: int, change: str):
    _national()
    load(EvaluationCycle, cycle_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with writing():
        services.set_cycle_open(db.session.get(EvaluationCycle, cycle_id), change == "open",
                                actor=current_user)
    flash(_("The cycle is open: inspectors can enter answers.") if change == "open"
          else _("The cycle is closed: no answers can be entered or changed."), "success")
    return redirect(url_for(".cycles"))


@bp.route("/cycles/<int:cycle_id>/deadline", methods=["POST"])
def cycle_deadline(cycle_id: int):
    """The last day municipalities may declare their own figures."""
    _national()
    load(EvaluationCycle, cycle_id)
    form = DeadlineForm()
    if not form.validate_on_submit():
        flash(_("Enter a Jalali date such as ۱۴۰۴/۰۷/۰۱ (year/month/day)."), "error")
        return redirect(url_for(".cycles"))
    with writing():
        changed = services.set_declaration_deadline(
            db.session.get(EvaluationCycle, cycle_id), form.declaration_deadline.data,
            actor=current_user)
    flash(_("Saved.") if changed else _("Nothing changed."), "success")
    return redirect(url_for(".cycles"))


