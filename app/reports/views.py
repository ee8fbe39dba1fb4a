"""Downloading reports: an evaluation's PDF, and the province comparison of a cycle."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from flask import Blueprint, Response, abort, request, send_file
from flask_login import current_user, login_required

from app.evaluations.views import load_evaluation
from app.reports import services
from app.reports.render import ReportError

bp = Blueprint("reports", __name__)
log = logging.getLogger(__name__)


@bp.route("/evaluations/<int:evaluation_id>/report.pdf")
@login_required
def evaluation_pdf(evaluation_id: int):
    """Whoever may see the evaluation may download its report (404 for anyone else)."""
    evaluation = load_evaluation(evaluation_id)
    try:
        body, filename = services.report_pdf(evaluation, user=current_user)
    except ReportError as error:
        log.error("report of evaluation %s failed: %s", evaluation_id, error)
        abort(500)
    return _pdf(body, filename, final=isinstance(body, Path))


@bp.route("/reports/cycle/<year>.pdf")
@login_required
def cycle_pdf(year: str):
    """The province comparison of a cycle, for reviewers and admins."""
    if not current_user.has_role("reviewer", "admin"):
        abort(403)
    cycle = services.find_cycle(year)
    province = services.find_province(request.args.get("province"), user=current_user)
    if cycle is None or province is None:
        abort(404)
    if current_user.province_id and province.id != current_user.province_id \
            and not current_user.has_role("admin"):
        abort(404)
    try:
        body, filename = services.comparison_pdf(cycle, province)
    except ReportError as error:
        log.error("comparison report of %s failed: %s", cycle.year, error)
        abort(500)
    return _pdf(body, filename, final=False)


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

