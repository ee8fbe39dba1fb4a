"""Downloading reports (an evaluation's PDF, the province comparison of a cycle) and the public
verification page of finals.

Each view is a plain module-level function, so a rate limiter can decorate it where the app
registers its limits (``verify_report`` is public; the PDF views render).
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from app import access, limits
from app.access import load_evaluation
from app.i18n import _, current_lang, format_number
from app.reports import services, verify
from app.reports.render import RendererBusy, ReportError, ReportTooLong

bp = Blueprint("reports", __name__)
log = logging.getLogger(__name__)


@bp.route("/evaluations/<int:evaluation_id>/report.pdf")
@access.route("evaluation")
@login_required
@limits.limit("report_download", key=limits.by_user)
def evaluation_pdf(evaluation_id: int):
    """Whoever may read the evaluation's report (app.access) downloads it; 404 for anyone
    else. Until the sign-off it is a watermarked draft."""
    evaluation = load_evaluation(evaluation_id, access.may_read_report)
    try:
        body, filename = services.report_pdf(evaluation, user=current_user)
    except (RendererBusy, ReportTooLong) as error:
        return not_now(error)
    except ReportError as error:
        log.error("report of evaluation %s failed: %s", evaluation_id, error)
        if services.is_final(evaluation) and services.stored_of(evaluation.id) is not None:
            abort(500)  # a stored final that is missing or altered: a fault to look into
        return not_now(error)
    return _pdf(body, filename, final=isinstance(body, Path))


@bp.route("/reports/cycle/<year>.pdf")
@access.route("comparison")
@login_required
@limits.limit("report_download", key=limits.by_user)
def cycle_pdf(year: str):
    """The province comparison of a cycle's finals, for whoever sees the province's
    dashboard rows (app.access)."""
    cycle = services.find_cycle(year)
    province = services.find_province(request.args.get("province"), user=current_user)
    if cycle is None or province is None:
        abort(404)
    if not access.may_see_province(current_user, province.id):
        abort(404)
    try:
        body, filename = services.comparison_pdf(cycle, province)
    except ReportError as error:
        log.error("comparison report of %s failed: %s", cycle.year, error)
        return not_now(error)
    return _pdf(body, filename, final=False)


def not_now(error: Exception) -> tuple[str, int, dict]:
    """A translated page instead of a 500: 503 with Retry-After while the renderers are busy
    (or a render failed), 422 when the report is over the page-count guard."""
    if isinstance(error, ReportTooLong):
        message = _("This report is longer than the page limit allows and cannot be printed. "
                    "Shorten the longest notes, or ask an administrator.")
        return render_template("errors/error.html", code=422, message=message), 422, {}
    retry = getattr(error, "retry_after", None) or current_app.config["REPORT_RETRY_AFTER"]
    message = _("Many reports are being prepared right now. Please try again in "
                "%(seconds)s seconds; nothing was lost.",
                seconds=format_number(int(retry), 0, current_lang()))
    return (render_template("errors/error.html", code=503, message=message), 503,
            {"Retry-After": str(int(retry)), "Cache-Control": "no-store"})


def _pdf(body: Path | bytes, filename: str, *, final: bool) -> Response:
    if isinstance(body, Path):
        response = send_file(body, mimetype="application/pdf", as_attachment=True,
                             download_name=filename, conditional=True, etag=True)
    else:
        response = send_file(io.BytesIO(body), mimetype="application/pdf", as_attachment=True,
                             download_name=filename)
    # finals never change (byte-identical forever); drafts must not be cached anywhere
    response.headers["Cache-Control"] = "private, max-age=86400" if final else "no-store"
    return response


# --- public verification -----------------------------------------------------------------------

@bp.route("/verify")
@access.route("public")
@limits.limit("verify")
def verify_start():
    """Type the code printed on a report (no login)."""
    typed = request.args.get("code")
    if typed is not None:
        code = services.normalise_code(typed)
        if code is not None:
            return redirect(url_for(".verify_report", code=code))
        return render_template("verify/start.html", typed=typed,
                               error=_("This is not a verification code. It has twelve "
                                       "letters and digits, as printed on every page.")), 400
    return render_template("verify/start.html", typed="", error=None)


@bp.route("/verify/<code>", methods=["GET", "POST"])
@access.route("public")
@limits.limit("verify")
def verify_report(code: str):
    """What a final says (no login), and whether an uploaded PDF is the issued file."""
    facts = verify.facts_for_code(code)
    if facts is None:
        message = _("No issued report has this verification code. Check the code printed on "
                    "the report.")
        return render_template("verify/start.html", typed=code, error=message), 404
    verdict, error = None, None
    if request.method == "POST":
        data, error = _uploaded_pdf()
        if data is not None:
            verdict = verify.verify_file(data, code, parse_unknown=False)
    status = 400 if error else 200
    response = render_template("verify/show.html", facts=facts, verdict=verdict, error=error,
                               max_mb=current_app.config["VERIFY_MAX_BYTES"] // (1024 * 1024))
    return response, status, {"Cache-Control": "no-store"}


def _uploaded_pdf() -> tuple[bytes | None, str | None]:
    upload = request.files.get("pdf")
    if upload is None or not upload.filename:
        return None, _("Choose the PDF file to compare.")
    limit = current_app.config["VERIFY_MAX_BYTES"]
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        return None, _("The file is too large (at most %(mb)s MB).",
                       mb=format_number(limit // (1024 * 1024), 0, current_lang()))
    return data, None
