"""Verifying a final report: the facts anyone may see for a verification code, and whether a
PDF file is the issued one (its sha256) with every signature intact and made by the office's
certificate (pyHanko's validator). Used by the public /verify page and ``arzyab report
verify``, which say the same thing."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy import select

from app.extensions import db
from app.i18n import _
from app.reports import finals
from app.reports.models import ReportSnapshot, StoredReport
from app.reports.signing import SignatureCheck, SigningError, check_signatures, trust_root


@dataclass
class Facts:
    """The minimum a reader needs to recognise a final (no names but the signers')."""

    code: str
    municipality: str
    province: str
    cycle: str
    score: float | None
    band: str
    date: str
    number: str
    signers: list[dict]
    #: sha256 of the issued file ("" while it is being rendered)
    sha256: str
    pages: int | None


@dataclass
class Verdict:
    #: the file's bytes are exactly those of an issued final
    issued: bool
    sha256: str
    facts: Facts | None = None
    signatures: list[SignatureCheck] = field(default_factory=list)
    #: a translated sentence saying what was found
    message: str = ""

    @property
    def signed(self) -> bool:
        return bool(self.signatures)

    @property
    def signatures_valid(self) -> bool:
        return all(check.valid for check in self.signatures)

    @property
    def valid(self) -> bool:
        """The issued file, and every signature it carries valid."""
        return self.issued and self.signatures_valid


def facts_for_code(code: str | None) -> Facts | None:
    """The facts of the final whose code is `code`: a snapshot's short code, or the 64-hex
    content hash printed on finals issued before snapshots existed."""
    snapshot = finals.snapshot_by_code(code)
    if snapshot is not None:
        return _facts(snapshot)
    from app.reports.services import find_by_code

    legacy = find_by_code(code or "")
    if legacy is not None and finals.snapshot_of(legacy.evaluation_id) is None:
        return _facts_of(json.loads(legacy.content_json), legacy.content_sha256, legacy)
    return None


def _facts(snapshot: ReportSnapshot) -> Facts:
    return _facts_of(finals.context_of(snapshot), finals.display_code(snapshot.code),
                     finals.stored_of(snapshot.evaluation_id))


def _facts_of(context: dict, code: str, stored: StoredReport | None) -> Facts:
    profile, summary = context.get("profile", {}), context.get("summary", {})
    method, head = context.get("method", {}), context.get("letterhead", {})
    signers = context.get("signers") or [
        {"title": s.get("role", ""), "name": s.get("name", "")}
        for s in context.get("signatures", [])[-1:] if s.get("name")]
    return Facts(
        code=code, municipality=profile.get("name", ""),
        province=profile.get("province", ""), cycle=method.get("cycle_title", ""),
        score=summary.get("score"), band=summary.get("band", ""),
        date=head.get("date", ""), number=head.get("number", ""),
        signers=[{"title": s.get("title", ""), "name": s.get("name", "")} for s in signers],
        sha256=stored.sha256 if stored else "", pages=stored.pages if stored else None)


def _roots() -> list:
    key = finals.signing_key()
    if key is None:
        return []
    try:
        return [trust_root(key)]
    except SigningError:
        return []


def verify_file(data: bytes, code: str | None = None, *, parse_unknown: bool = True
                ) -> Verdict:
    """Is `data` an issued final (that of `code`, when given)? Checks the signatures too.

    With `parse_unknown` False (the public page), a file that is not an issued final is not
    parsed at all: the answer is already "not the issued file", and a stranger's upload never
    reaches the PDF parser."""
    digest = hashlib.sha256(data).hexdigest()
    stored = db.session.scalar(select(StoredReport).where(StoredReport.sha256 == digest))
    snapshot = finals.snapshot_of(stored.evaluation_id) if stored is not None else None
    facts = None
    if stored is not None:
        facts = _facts(snapshot) if snapshot is not None else \
            _facts_of(json.loads(stored.content_json or "{}"), stored.content_sha256, stored)
    if code is not None:
        expected = facts_for_code(code)
        if expected is None or facts is None or expected.sha256 != stored.sha256:
            stored, facts = None, None
    verdict = Verdict(issued=stored is not None, sha256=digest, facts=facts)
    if not verdict.issued and not parse_unknown:
        verdict.message = _message(verdict)
        return verdict
    try:
        verdict.signatures = check_signatures(data, _roots()) if data[:5] == b"%PDF-" else []
    except Exception:  # noqa: BLE001 - an unreadable file is simply not the issued one
        verdict.signatures = []
    verdict.message = _message(verdict)
    return verdict


def _message(verdict: Verdict) -> str:
    if not verdict.issued:
        return _("Not the issued file: no final report has exactly these bytes.")
    if not verdict.signed:
        return _("Identical to the issued file. It was issued without a digital signature.")
    if verdict.signatures_valid:
        return _("Identical to the issued file, and its digital signatures are valid.")
    return _("Identical to the issued file, but its digital signatures could not be "
             "confirmed with the office's current certificate.")
