"""Report use cases: the evaluation report (draft or final) and the province comparison.

Drafts, submitted and returned evaluations are rendered fresh on every request, with the
«پیش‌نویس» watermark. An approved evaluation's report is rendered once, stored under
``DATA_DIR/reports`` and served byte-identical ever after.

Two hashes are kept for a final (a PDF cannot print the hash of its own bytes):

- the **verification code** printed in the footer is the sha256 of the report's canonical
  content — the plain-dict context as JSON (sorted keys, UTF-8, no spaces) — which is stored
  beside it (``StoredReport.content_json``); :func:`find_by_code` finds a report from the code
  read off a printed copy, whose figures can then be compared with the stored content;
- the file's own sha256 (``StoredReport.sha256``) is checked every time the file is served.

Unlike most services, :func:`final_report` commits by itself: the render takes seconds and
must not hold the database's write lock, so it renders first and then records the file in a
short transaction of its own (a concurrent first download loses the race and serves the
winner's file).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import audit
from app.config import ROOT
from app.db import writing
from app.extensions import db
from app.i18n import normalise_text, to_latin_digits
from app.models import Evaluation, EvaluationCycle, EvaluationStatus, Municipality, Province
from app.reports.context import comparison_context, evaluation_context, evidence_files
from app.reports.models import StoredReport
from app.reports.render import (
    FetchPolicy,
    RenderResult,
    ReportError,
    render_pdf,
    render_pdf_bytes,
)

log = logging.getLogger(__name__)

#: reports are official Persian documents, whatever the reader's interface language
REPORT_LOCALE = "fa"
TEMPLATES_DIR = ROOT / "templates" / "reports"

__all__ = ["ReportError", "comparison_pdf", "final_report", "find_by_code", "report_pdf"]


def report_locale():
    return force_locale(REPORT_LOCALE)


def reports_dir() -> Path:
    path = Path(current_app.config["DATA_DIR"]) / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def fetch_policy(evaluation: Evaluation | None = None) -> FetchPolicy:
    """What the renderer may read: our report stylesheet, static files and fonts, and the
    evidence thumbnails of `evaluation` (none for other reports)."""
    config = current_app.config
    return FetchPolicy(
        roots={"reports": str(TEMPLATES_DIR), "static": str(current_app.static_folder),
               "fonts": str(config["FONTS_DIR"])},
        evidence=evidence_files(evaluation) if evaluation is not None else {},
        evidence_dir=str(Path(config["DATA_DIR"]) / "evidence"))


def _limits() -> dict:
    config = current_app.config
    return {"timeout": config["REPORT_TIMEOUT"], "memory_mb": config["REPORT_MEMORY_MB"]}


def canonical_json(context: dict) -> str:
    return json.dumps(context, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_code(context: dict) -> str:
    """The verification code of a report: sha256 of its canonical content."""
    return hashlib.sha256(canonical_json(context).encode("utf-8")).hexdigest()


def _safe_name(text: str) -> str:
    return re.sub(r"[^\w\u200c]+", "-", normalise_text(text)).strip("-")[:60] or "report"


def report_filename(evaluation: Evaluation) -> str:
    suffix = "" if evaluation.status == EvaluationStatus.APPROVED else "-draft"
    return f"arzyab-{evaluation.cycle.year}-{_safe_name(evaluation.municipality.name)}" \
           f"{suffix}.pdf"


# --- the evaluation report ---------------------------------------------------------------------

def evaluation_html(evaluation: Evaluation) -> tuple[str, dict]:
    """(HTML, context) of the evaluation report; a final carries its verification code."""
    with report_locale():
        context = evaluation_context(evaluation)
        code = content_code(context) if context["final"] else None
        html = render_template("reports/evaluation.html", doc=context, verification=code)
    return html, context


def report_pdf(evaluation: Evaluation, *, user=None) -> tuple[Path | bytes, str]:
    """The evaluation's PDF and its download name.

    Approved: the path of the stored final (issued on first call). Otherwise: fresh bytes of
    a watermarked draft. Raises ReportError when rendering fails.
    """
    filename = report_filename(evaluation)
    if evaluation.status == EvaluationStatus.APPROVED:
        return stored_file(final_report(evaluation, user=user)), filename
    html, _context = evaluation_html(evaluation)
    pdf, result = render_pdf_bytes(html, fetch_policy(evaluation), **_limits())
    _log_refused(evaluation.id, result)
    return pdf, filename


def final_report(evaluation: Evaluation, *, user=None) -> StoredReport:
    """The stored final report of an approved evaluation, rendering it the first time."""
    if evaluation.status != EvaluationStatus.APPROVED:
        raise ValueError("only an approved evaluation has a final report")
    stored = _stored(evaluation.id)
    if stored is not None:
        return stored
    evaluation_id, version = evaluation.id, evaluation.version
    html, context = evaluation_html(evaluation)
    content = canonical_json(context)
    path = reports_dir() / f"{evaluation_id:06d}-{secrets.token_hex(8)}.pdf"
    result = render_pdf(html, fetch_policy(evaluation), path, **_limits())
    _log_refused(evaluation_id, result)
    data = path.read_bytes()
    try:
        with writing():
            stored = _stored(evaluation_id)
            if stored is not None:  # issued by someone else meanwhile: theirs stands
                path.unlink(missing_ok=True)
                return stored
            stored = StoredReport(
                evaluation_id=evaluation_id, file_name=path.name,
                sha256=hashlib.sha256(data).hexdigest(),
                content_sha256=hashlib.sha256(content.encode("utf-8")).hexdigest(),
                content_json=content, size_bytes=len(data), pages=result.pages,
                evaluation_version=version, created_by_id=getattr(user, "id", None))
            db.session.add(stored)
            db.session.flush()
            audit.record("report.issue", "evaluation", evaluation_id, user=user,
                         evaluation=db.session.get(Evaluation, evaluation_id),
                         file=stored.file_name, sha256=stored.sha256,
                         code=stored.content_sha256, pages=stored.pages)
    except IntegrityError:
        path.unlink(missing_ok=True)
        stored = _stored(evaluation_id)
        if stored is None:
            raise
    return stored


def stored_file(stored: StoredReport) -> Path:
    """The stored PDF's path, after checking its bytes still match the recorded sha256."""
    path = reports_dir() / stored.file_name
    try:
        data = path.read_bytes()
    except OSError:
        raise ReportError(f"the stored report {stored.file_name} is missing") from None
    if hashlib.sha256(data).hexdigest() != stored.sha256:
        raise ReportError(f"the stored report {stored.file_name} does not match its sha256")
    return path


def find_by_code(code: str) -> StoredReport | None:
    """The final report whose footer prints verification code `code`."""
    code = to_latin_digits(normalise_text(code)).lower()
    if not re.fullmatch(r"[0-9a-f]{64}", code):
        return None
    return db.session.scalar(select(StoredReport).where(StoredReport.content_sha256 == code))


def _stored(evaluation_id: int) -> StoredReport | None:
    return db.session.scalar(select(StoredReport).where(
        StoredReport.evaluation_id == evaluation_id))


def _log_refused(evaluation_id: int | str, result: RenderResult) -> None:
    if result.refused:
        log.warning("report %s: the renderer refused %s", evaluation_id,
                    "; ".join(result.refused))


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
    pdf, result = render_pdf_bytes(html, fetch_policy(), **_limits())
    _log_refused(f"comparison {cycle.year}", result)
    return pdf, f"arzyab-{cycle.year}-{_safe_name(province.name)}-comparison.pdf"


def approved_evaluations(cycle: EvaluationCycle, province: Province) -> list[Evaluation]:
    return list(db.session.scalars(
        select(Evaluation).join(Municipality).where(
            Evaluation.cycle_id == cycle.id, Municipality.province_id == province.id,
            Evaluation.status == EvaluationStatus.APPROVED).order_by(Municipality.name)))
