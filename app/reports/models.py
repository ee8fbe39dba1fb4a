"""The stored PDF of an approved evaluation: rendered once, served byte-identical ever after."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models._types import UTCDateTime, utcnow


class StoredReport(db.Model):
    """The final report of an approved evaluation, as a file under DATA_DIR/reports.

    Two hashes: ``content_sha256`` is printed in the report's footer as its verification code
    (a file cannot contain its own hash, so it is the hash of the canonical report content, the
    context JSON kept in ``content_json``); ``sha256`` is the hash of the PDF file's bytes,
    checked every time the file is served.
    """

    __tablename__ = "stored_reports"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the approved evaluation; one final report each
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), unique=True)
    #: our own file name under DATA_DIR/reports (never derived from user input)
    file_name: Mapped[str] = mapped_column(String(100), unique=True)
    #: sha256 of the PDF file's bytes (integrity check on every download; /verify finds
    #: an uploaded file by it)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    #: sha256 of the canonical content JSON: the verification code printed in the footer
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    #: the canonical content JSON itself, so a printed copy can be checked figure by figure
    content_json: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer)
    #: the evaluation's version when the report was issued
    evaluation_version: Mapped[int] = mapped_column(Integer)
    #: when it was rendered (UTC) and for whom (None: the command line)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ReportSnapshot(db.Model):
    """What a final report prints, frozen the moment the evaluation became final.

    ``context_json`` is the report context (every name, number, text, rank and date, as plain
    JSON); the final PDF is rendered from it alone, so later edits of the municipality, the
    users or the rubric never reach an issued report. ``code`` is the short verification code
    printed (and in the QR code) on every page: the key of the public /verify page. Rows are
    never changed or deleted (database triggers, migration 0007).
    """

    __tablename__ = "report_snapshots"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the final evaluation; one snapshot each
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), unique=True)
    #: the verification code: 12 characters of Crockford base32 (60 random bits), no dashes
    code: Mapped[str] = mapped_column(String(20), unique=True)
    #: the canonical JSON (sorted keys, UTF-8, no spaces) of the report context
    context_json: Mapped[str] = mapped_column(Text)
    #: sha256 of context_json
    content_sha256: Mapped[str] = mapped_column(String(64))
    #: the score card embedded in the PDF: ScoreCard.to_dict() plus municipality and cycle
    scorecard_json: Mapped[str] = mapped_column(Text)
    #: the evaluation's version when it was frozen
    evaluation_version: Mapped[int] = mapped_column(Integer)
    #: when it was frozen (UTC) and by whom (None: the command line)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
