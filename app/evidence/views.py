"""Uploading, showing and removing evidence photos of an evaluation."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from app import access
from app.db import writing
from app.errors import SAVE_HEADER
from app.evaluations.services import ServiceError
from app.evidence import services
from app.extensions import csrf, db
from app.i18n import _, jalali_datetime
from app.models import Evaluation, Evidence

bp = Blueprint("evidence", __name__, url_prefix="/evaluations/<int:evaluation_id>/photos")
#: an EXIF block is at most 64 KB (one JPEG APP1 segment)
EXIF_MAX_BYTES = 64 * 1024


def _evidence(evaluation_id: int, photo_id: int) -> tuple[Evaluation, Evidence]:
    evaluation = db.session.get(Evaluation, evaluation_id)
    evidence = db.session.get(Evidence, photo_id)
    if evaluation is None or evidence is None \
            or not access.may_view_photo(current_user, evidence, evaluation):
        abort(404)
    return evaluation, evidence


def describe(evidence: Evidence, lang: str | None = None) -> dict:
    """A photo as the form shows it (its time in the reader's language and digits)."""
    return {"id": evidence.id, "criterion": evidence.criterion_id,
            "name": evidence.original_name,
            "when": jalali_datetime(evidence.uploaded_at, lang),
            "delete": url_for("evidence.delete", evaluation_id=evidence.evaluation_id,
                              photo_id=evidence.id),
            "replace": url_for("evidence.replace", evaluation_id=evidence.evaluation_id,
                               photo_id=evidence.id),
            "url": url_for("evidence.photo", evaluation_id=evidence.evaluation_id,
                           photo_id=evidence.id),
            "thumb": url_for("evidence.thumb", evaluation_id=evidence.evaluation_id,
                             photo_id=evidence.id)}


@bp.route("", methods=["POST"])
@access.route("evaluation")
@csrf.exempt  # checked below: the CSRF token for forms, or the autosave header for fetch()
@login_required
def upload(evaluation_id: int):
    """Thin: read the request, let the service load, check and store in one transaction."""
    by_script = _by_script()
    criterion_id = request.form.get("criterion", "")[:50]
    try:
        data, filename, key = _posted_photo()
        with writing():
            evidence = services.add_photo(evaluation_id, criterion_id, data, filename,
                                          user=current_user, client_key=key,
                                          exif=_exif_block())
            described = describe(evidence)
    except ServiceError as error:
        if error.status == 404 and not by_script:
            abort(404)
        return _fail(by_script, error.message, error.status, evaluation_id)
    if by_script:
        return jsonify(described)
    flash(_("Photo added."), "success")
    return redirect(url_for("evaluations.show", evaluation_id=evaluation_id))


def _by_script() -> bool:
    """Was the request sent by the page's script (with the autosave header)? Otherwise it is
    a plain form, and its CSRF token is checked here (a refusal ends the request)."""
    if request.headers.get(SAVE_HEADER) == "1":
        return True
    csrf.protect()
    return False


def _posted_photo() -> tuple[bytes, str, str | None]:
    """The photo of an upload or a replacement: its bytes (read up to one past the limit, for
    the service to refuse), file name and the client's key for the upload."""
    file = request.files.get("photo")
    key = request.form.get("key") or None
    if file is None or not file.filename:
        raise ServiceError(_("Choose a photo first."), status=422)
    if key is not None and not 8 <= len(key) <= 64:
        raise ServiceError(_("The upload could not be read."), status=400)
    return file.stream.read(current_app.config["PHOTO_MAX_BYTES"] + 1), file.filename, key


def _exif_block() -> bytes | None:
    """The original photo's EXIF block the tablet sends beside a photo it made smaller."""
    file = request.files.get("exif")
    if file is None:
        return None
    data = file.stream.read(EXIF_MAX_BYTES + 1)
    return data if 0 < len(data) <= EXIF_MAX_BYTES else None


def _fail(by_script: bool, message: str, status: int, evaluation_id: int):
    if by_script:
        return jsonify(error=message, status=status), status
    flash(message, "error")
    return redirect(url_for("evaluations.show", evaluation_id=evaluation_id))


@bp.route("/<int:photo_id>")
@access.route("evaluation")
@login_required
def photo(evaluation_id: int, photo_id: int):
    _, evidence = _evidence(evaluation_id, photo_id)
    return _send(services.photo_path(evidence))


@bp.route("/<int:photo_id>/thumb")
@access.route("evaluation")
@login_required
def thumb(evaluation_id: int, photo_id: int):
    _, evidence = _evidence(evaluation_id, photo_id)
    return _send(services.photo_path(evidence, thumb=True))


def _send(path):
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=3600, conditional=True)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.route("/<int:photo_id>/delete", methods=["POST"])
@access.route("evaluation")
@csrf.exempt  # checked below: the CSRF token for forms, or the autosave header for fetch()
@login_required
def delete(evaluation_id: int, photo_id: int):
    by_script = _by_script()
    try:
        with writing():
            services.remove_photo(evaluation_id, photo_id, user=current_user)
    except ServiceError as error:
        if by_script:
            return jsonify(error=error.message, status=error.status), error.status
        if error.status in (403, 404):
            abort(error.status)
        flash(error.message, "error")
    else:
        if by_script:
            return jsonify(ok=True, removed=photo_id)
        flash(_("Photo removed."), "success")
    return redirect(url_for("evaluations.show", evaluation_id=evaluation_id))


@bp.route("/<int:photo_id>/replace", methods=["POST"])
@access.route("evaluation")
@csrf.exempt  # checked below, as for uploads
@login_required
def replace(evaluation_id: int, photo_id: int):
    """A new photo in the place of an old one (same criterion), both in one transaction."""
    by_script = _by_script()
    try:
        data, filename, key = _posted_photo()
        with writing():
            evidence = services.replace_photo(evaluation_id, photo_id, data, filename,
                                              user=current_user, client_key=key,
                                              exif=_exif_block())
            described = {**describe(evidence), "replaced": photo_id}
    except ServiceError as error:
        if error.status == 404 and not by_script:
            abort(404)
        return _fail(by_script, error.message, error.status, evaluation_id)
    if by_script:
        return jsonify(described)
    flash(_("Photo replaced."), "success")
    return redirect(url_for("evaluations.show", evaluation_id=evaluation_id))
