"""What is recorded about a visit, its flags, their explanations and the export. Thin: load,
ask :func:`app.paradata.visibility.may_see`, call a service, respond."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app import access
from app.access import load_evaluation
from app.db import writing
from app.evaluations.services import ServiceError, rubric_for
from app.extensions import db
from app.i18n import _, format_number, jalali_datetime
from app.models import Evaluation, Evidence, Province
from app.paradata import flags as flag_rules
from app.paradata import geo, record, services
from app.paradata.visibility import may_see

bp = Blueprint("paradata", __name__)


def photo_caption(evidence: Evidence, municipality) -> str:
    """«taken ۱۴۰۵/۰۸/۱۲ ۱۰:۴۰, 0.6 km from the town centre», as far as the photo said."""
    parts = []
    if evidence.taken_at is not None:
        parts.append(_("taken %(when)s", when=jalali_datetime(evidence.taken_at)))
    centre = geo.town_centre(municipality)
    if evidence.latitude is not None and evidence.longitude is not None:
        if centre is not None:
            km = geo.distance_km(centre, (evidence.latitude, evidence.longitude))
            parts.append(_("%(km)s km from the town centre", km=format_number(km, 1)))
        else:
            parts.append(_("with its place recorded"))
    if not parts:
        return _("the photo says nothing of when or where it was taken")
    return _(", ").join(parts)


def page_context(user, evaluation: Evaluation) -> dict:
    """What the evaluation page shows of the paradata to `user`: the flags (reviewers,
    managers), the photos' captions and the link to the visit's record (and nothing to
    whoever may not see them)."""
    context = {"paradata_flags": None, "photo_facts": {}, "visit_record_url": None}
    if not may_see(user, "record", evaluation):
        return context
    context["visit_record_url"] = url_for("paradata.visit_record", evaluation_id=evaluation.id)
    if may_see(user, "flags", evaluation):
        context["paradata_flags"] = flag_rules.compute(evaluation)
        context["may_explain"] = may_see(user, "explain", evaluation)
        for evidence in db.session.scalars(select(Evidence).where(
                Evidence.evaluation_id == evaluation.id)):
            context["photo_facts"][evidence.id] = photo_caption(evidence,
                                                                evaluation.municipality)
    return context


def form_config(evaluation) -> dict:
    """The form's paradata settings (part of its #eval-config block)."""
    rubric = rubric_for(evaluation)
    units = {c.id: unit.id for unit in rubric.units for c in unit.criteria}
    province = evaluation.municipality.province
    return {"location": bool(province and province.record_location), "units": units,
            "idleMs": 120_000}


def record_from_request(evaluation, payload, *, kind: str, key: str | None = None,
                        device: str | None = None, user=None, connection=None) -> None:
    """Keep the paradata a request carried (quietly: nothing here refuses anything).
    `user`: the request's, when the caller holds it; `connection`: as for record.record."""
    record.record(evaluation, payload, user=current_user if user is None else user,
                  device=device, kind=kind, batch_key=key,
                  user_agent=request.headers.get("User-Agent", ""), connection=connection)


@bp.route("/evaluations/<int:evaluation_id>/visit-record")
@access.route("evaluation")
@login_required
def visit_record(evaluation_id: int):
    """What is recorded about the visit: shown to the inspectors whose visit it is, too."""
    evaluation = load_evaluation(evaluation_id)
    if not may_see(current_user, "record", evaluation):
        abort(404)
    summary = record.summary(evaluation)
    rubric = rubric_for(evaluation)
    photos = list(db.session.scalars(select(Evidence).where(
        Evidence.evaluation_id == evaluation.id).order_by(Evidence.id)))
    centre = geo.town_centre(evaluation.municipality)
    places = []
    for place in summary["locations"]:
        km = (geo.distance_km(centre, (place["lat"], place["lon"])) if centre else None)
        places.append({**place, "km": km})
    return render_template(
        "paradata/record.html", evaluation=evaluation, summary=summary, rubric=rubric,
        photos=[(p, photo_caption(p, evaluation.municipality)) for p in photos],
        places=places, flags=(flag_rules.compute(evaluation, summary=summary)
                              if may_see(current_user, "flags", evaluation) else None),
        parse=record._parse)


@bp.route("/evaluations/<int:evaluation_id>/flags/explain", methods=["POST"])
@access.route("evaluation")
@login_required
def explain(evaluation_id: int):
    evaluation = load_evaluation(evaluation_id)
    if not may_see(current_user, "flags", evaluation):
        abort(404)
    if not may_see(current_user, "explain", evaluation):
        abort(403)
    flag = request.form.get("flag", "")[:100]
    note = request.form.get("note", "")
    try:
        with writing():
            services.explain_flag(db.session.get(Evaluation, evaluation_id), flag, note,
                                  user=current_user)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(_("The explanation was kept."), "success")
    return redirect(url_for("evaluations.show", evaluation_id=evaluation_id) + "#flags")


@bp.route("/dashboard/flags")
@access.route("dashboard")
@login_required
def dashboard_flags():
    """The evaluations with flags, for reviewers, managers and admins."""
    if not may_see(current_user, "flags"):
        abort(403)
    rows = services.flagged_evaluations(current_user)
    return render_template("paradata/dashboard.html", rows=rows,
                           may_export=may_see(current_user, "export"))


@bp.route("/dashboard/flags.<any(csv, xlsx):fmt>")
@access.route("dashboard")
@login_required
def export(fmt: str):
    """The paradata and flags of every evaluation the user may export (managers, admins)."""
    if not may_see(current_user, "export"):
        abort(403)
    from app.dashboard import exports

    columns, rows = services.export_table(current_user)
    if fmt == "csv":
        body, mimetype = exports.to_csv(columns, rows), "text/csv; charset=utf-8"
    else:
        body = exports.to_xlsx(columns, rows, _("Paradata"))
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename=paradata.{fmt}"
    return response


@bp.route("/admin/record-location", methods=["GET", "POST"])
@access.route("admin")
@login_required
def record_location():
    """Per province: whether the form records the device's place (off by default)."""
    provinces = [p for p in db.session.scalars(select(Province).order_by(Province.name))
                 if access.may_administer_province(current_user, p.id)]
    if request.method == "POST":
        from flask_wtf.csrf import validate_csrf
        from wtforms import ValidationError

        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError:
            abort(400)
        wanted = set(request.form.getlist("province", type=int))
        try:
            with writing():
                changed = [services.set_record_location(
                    db.session.get(Province, p.id), p.id in wanted, user=current_user)
                    for p in provinces]
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(_("Saved.") if any(changed) else _("Nothing changed."), "success")
        return redirect(url_for(".record_location"))
    return render_template("paradata/record_location.html", provinces=provinces)
