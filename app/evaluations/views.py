"""Inspectors' and reviewers' pages for one evaluation. Thin: load, check access, call a
service, respond."""

from __future__ import annotations

from typing import NamedTuple

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app import access, workflow
from app.access import load_evaluation
from app.auth import sessions
from app.db import writers_take_turns, writing
from app.declarations import services as declarations
from app.errors import SAVE_HEADER
from app.evaluations import moves, page, services
from app.evaluations.cards import CriterionCards
from app.evaluations.services import ServiceError
from app.extensions import csrf, db
from app.i18n import _, current_lang, format_number, local_today, normalise_text
from app.models import Evaluation, Evidence, Municipality
from app.recommendations import services as recommendations
from app.rubric.formula import profile_values
from forms.base import ConfirmForm, date_shown
from forms.evaluation import (
    FormFields,
    StoredFields,
    build_evaluation_form,
    field_key,
    form_data_from_answers,
)
from forms.review import ReportTextsForm, VisitDateForm

bp = Blueprint("evaluations", __name__, url_prefix="/evaluations")



@bp.route("/")
@access.route("account")
@login_required
def index():
    query = access.visible_evaluations(current_user).options(
        selectinload(Evaluation.municipality), selectinload(Evaluation.cycle))
    evaluations = db.session.scalars(query.order_by(Evaluation.updated_at.desc())).all()
    # what waits for this user's own hand first, then the rest in the workflow's order
    order = [workflow.RETURNED] + [s for s in workflow.ordered() if s != workflow.RETURNED]
    groups = {state: [e for e in evaluations if e.state == state] for state in order}
    return render_template("evaluations/index.html", groups=groups, today=local_today())


#: what the form page reads of an evaluation, loaded with it in one statement (the rows it
#: points to, and its two or three assignments joined: a second statement for them cost more
#: than the rows they add) rather than one lazy load at a time; its answers are read as plain
#: rows (services.shown_answers)
PAGE_LOADS = (joinedload(Evaluation.municipality).joinedload(Municipality.province),
              joinedload(Evaluation.cycle), joinedload(Evaluation.rubric_version),
              joinedload(Evaluation.assignments))


@bp.route("/<int:evaluation_id>", methods=["GET"])
@access.route("evaluation")
@login_required
def show(evaluation_id: int):
    return _render_page(load_evaluation(evaluation_id, options=PAGE_LOADS))


def _texts_form(evaluation) -> ReportTextsForm:
    rows = [{"unit_id": r.unit_id or "", "text": r.text, "responsible": r.responsible,
             "deadline": date_shown(r.deadline)}
            for r in evaluation.recommendations]
    form = ReportTextsForm(data={"strengths": evaluation.strengths_text,
                                 "improvements": evaluation.improvements_text,
                                 "recommendations": rows})
    form.set_units(services.rubric_for(evaluation), evaluation.tier_id)
    return form


def _visit_field(evaluation, form: VisitDateForm | None = None) -> dict:
    """What the visit date's field shows: after a refused visit date (`form`), the text
    typed and its errors; else the stored date (a form is not made for it on every visit,
    and one made while another form is posted read that post, found no date in it and showed
    the field empty)."""
    if form is not None:
        return {"value": form.visit_date._value(), "errors": form.visit_date.errors}
    return {"value": date_shown(evaluation.visit_date), "errors": ()}


def _render_page(evaluation, form=None, problems=None, status=200, texts_form=None,
                 visit_form=None):
    rubric = services.rubric_for(evaluation)
    form_class = build_evaluation_form(rubric, evaluation.tier_id)
    # the stored answers, read once in this transaction: the cards, the score card, the
    # declared values' boxes and the page's JSON are all made of these rows
    rows = services.shown_answers(evaluation)
    answers = {a.criterion_id: a for a in rows}
    values = services.answer_values(evaluation, rows)
    # the inputs show what was posted after a refused plain post (`form`, with its errors),
    # else the stored answers (read without binding the form's fields)
    fields = (FormFields(form) if form is not None
              else StoredFields(form_class, form_data_from_answers(form_class, values)))
    card = services.scorecard(evaluation, rows)
    user = current_user._get_current_object()
    editable = access.may_answer(user, evaluation)
    profile = profile_values(services.profile_of(evaluation))
    photos: dict[str, list] = {}
    for evidence in db.session.scalars(select(Evidence).where(
            Evidence.evaluation_id == evaluation.id).order_by(Evidence.id)):
        photos.setdefault(evidence.criterion_id, []).append(describe_photo(evidence))
    limits, problems = page.limits(), problems or {}
    paradata = paradata_context(user, evaluation)
    # the municipality's declared values beside their fields, and the previous final's
    # recommendations on their units (templates/evaluations/_organisation.html)
    declared = declarations.form_boxes(evaluation, field_key, answers=answers, values=values)
    page_config = page.form_config(evaluation, rows) if editable else None
    cards = CriterionCards(
        lang=current_lang(), fields=fields, form_class=form_class, card=card, profile=profile,
        limits=limits, photos=photos, photo_facts=paradata.get("photo_facts"),
        editable=editable, field_key=field_key,
        fixed_part=page.fixed_parts(evaluation.rubric_version.sha256),
        tier_id=evaluation.tier_id, answers=answers, problems=problems, declared=declared,
        evaluation_id=evaluation.id, memo=page.card_memo(evaluation.rubric_version.sha256))
    return render_template(
        "evaluations/form.html", **page.template_gettext(current_lang()),
        evaluation=evaluation, rubric=rubric, card=card,
        tier=rubric.tier(evaluation.tier_id),
        answers=answers, values=values, profile=profile, cards=cards,
        problems=problems, field_key=field_key, photos=photos,
        editable=editable, limits=limits, today=local_today(),
        page_config=page_config,
        page_config_json=(page.config_json(page_config, evaluation, rubric, profile)
                          if editable else None),
        returned=services.returned_notes(evaluation, rubric, rows),
        visit=_visit_field(evaluation, visit_form) if editable else None,
        reviewable=access.may_review(current_user, evaluation),
        may_approve=access.may_move(current_user, evaluation, "approve"),
        may_sign=access.may_sign(current_user, evaluation),
        cycle_closed=None if evaluation.cycle.is_open else _(workflow.CYCLE_CLOSED),
        declared=declared,
        carried=recommendations.carried_over(evaluation),
        live=services.summary(card, rubric),
        texts_form=texts_form or (_texts_form(evaluation)
                                  if access.may_review(current_user, evaluation) else None),
        **paradata), status


@bp.route("/<int:evaluation_id>", methods=["POST"])
@access.route("evaluation")
@login_required
def save_form(evaluation_id: int):
    """The plain (no JavaScript) path: the whole form posted at once."""
    evaluation = load_evaluation(evaluation_id)
    if not access.may_answer(current_user, evaluation):
        abort(403)
    rubric = services.rubric_for(evaluation)
    form = build_evaluation_form(rubric, evaluation.tier_id)()
    if not form.validate():
        flash(_("Some answers need correcting; see the marked fields."), "error")
        return _render_page(evaluation, form=form, status=422)
    try:
        with writing():
            evaluation = db.session.get(Evaluation, evaluation_id)
            base = request.form.get("base_version", type=int)
            services.save_answers(evaluation, form.changes(), user=current_user,
                                  base_version=base, key=request.form.get("save_key") or None)
            _store_posted_photos(evaluation, rubric)
    except ServiceError as error:
        flash(error.message, "error")
        problems = error.details.get("errors") or {
            cid: _("Changed by someone else meanwhile.")
            for cid in error.details.get("conflicts", {})}
        return _render_page(db.session.get(Evaluation, evaluation_id), form=form,
                            problems=problems, status=error.status)
    flash(_("Saved."), "success")
    if request.form.get("then") == "submit":
        return submit(evaluation_id)
    return redirect(url_for(".show", evaluation_id=evaluation_id))


def _store_posted_photos(evaluation, rubric) -> None:
    """Photos chosen in the plain (no JavaScript) form, one file input per criterion."""
    from app.evidence.services import store_photo

    limit = current_app.config["PHOTO_MAX_BYTES"]
    for criterion in rubric.criteria():
        file = request.files.get(f"photo-{field_key(criterion.id)}")
        if file is not None and file.filename:
            store_photo(evaluation, criterion.id, file.stream.read(limit + 1), file.filename,
                        user=current_user)


def paradata_context(user, evaluation) -> dict:
    from app.paradata.views import page_context

    return page_context(user, evaluation)


def describe_photo(evidence):
    from app.evidence.views import describe

    return describe(evidence)


@bp.route("/<int:evaluation_id>/answers", methods=["POST"])
@access.route("evaluation")
@csrf.exempt  # guarded by SameSite cookies and the custom header below (see README: security)
@login_required
@sessions.plain_user  # the user's id and roles only (app.access, the save, its audit)
def save_json(evaluation_id: int):
    """Autosave: a batch of changes with the client's key and the version it last saw."""
    if request.headers.get(SAVE_HEADER) != "1" or not request.is_json:
        abort(400)
    try:
        return _autosave(evaluation_id)
    except ServiceError as error:
        return jsonify(error=error.message, status=error.status, **error.details), error.status


def _autosave(evaluation_id: int):
    """The save worked out and written in one writing transaction, from its first read: what
    is checked is what the save changes. Where writers take turns (SQLite: one writer at a
    time) the save is first worked out on the request's read transaction, so that the turn
    lasts only for the writing: under the turn the evaluation is read again, and the plan is
    written if nothing it was worked out from has changed, else worked out again there."""
    user = current_user._get_current_object()  # once: each use of the proxy costs
    payload, refused = _autosave_payload()  # refused only after the access checks below
    key = None if refused else payload.get("key")
    early = None
    if writers_take_turns(db.engine):
        early = _plan_autosave(evaluation_id, payload, refused, key, user)
        if not isinstance(early, _Planned):
            return early  # refused or replayed: nothing to write
    with writing():
        connection = services.transaction_connection()
        if early is not None and services.evaluation_row_for_save(
                evaluation_id, key, connection) == early.seen:
            planned = early
        else:
            planned = _plan_autosave(evaluation_id, payload, refused, key, user)
            if not isinstance(planned, _Planned):
                return planned
        result = services.write_plan(planned.plan, connection)
        # the form's paradata rides with the batch, once
        _record_paradata(planned.seen[0], payload.get("paradata"), kind="batch", key=key,
                         device=payload.get("device"), user=user, connection=connection)
    return jsonify(result)


class _Planned(NamedTuple):
    """An autosave worked out: what it read (the evaluation and the key's receipt) and its
    plan (:func:`app.evaluations.services.plan_save`)."""

    seen: tuple
    plan: services.SavePlan


def _plan_autosave(evaluation_id: int, payload, refused, key, user):
    """The autosave read and worked out in the current transaction: a :class:`_Planned`, or
    the response when there is nothing to write (refused, or a replay of `key`)."""
    # the evaluation as a plain row with the key's receipt, in one statement on the
    # transaction's connection (the access and workflow rules read it as an Evaluation)
    seen = services.evaluation_row_for_save(evaluation_id, key,
                                            services.transaction_connection())
    evaluation, receipt = seen
    if evaluation is None or not access.may_view(user, evaluation):
        abort(404)
    if not access.may_answer(user, evaluation):
        return jsonify(error=_("You cannot change this evaluation now."), status=403), 403
    if refused:
        message = (_("Too many changes in one save.") if refused == 413
                   else _("The changes could not be read."))
        return jsonify(error=message, status=refused), refused
    plan = services.plan_save(evaluation, payload["changes"], user=user,
                              base_version=payload.get("base_version"), key=key,
                              device=payload.get("device"), receipt=receipt)
    if isinstance(plan, dict):
        return jsonify(plan)
    return _Planned(seen, plan)


def _autosave_payload():
    """The autosave's JSON body and None, or None and the status refusing it (400: it
    cannot be read, 413: too many changes)."""
    try:
        payload = request.get_json(silent=True)
    except RecursionError:  # absurdly deep nesting
        payload = None
    unreadable = 400
    if not isinstance(payload, dict) or not isinstance(payload.get("changes"), dict):
        return None, unreadable
    key = payload.get("key")
    if key is not None and (not isinstance(key, str) or not 8 <= len(key) <= 64):
        return None, unreadable
    base = payload.get("base_version")
    if base is not None and not isinstance(base, int):
        return None, unreadable
    device = payload.get("device")
    if device is not None and (not isinstance(device, str) or not 8 <= len(device) <= 64):
        return None, unreadable
    if len(payload["changes"]) > 500:
        return None, 413
    return payload, None


@bp.route("/<int:evaluation_id>/submit", methods=["POST"])
@access.route("evaluation")
@login_required
def submit(evaluation_id: int):
    evaluation = load_evaluation(evaluation_id)
    if not access.may_move(current_user, evaluation, "submit"):
        abort(403)
    try:
        with writing():
            evaluation = db.session.get(Evaluation, evaluation_id)
            moves.submit(evaluation, user=current_user)
            _record_paradata(evaluation, _posted_paradata(), kind="submit",
                             device=request.form.get("device") or None)
    except ServiceError as error:
        flash(error.message, "error")
        return _render_page(db.session.get(Evaluation, evaluation_id),
                            problems=error.details.get("problems"), status=error.status)
    flash(_("Submitted for review."), "success")
    return redirect(url_for(".index"))


def _record_paradata(evaluation, payload, **how) -> None:
    from app.paradata.views import record_from_request

    record_from_request(evaluation, payload, **how)


def _posted_paradata():
    """The paradata the form put in its hidden field at submission (None if unreadable)."""
    import json

    text = request.form.get("paradata", "")
    try:
        return json.loads(text) if 0 < len(text) <= 256 * 1024 else None
    except (ValueError, RecursionError):
        return None


@bp.route("/<int:evaluation_id>/return", methods=["POST"])
@access.route("evaluation")
@login_required
def return_for_changes(evaluation_id: int):
    evaluation = load_evaluation(evaluation_id)
    if not access.may_move(current_user, evaluation, "return"):
        abort(403)
    rubric = services.rubric_for(evaluation)
    comments = {}
    for criterion in rubric.criteria():
        text = request.form.get(f"comment-{field_key(criterion.id)}", "")
        if len(text) > services.REVIEW_COMMENT_MAX:
            abort(413)
        comments[criterion.id] = text
    message = request.form.get("message", "")
    if len(message) > services.REVIEW_MESSAGE_MAX:  # said, never cut silently
        flash(_("The message is too long (at most %(n)s characters).",
                n=format_number(services.REVIEW_MESSAGE_MAX, 0)), "error")
        return redirect(url_for(".show", evaluation_id=evaluation_id))
    try:
        with writing():
            moves.return_for_changes(db.session.get(Evaluation, evaluation_id),
                                        user=current_user, comments=comments,
                                        message=normalise_text(message))
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for(".show", evaluation_id=evaluation_id))
    flash(_("Returned to the inspectors with your comments."), "success")
    return redirect(url_for(".index"))


@bp.route("/<int:evaluation_id>/visit-date", methods=["POST"])
@access.route("evaluation")
@login_required
def visit_date(evaluation_id: int):
    """The day of the site visit, typed in the Jalali calendar."""
    evaluation = load_evaluation(evaluation_id)
    if not access.may_answer(current_user, evaluation):
        abort(403)
    form = VisitDateForm()
    if not form.validate():
        flash(_("The visit date needs correcting; see the field."), "error")
        return _render_page(evaluation, visit_form=form, status=422)
    try:
        with writing():
            services.set_visit_date(db.session.get(Evaluation, evaluation_id),
                                    user=current_user, visit_date=form.visit_date.data)
    except ServiceError as error:
        form.visit_date.errors = [error.message]
        flash(error.message, "error")
        return _render_page(db.session.get(Evaluation, evaluation_id), visit_form=form,
                            status=error.status)
    flash(_("The visit date was saved."), "success")
    return redirect(url_for(".show", evaluation_id=evaluation_id))


@bp.route("/<int:evaluation_id>/report-texts", methods=["POST"])
@access.route("evaluation")
@login_required
def report_texts(evaluation_id: int):
    """The reviewer's strengths, areas for improvement and recommendations."""
    evaluation = load_evaluation(evaluation_id)
    if not access.may_review(current_user, evaluation):
        abort(403)
    form = ReportTextsForm()
    form.set_units(services.rubric_for(evaluation), evaluation.tier_id)
    if not form.validate():
        flash(_("Some report texts need correcting; see the marked fields."), "error")
        return _render_page(evaluation, texts_form=form, status=422)
    try:
        with writing():
            services.set_report_texts(
                db.session.get(Evaluation, evaluation_id), user=current_user,
                strengths=form.strengths.data or "", improvements=form.improvements.data or "",
                recommendations=form.rows())
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(_("The report texts were saved."), "success")
    return redirect(url_for(".show", evaluation_id=evaluation_id) + "#report-texts")


# --- the irreversible steps: a page shows what will be locked, then the step --------------

def _confirm_page(evaluation, step: str, status: int = 200):
    return render_template("evaluations/confirm.html", evaluation=evaluation,
                           step=workflow.transition(step), form=ConfirmForm(),
                           locked=moves.what_locks(evaluation)), status


@bp.route("/<int:evaluation_id>/approve", methods=["GET"])
@access.route("evaluation")
@login_required
def approve_page(evaluation_id: int):
    """What approving locks, and the report texts still empty, before the reviewer
    approves."""
    evaluation = load_evaluation(evaluation_id)
    if not access.may_move(current_user, evaluation, "approve"):
        abort(403)
    return _confirm_page(evaluation, "approve")


@bp.route("/<int:evaluation_id>/approve", methods=["POST"])
@access.route("evaluation")
@login_required
def approve(evaluation_id: int):
    evaluation = load_evaluation(evaluation_id)
    if not access.may_move(current_user, evaluation, "approve"):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        with writing():
            moves.approve(db.session.get(Evaluation, evaluation_id), user=current_user)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for(".show", evaluation_id=evaluation_id))
    flash(_("Approved. The evaluation is now locked and waits for the director-general's "
            "sign-off."), "success")
    return redirect(url_for(".show", evaluation_id=evaluation_id))


@bp.route("/<int:evaluation_id>/sign", methods=["GET"])
@access.route("evaluation")
@login_required
def sign_page(evaluation_id: int):
    """What the sign-off issues, before the director-general signs."""
    evaluation = load_evaluation(evaluation_id)
    if not access.may_sign(current_user, evaluation):
        abort(403)
    return _confirm_page(evaluation, "sign")


@bp.route("/<int:evaluation_id>/sign", methods=["POST"])
@access.route("evaluation")
@login_required
def sign(evaluation_id: int):
    """The director-general signs the approved evaluation off: the final is issued."""
    evaluation = load_evaluation(evaluation_id)
    if not access.may_sign(current_user, evaluation):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        with writing():
            moves.sign_off(db.session.get(Evaluation, evaluation_id), user=current_user)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for(".show", evaluation_id=evaluation_id))
    flash(_("Signed off. The final report is issued."), "success")
    return redirect(url_for(".show", evaluation_id=evaluation_id))


@bp.route("/<int:evaluation_id>/state")
@access.route("evaluation")
@login_required
def state(evaluation_id: int):
    """The stored answers and version, for the form to restore after a reload."""
    evaluation = load_evaluation(evaluation_id)
    answers = {a.criterion_id: {"value": a.value, "data": a.data, "na": a.na,
                                "na_reason": a.na_reason, "note": a.note}
               for a in evaluation.answers}
    card = services.scorecard(evaluation)
    return jsonify(version=evaluation.version, status=evaluation.state, answers=answers,
                   score=services.summary(card, services.rubric_for(evaluation)))
