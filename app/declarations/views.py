"""The municipality's self-declaration page, and the inspector's two verification steps (one
tap to confirm a declared value, or the reason for a corrected one). Thin: load, check
access (app.access), call a service inside ``writing()``, respond."""

from __future__ import annotations

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

from app import access, workflow
from app.access import load_evaluation
from app.db import writing
from app.declarations import services
from app.errors import SAVE_HEADER, ServiceError
from app.evaluations.services import rubric_for
from app.evaluations.views import describe_photo
from app.extensions import csrf, db
from app.i18n import _
from app.models import Evaluation, Evidence
from forms.declaration import build_declaration_form, form_data
from forms.evaluation import field_key

bp = Blueprint("declarations", __name__, url_prefix="/evaluations/<int:evaluation_id>")


def _page(evaluation, form=None, errors=None, status=200):
    rubric = rubric_for(evaluation)
    form_class = build_declaration_form(rubric, evaluation.tier_id)
    rows = services.rows(evaluation)
    if form is None:
        declared = {r.criterion.id: (services.declared_answer(r.criterion, r.declaration)
                                     if r.declaration else None,
                                     r.declaration.note if r.declaration else "")
                    for r in rows if r.declaration is not None}
        form = form_class(data=form_data(form_class, declared))
    photos: dict[str, list] = {}
    for evidence in db.session.query(Evidence).filter_by(evaluation_id=evaluation.id,
                                                         source="declaration"):
        photos.setdefault(evidence.criterion_id, []).append(describe_photo(evidence))
    units = [(unit, [r for r in rows if r.criterion.unit_id == unit.id])
             for unit in rubric.units]
    return render_template(
        "declarations/page.html", evaluation=evaluation, form=form,
        units=[(u, found) for u, found in units if found], errors=errors or {},
        editable=access.may_declare(current_user, evaluation), photos=photos,
        summary=services.summary(evaluation), field_key=field_key,
        shows_verdicts=workflow.is_final(evaluation)
        or not access.may_declare(current_user, evaluation)), status


@bp.route("/declaration", methods=["GET"])
@access.route("declaration")
@login_required
def page(evaluation_id: int):
    """What the municipality declared (and, once final, what the inspectors verified)."""
    evaluation = load_evaluation(evaluation_id, access.may_see_declaration)
    return _page(evaluation)


@bp.route("/declaration", methods=["POST"])
@access.route("declaration")
@login_required
def save(evaluation_id: int):
    """The municipality saves its declared values, explanations and documents."""
    evaluation = load_evaluation(evaluation_id, access.may_see_declaration)
    if not access.may_declare(current_user, evaluation):
        abort(403)
    form = build_declaration_form(rubric_for(evaluation), evaluation.tier_id)()
    if not form.validate():
        flash(_("Some declared values need correcting; see the marked fields."), "error")
        return _page(evaluation, form=form, status=422)
    try:
        with writing():
            current = db.session.get(Evaluation, evaluation_id)
            changed = services.save_declaration(current, form.changes(), user=current_user)
            _store_documents(current, form)
    except ServiceError as error:
        flash(error.message, "error")
        return _page(db.session.get(Evaluation, evaluation_id), form=form,
                     errors=error.details.get("errors"), status=error.status)
    flash(_("The declaration is saved (%(n)s values changed). You can change it until the "
            "deadline.", n=changed), "success")
    return redirect(url_for(".page", evaluation_id=evaluation_id))


def _store_documents(evaluation, form) -> None:
    """Photos of documents chosen beside each declared value."""
    from app.evidence.services import store_photo

    limit = current_app.config["PHOTO_MAX_BYTES"]
    for spec in form.declared_fields:
        file = request.files.get(spec.photo)
        if file is not None and file.filename:
            store_photo(evaluation, spec.criterion.id, file.stream.read(limit + 1),
                        file.filename, user=current_user, source="declaration")


# --- the inspector verifies ------------------------------------------------------------------

def _by_script() -> bool:
    return request.headers.get(SAVE_HEADER) == "1"


def _verify(evaluation_id: int, criterion_id: str, step):
    """Run one verification step, answered in JSON for the form's script (autosave header)
    or as a redirect back to the criterion for a plain form."""
    by_script = _by_script()
    if not by_script:
        csrf.protect()
    evaluation = load_evaluation(evaluation_id)
    if not access.may_answer(current_user, evaluation):
        if by_script:
            return jsonify(error=_("You cannot change this evaluation now."), status=403), 403
        abort(403)
    try:
        with writing():
            result = step(db.session.get(Evaluation, evaluation_id))
    except ServiceError as error:
        if by_script:
            return jsonify(error=error.message, status=error.status, **error.details), \
                error.status
        flash(error.message, "error")
    else:
        if by_script:
            return jsonify({"ok": True, **(result or {})})
        flash(_("Saved."), "success")
    return redirect(url_for("evaluations.show", evaluation_id=evaluation_id)
                    + f"#crit-{field_key(criterion_id)}")


@bp.route("/declaration/<criterion_id>/confirm", methods=["POST"])
@access.route("evaluation")
@csrf.exempt  # checked in _verify: the CSRF token for forms, or the autosave header
@login_required
def confirm(evaluation_id: int, criterion_id: str):
    """One tap: the declared value becomes the inspector's answer."""
    criterion_id = criterion_id[:50]
    return _verify(evaluation_id, criterion_id, lambda e: services.confirm(
        e, criterion_id, user=current_user))


@bp.route("/declaration/<criterion_id>/reason", methods=["POST"])
@access.route("evaluation")
@csrf.exempt  # checked in _verify: the CSRF token for forms, or the autosave header
@login_required
def reason(evaluation_id: int, criterion_id: str):
    """Why the verified value differs from the declared one."""
    criterion_id = criterion_id[:50]
    payload = request.get_json(silent=True) if request.is_json else None
    text = (payload or {}).get("reason") if isinstance(payload, dict) else \
        request.form.get("reason-" + field_key(criterion_id), request.form.get("reason", ""))
    if not isinstance(text, str) or len(text) > 4000:
        abort(400)
    return _verify(evaluation_id, criterion_id, lambda e: services.record_correction(
        e, criterion_id, text, user=current_user))
