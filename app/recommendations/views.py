"""The municipality answers a recommendation; the next cycle's inspector records a finding
on one of the previous final's recommendations. Thin: load, check access (app.access), call
a service inside ``writing()``, respond."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from app import access, params
from app.access import load_evaluation
from app.db import writing
from app.errors import SAVE_HEADER, ServiceError
from app.evaluations.services import rubric_for
from app.extensions import csrf, db
from app.i18n import _
from app.models import Evaluation, Recommendation
from app.recommendations import services
from forms.recommendations import FollowUpForm, ResponseForm

bp = Blueprint("recommendations", __name__)


def _recommendation(recommendation_id: int) -> Recommendation:
    recommendation = db.session.get(Recommendation, recommendation_id)
    if recommendation is None or not (
            access.may_see_recommendation(current_user, recommendation)):
        abort(404)
    return recommendation


def _page(recommendation, form, status=200):
    evaluation = recommendation.evaluation
    unit = rubric_for(evaluation).unit(recommendation.unit_id) if recommendation.unit_id \
        else None
    responses = services.responses_of(recommendation)
    latest = responses[0] if responses else None
    return render_template(
        "recommendations/respond.html", recommendation=recommendation, form=form,
        evaluation=evaluation, unit=unit, responses=responses,
        may_respond=access.may_respond(current_user, recommendation),
        overdue=services.is_overdue(recommendation, latest, None)), status


@bp.route("/recommendations/<int:recommendation_id>", methods=["GET"])
@access.route("recommendation")
@login_required
def show(recommendation_id: int):
    """A recommendation with its answers so far (and the municipality's form)."""
    return _page(_recommendation(recommendation_id), ResponseForm())


@bp.route("/recommendations/<int:recommendation_id>", methods=["POST"])
@access.route("recommendation")
@login_required
def respond(recommendation_id: int):
    recommendation = _recommendation(recommendation_id)
    if not access.may_respond(current_user, recommendation):
        abort(403)
    form = ResponseForm()
    if not form.validate_on_submit():
        return _page(recommendation, form, status=422)
    try:
        with writing():
            services.respond(db.session.get(Recommendation, recommendation_id),
                             user=current_user, action_taken=form.action_taken.data,
                             progress=form.progress.data, evidence=form.evidence.data or "",
                             acted_on=form.acted_on.data)
    except ServiceError as error:
        flash(error.message, "error")
        return _page(recommendation, form, status=error.status)
    flash(_("Your answer is recorded. The director-general's office sees it."), "success")
    return redirect(url_for(".show", recommendation_id=recommendation_id))


@bp.route("/evaluations/<int:evaluation_id>/follow-ups/<int:recommendation_id>",
          methods=["POST"])
@access.route("evaluation")
@csrf.exempt  # checked below: the CSRF token for forms, or the autosave header for fetch()
@login_required
def follow_up(evaluation_id: int, recommendation_id: int):
    """The inspector's finding on a recommendation of the previous final."""
    by_script = request.headers.get(SAVE_HEADER) == "1"
    if not by_script:
        csrf.protect()
    evaluation = load_evaluation(evaluation_id)
    if not access.may_follow_up(current_user, evaluation):
        if by_script:
            return jsonify(error=_("You cannot change this evaluation now."), status=403), 403
        abort(403)
    if by_script:
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict) or not isinstance(payload.get("outcome"), str) \
                or not isinstance(payload.get("note", ""), str):
            return jsonify(error=_("The changes could not be read."), status=400), 400
        outcome, note = payload["outcome"], payload.get("note", "")[:4000]
    else:
        # the inspector's form holds one pair of fields per recommendation
        form = FollowUpForm()
        outcome = request.form.get(f"outcome-{recommendation_id}", request.form.get("outcome", ""))
        note = request.form.get(f"note-{recommendation_id}", form.note.data or "")[:4000]
    try:
        with writing():
            services.set_follow_up(db.session.get(Evaluation, evaluation_id),
                                   params.to_int(recommendation_id) or 0, user=current_user,
                                   outcome=outcome, note=note)
    except ServiceError as error:
        if by_script:
            return jsonify(error=error.message, status=error.status), error.status
        flash(error.message, "error")
    else:
        if by_script:
            return jsonify(ok=True, outcome=outcome,
                           title=services.outcome_title(outcome))
        flash(_("Saved."), "success")
    return redirect(url_for("evaluations.show", evaluation_id=evaluation_id)
                    + f"#followup-{recommendation_id}")
