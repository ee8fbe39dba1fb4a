"""Final reports: frozen when the evaluation becomes final, rendered once from that snapshot,
signed, archival (PDF/A-3b with the score card embedded) and verifiable by anyone.

``app.reports.services.issue_final`` is the one entry point of the workflow: the step that
makes an evaluation final calls it (the director-general's sign-off, after the reviewer's
approval) inside its own transaction. It freezes the report (:func:`freeze_final` captures the
report context — every name, number, text, rank and date the report prints — as plain JSON,
stored immutably in ``report_snapshots``, guarded by database triggers, with its sha256 and a
short verification code) and has ``app.reports.batch`` render the PDF from that snapshot once
the transaction commits: by an RQ worker when ``REDIS_URL`` is set, in this process otherwise.
Nothing read after the snapshot — a renamed municipality, a user's new name, a rubric title —
reaches the report (in a web request the in-process render starts once the response has
been sent). A render that did not happen then (a failure, a commit made outside
``app.db.writing``, demo data) happens on first download (:func:`final_report`), from the
same snapshot.

This module renders with ``app.reports.settings`` and imports neither the use cases
(``services``) nor the queue (``batch``): both call it.

Finals issued before snapshots existed keep their stored files (``stored_reports`` without a
snapshot) and are served as they are.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from pathlib import Path

from flask import (
    current_app,
    has_request_context,
    render_template,
    request,
)
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import audit
from app.db import writing
from app.extensions import db
from app.i18n import _, normalise_text, to_latin_digits
from app.models import Evaluation
from app.models._types import utcnow
from app.reports import qr
from app.reports.models import ReportSnapshot, StoredReport
from app.reports.render import Attachment, PdfOptions, ReportError
from app.reports.settings import (
    fetch_policy,
    limits,
    log_refused,
    report_locale,
    reports_dir,
    slots,
)
from app.reports.signing import SignerIdentity, SigningKey
from app.reports.slots import exclusive

#: Crockford's base32: no I, L, O or U, so a code read aloud or retyped is not mistaken
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: 12 characters: 60 random bits (and the public page is rate-limited)
CODE_LENGTH = 12
PDF_VARIANT = "pdf/a-3b"
SCORECARD_NAME = "scorecard.json"

# --- verification codes ------------------------------------------------------------------------

def new_code(choice=secrets.choice) -> str:
    """A fresh verification code; `choice` draws each character (the tests' draws repeat)."""
    return "".join(choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str | None) -> str | None:
    """The code as stored, from what a person typed or scanned («abcd-efgh-jk۱۲», spaces,
    O for 0, I or L for 1), or None when it cannot be a code."""
    text = to_latin_digits(normalise_text(text or "")).upper()
    text = "".join(ch for ch in text if ch not in " -_.\u200c")
    text = text.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(text) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in text):
        return None
    return text


def display_code(code: str) -> str:
    """«ABCD-EFGH-JKMN»: groups of four, as printed."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def public_url() -> str:
    """The address people reach the app at, for the printed verification link."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return str(configured).rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return "http://127.0.0.1:5000"


def verify_url(code: str) -> str:
    return f"{public_url()}/verify/{code}"


# --- freezing ----------------------------------------------------------------------------------

def is_final(evaluation: Evaluation) -> bool:
    """Whether the evaluation's report is its final: signed off by the director-general
    (app.workflow says so). An approved evaluation waiting for the sign-off is not: a
    download then is a draft, and never freezes the final early."""
    from app import workflow

    return workflow.is_final(evaluation)


def canonical_json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def scorecard_document(evaluation: Evaluation) -> dict:
    """What the PDF embeds: the score card of the evaluation's answers exactly as
    ``arzyab score --json`` prints it (``ScoreCard.to_dict()``), plus the municipality and
    the cycle, so the figures can be re-read without this system."""
    from app.evaluations.services import scorecard

    municipality, cycle = evaluation.municipality, evaluation.cycle
    return {
        **scorecard(evaluation).to_dict(),
        "municipality": {"name": municipality.name, "county": municipality.county,
                         "province": municipality.province.name,
                         "tier_basis": evaluation.tier_basis or {}},
        "cycle": {"year": cycle.year, "title": cycle.title},
    }


def signers_of(evaluation: Evaluation) -> list[dict]:
    """Who signs the final, in order: the reviewer who approved its content, then the
    province's director-general who signed it off."""
    signers = []
    for role, title, person, moment in (
            ("approval", _("Approved by the reviewer"), evaluation.approved_by,
             evaluation.approved_at),
            ("sign_off", _("Signed off by the Director-General of Urban Affairs"),
             evaluation.signed_by, evaluation.signed_at)):
        if person is not None:
            signers.append({"role": role, "title": title, "name": person.display_name,
                            "at": moment.isoformat() if moment else ""})
    return signers


def freeze_final(evaluation: Evaluation, *, user=None) -> ReportSnapshot:
    """Take the snapshot of the final report of `evaluation`: everything it prints, as JSON.

    Once per evaluation, once :func:`is_final` holds, inside the transaction that makes it
    final; it flushes and never commits. ``app.reports.services.issue_final`` calls it and
    arranges the render.
    """
    if not is_final(evaluation):
        raise ValueError("only a final evaluation has a final report")
    from app.reports.context import evaluation_context

    db.session.expire(evaluation, ["approved_by", "signed_by"])  # set by the caller's step
    code = new_code()
    while db.session.scalar(select(ReportSnapshot.id).where(ReportSnapshot.code == code)):
        code = new_code()
    with report_locale():
        context = evaluation_context(evaluation)
        context["final"] = True
        context["verification"] = {"code": code, "display": display_code(code),
                                   "url": verify_url(code)}
        context["signers"] = signers_of(evaluation)
    content = canonical_json(context)
    snapshot = ReportSnapshot(
        evaluation_id=evaluation.id, code=code, context_json=content,
        content_sha256=hashlib.sha256(content.encode("utf-8")).hexdigest(),
        scorecard_json=canonical_json(scorecard_document(evaluation)),
        evaluation_version=evaluation.version, created_at=utcnow(),
        created_by_id=getattr(user, "id", None))
    db.session.add(snapshot)
    db.session.flush()
    audit.record("report.issue", "evaluation", evaluation.id, user=user, evaluation=evaluation,
                 code=code, content_sha256=snapshot.content_sha256)
    return snapshot


# --- reading -----------------------------------------------------------------------------------

def snapshot_of(evaluation_id: int) -> ReportSnapshot | None:
    return db.session.scalar(select(ReportSnapshot).where(
        ReportSnapshot.evaluation_id == evaluation_id))


def snapshot_by_code(code: str | None) -> ReportSnapshot | None:
    code = normalise_code(code)
    if code is None:
        return None
    return db.session.scalar(select(ReportSnapshot).where(ReportSnapshot.code == code))


def stored_of(evaluation_id: int) -> StoredReport | None:
    return db.session.scalar(select(StoredReport).where(
        StoredReport.evaluation_id == evaluation_id))


def context_of(snapshot: ReportSnapshot) -> dict:
    return json.loads(snapshot.context_json)


# --- rendering ---------------------------------------------------------------------------------

def signing_key() -> SigningKey | None:
    """The configured certificate, else the demo's one (``arzyab demo``), else None."""
    config = current_app.config
    if config.get("REPORT_SIGNING_P12"):
        return SigningKey(str(config["REPORT_SIGNING_P12"]),
                          str(config.get("REPORT_SIGNING_PASSPHRASE") or ""))
    from app.reports.signing import DEMO_P12, DEMO_PASS

    folder = Path(config["DATA_DIR"]) / "signing"
    if (folder / DEMO_P12).is_file() and (folder / DEMO_PASS).is_file():
        return SigningKey(str(folder / DEMO_P12), (folder / DEMO_PASS).read_text().strip())
    return None


def _identities(context: dict) -> tuple[SignerIdentity, ...]:
    office = current_app.config["OFFICE_NAME"]
    return tuple(SignerIdentity(name=signer["name"], reason=signer["title"], location=office)
                 for signer in context.get("signers", []))


def final_html(context: dict, *, signed: bool) -> str:
    verification = context["verification"]
    with report_locale():
        return render_template("reports/evaluation.html", doc=context,
                               verification=verification["display"],
                               qr=qr.svg(verification["url"]), unsigned=not signed)


def pdf_options(snapshot: ReportSnapshot, context: dict, key: SigningKey | None) -> PdfOptions:
    with report_locale():
        description = _("Score card of the evaluation (arzyab score --json), with the "
                        "municipality and the cycle")
    return PdfOptions(
        variant=PDF_VARIANT, tags=bool(current_app.config["REPORT_PDF_TAGS"]),
        attachments=(Attachment(SCORECARD_NAME, snapshot.scorecard_json.encode("utf-8"),
                                description, "Data"),),
        max_pages=current_app.config["REPORT_MAX_PAGES"],
        signing=key, signers=_identities(context) if key else ())


def render_final(evaluation: Evaluation, *, user=None) -> StoredReport:
    """The stored PDF of a final: rendered from its snapshot the first time, then kept.

    Commits by itself (the render takes seconds and must not hold the write lock). Two
    renders at once, here or in another process, end with one file: the loser's is dropped.
    """
    stored = stored_of(evaluation.id)
    if stored is not None:
        return stored
    evaluation_id = evaluation.id
    snapshot = snapshot_of(evaluation_id) or _freeze_late(evaluation_id, user)
    snapshot_id = snapshot.id
    lock = current_app.config
    with exclusive(slots().lock_dir, f"final-{evaluation_id}",
                   lock["REPORT_QUEUE_SECONDS"], lock["REPORT_RETRY_AFTER"]):
        db.session.commit()  # end the read transaction: see a file another process stored
        stored = stored_of(evaluation_id)
        if stored is not None:
            return stored
        return _render_and_store(evaluation_id, snapshot_id, user)


def final_report(evaluation: Evaluation, *, user=None) -> StoredReport:
    """The stored final of a final evaluation, rendered from its snapshot the first time."""
    if not is_final(evaluation):
        raise ValueError("only a final evaluation has a final report")
    return stored_of(evaluation.id) or render_final(evaluation, user=user)


def _render_and_store(evaluation_id: int, snapshot_id: int, user) -> StoredReport:
    snapshot = db.session.get(ReportSnapshot, snapshot_id)
    evaluation = db.session.get(Evaluation, evaluation_id)
    context = context_of(snapshot)
    key = signing_key()
    html = final_html(context, signed=key is not None)
    options = pdf_options(snapshot, context, key)
    path = reports_dir() / f"{evaluation_id:06d}-{secrets.token_hex(8)}.pdf"
    result = _render_file(html, fetch_policy(evaluation), path, options, limits(), slots())
    log_refused(evaluation_id, result)
    data = path.read_bytes()
    try:
        with writing():
            stored = stored_of(evaluation_id)
            if stored is not None:  # rendered elsewhere meanwhile: theirs stands
                path.unlink(missing_ok=True)
                return stored
            snapshot = db.session.get(ReportSnapshot, snapshot_id)
            stored = StoredReport(
                evaluation_id=evaluation_id, file_name=path.name,
                sha256=hashlib.sha256(data).hexdigest(),
                content_sha256=snapshot.content_sha256, content_json=snapshot.context_json,
                size_bytes=len(data), pages=result.pages,
                evaluation_version=snapshot.evaluation_version,
                created_by_id=getattr(user, "id", None))
            db.session.add(stored)
            db.session.flush()
            audit.record("report.render", "evaluation", evaluation_id, user=user,
                         evaluation=db.session.get(Evaluation, evaluation_id),
                         file=stored.file_name, sha256=stored.sha256, pages=stored.pages,
                         signed=key is not None)
    except IntegrityError:
        path.unlink(missing_ok=True)
        stored = stored_of(evaluation_id)
        if stored is None:
            raise
    return stored


def _freeze_late(evaluation_id: int, user) -> ReportSnapshot:
    """A final signed off without its snapshot (a commit outside ``app.db.writing``, demo
    data): frozen now, from the data as it stands."""
    return freeze_final(db.session.get(Evaluation, evaluation_id), user=user)


def _render_file(html, policy, path, options, limits, slots):
    from app.reports.render import render_pdf

    return render_pdf(html, policy, path, options=options, slots=slots, **limits)


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
