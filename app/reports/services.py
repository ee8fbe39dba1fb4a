"""Report use cases: the evaluation report (draft or final) and the province comparison.

Drafts, submitted and returned evaluations are rendered with the «پیش‌نویس» watermark, and
cached per (evaluation, version) under ``DATA_DIR/cache/drafts``: the file is named by the
evaluation, its version and the sha256 of the rendered HTML, so any change of what the draft
prints (an answer, a name, the date) renders anew, while repeated downloads do not. Only one
render of an evaluation's draft runs at a time; the other requests wait and read its file.

Finals live in :mod:`app.reports.finals` (frozen at the final step, rendered once from their
snapshot, signed, PDF/A-3b); :func:`issue_final` freezes one and has :mod:`app.reports.batch`
render it, :func:`report_pdf` serves whichever the evaluation has. What every render is
given (locale, folders, fetch policy, limits, slots) is :mod:`app.reports.settings`.

Every render, draft or final, takes one of the server's render slots (``REPORT_MAX_RENDERS``
at once across processes); a request that finds none within ``REPORT_QUEUE_SECONDS`` gets
:class:`RendererBusy` (the views answer 503 with Retry-After).
"""

from __future__ import annotations

import contextvars
import hashlib
import re
from contextlib import contextmanager
from pathlib import Path

from flask import current_app, render_template
from sqlalchemy import select

from app import workflow
from app.db import after_commit
from app.extensions import db
from app.i18n import normalise_text, to_latin_digits
from app.models import Evaluation, EvaluationCycle, Municipality, Province
from app.reports.batch import dispatch_render
from app.reports.context import comparison_context, evaluation_context
from app.reports.finals import (
    canonical_json,
    context_of,
    final_html,
    final_report,
    freeze_final,
    is_final,
    normalise_code,
    signing_key,
    snapshot_of,
    stored_file,
    stored_of,
)
from app.reports.models import ReportSnapshot, StoredReport
from app.reports.render import (
    PdfOptions,
    RendererBusy,
    ReportError,
    ReportTooLong,
    render_pdf,
    render_pdf_bytes,
)
from app.reports.settings import (
    drafts_dir,
    fetch_policy,
    limits,
    log_refused,
    report_locale,
    slots,
)
from app.reports.slots import exclusive

__all__ = ["RendererBusy", "ReportError", "ReportTooLong", "comparison_pdf", "final_report",
           "is_final", "normalise_code", "stored_of",
           "find_by_code", "issue_final", "report_pdf", "stored_file"]

_deferred: contextvars.ContextVar[bool] = contextvars.ContextVar("deferred_render",
                                                                  default=False)


def _draft_options() -> PdfOptions:
    return PdfOptions(max_pages=current_app.config["REPORT_MAX_PAGES"])


def content_code(context: dict) -> str:
    """sha256 of a context's canonical JSON (the verification code of finals issued before
    snapshots; kept so that their printed codes still resolve)."""
    return hashlib.sha256(canonical_json(context).encode("utf-8")).hexdigest()


def _safe_name(text: str) -> str:
    return re.sub(r"[^\w\u200c]+", "-", normalise_text(text)).strip("-")[:60] or "report"


def report_filename(evaluation: Evaluation) -> str:
    suffix = "" if is_final(evaluation) else "-draft"
    return f"arzyab-{evaluation.cycle.year}-{_safe_name(evaluation.municipality.name)}" \
           f"{suffix}.pdf"


# --- issuing a final ----------------------------------------------------------------------------

def issue_final(evaluation: Evaluation, *, user=None) -> ReportSnapshot:
    """Freeze the final report of `evaluation` and arrange its PDF (see app.reports.finals).

    Call it inside the transaction that makes the evaluation final, once ``is_final`` holds;
    it flushes and never commits. Calling it again returns the snapshot already taken. The
    PDF is rendered once the transaction commits (``app.reports.batch.dispatch_render``),
    unless inside :func:`deferred_rendering`.
    """
    existing = snapshot_of(evaluation.id)
    if existing is not None:
        return existing
    snapshot = freeze_final(evaluation, user=user)
    if not _deferred.get():
        evaluation_id = evaluation.id
        after_commit(lambda: dispatch_render(evaluation_id))
    return snapshot


@contextmanager
def deferred_rendering():
    """Finals issued inside this block are not rendered when their transaction commits, but
    on first download or by ``arzyab reports prepare`` (bulk data such as the demo)."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


# --- the evaluation report ---------------------------------------------------------------------

def evaluation_html(evaluation: Evaluation) -> tuple[str, dict]:
    """(HTML, context) of the evaluation report as it prints: a final's from its frozen
    snapshot (with its verification code and QR code), a draft's from the live data."""
    snapshot = snapshot_of(evaluation.id) if is_final(evaluation) else None
    if snapshot is not None:
        context = context_of(snapshot)
        return final_html(context, signed=signing_key() is not None), context
    with report_locale():
        context = evaluation_context(evaluation)
        html = render_template("reports/evaluation.html", doc=context, verification=None)
    return html, context


def report_pdf(evaluation: Evaluation, *, user=None) -> tuple[Path | bytes, str]:
    """The evaluation's PDF and its download name.

    Final: the path of the stored file (rendered from its snapshot on first call if that has
    not happened yet). Otherwise: the bytes of a watermarked draft, from the draft cache.
    Raises RendererBusy, ReportTooLong or ReportError when rendering fails.
    """
    filename = report_filename(evaluation)
    if is_final(evaluation):
        return stored_file(final_report(evaluation, user=user)), filename
    return draft_pdf(evaluation), filename


def draft_pdf(evaluation: Evaluation) -> bytes:
    """A watermarked draft, from the cache when nothing it prints has changed."""
    html, _context = evaluation_html(evaluation)
    digest = hashlib.sha256(html.encode("utf-8")).hexdigest()[:16]
    prefix = f"e{evaluation.id:06d}-"
    cached = drafts_dir() / f"{prefix}v{evaluation.version}-{digest}.pdf"
    config = current_app.config
    if cached.is_file():
        return cached.read_bytes()
    with exclusive(slots().lock_dir, f"draft-{evaluation.id}", config["REPORT_QUEUE_SECONDS"],
                   config["REPORT_RETRY_AFTER"]):
        if cached.is_file():  # rendered by the request we waited for
            return cached.read_bytes()
        result = render_pdf(html, fetch_policy(evaluation), cached, options=_draft_options(),
                            slots=slots(), **limits())
        log_refused(evaluation.id, result)
        for stale in drafts_dir().glob(f"{prefix}*.pdf"):
            if stale != cached:
                stale.unlink(missing_ok=True)
        return cached.read_bytes()


def find_by_code(code: str) -> StoredReport | None:
    """The final issued before snapshots whose footer prints the 64-hex code `code`."""
    code = to_latin_digits(normalise_text(code)).lower()
    if not re.fullmatch(r"[0-9a-f]{64}", code):
        return None
    return db.session.scalar(select(StoredReport).where(StoredReport.content_sha256 == code))


# --- the province comparison -------------------------------------------------------------------

def find_cycle(year: str | int) -> EvaluationCycle | None:
    """The cycle of a Jalali year written with any digits («۱۴۰۴», "1404")."""
    text = to_latin_digits(normalise_text(str(year)))
    if not text.isdigit() or len(text) != 4:
        return None
    return db.session.scalar(select(EvaluationCycle).where(EvaluationCycle.year == int(text)))


def find_province(name: str | None = None, user=None) -> Province | None:
    """The province named `name`, else the user's own, else the configured PROVINCE_NAME."""
    if name:
        return db.session.scalar(select(Province).where(Province.name == normalise_text(name)))
    if user is not None and getattr(user, "province_id", None):
        return db.session.get(Province, user.province_id)
    return db.session.scalar(select(Province).where(
        Province.name == current_app.config["PROVINCE_NAME"]))


def comparison_html(cycle: EvaluationCycle, province: Province) -> tuple[str, dict]:
    with report_locale():
        context = comparison_context(cycle, province)
        html = render_template("reports/comparison.html", doc=context, verification=None)
    return html, context


def comparison_pdf(cycle: EvaluationCycle, province: Province) -> tuple[bytes, str]:
    """The province comparison of a cycle, rendered fresh (it changes as approvals come in)."""
    html, _context = comparison_html(cycle, province)
    pdf, result = render_pdf_bytes(html, fetch_policy(), options=_draft_options(),
                                   slots=slots(), **limits())
    log_refused(f"comparison {cycle.year}", result)
    return pdf, f"arzyab-{cycle.year}-{_safe_name(province.name)}-comparison.pdf"


def final_evaluations(cycle: EvaluationCycle, province: Province) -> list[Evaluation]:
    """The cycle's finals (signed off) in the province."""
    return list(db.session.scalars(
        select(Evaluation).join(Municipality).where(
            Evaluation.cycle_id == cycle.id, Municipality.province_id == province.id,
            workflow.final_condition(Evaluation)).order_by(Municipality.name)))
