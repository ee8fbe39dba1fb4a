"""Paradata: what the form saw of a visit (times, devices, places), kept append-only, and the
reviewers' explanations of the flags drawn from it (app.paradata)."""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models._types import UTCDateTime, utcnow


class ParadataRecord(db.Model):
    """One report of the form's paradata, as received: never updated or deleted (triggers).

    The form sends what it recorded with every batch of answers (offline batches included,
    when they finally arrive) and once at submission; each report holds the device's own
    clock and the server's receipt time, so a device clock set wrong shows as such.
    """

    __tablename__ = "paradata_records"
    __table_args__ = (
        CheckConstraint("kind IN ('batch', 'submit')", name="kind_known"),
    )

    #: surrogate key, increasing with receipt
    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    #: who was logged in on the device
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the key the browser made for itself (the same as Answer.device_id)
    device: Mapped[str | None] = mapped_column(String(64))
    #: the answers batch's idempotency key (a replayed batch records nothing twice)
    batch_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: "batch" (sent with answers) or "submit" (sent with the submission)
    kind: Mapped[str] = mapped_column(String(10), default="batch")
    #: the device's clock when the report was made (UTC; None when it sent none)
    device_time: Mapped[object | None] = mapped_column(UTCDateTime)
    #: the server's clock when the report arrived (UTC)
    received_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: what the form recorded, checked and bounded (app.paradata.record):
    #: {"criteria": {id: {"first", "last", "changes"}}, "visit": {"start", "end"},
    #:  "units": {unit: active seconds}, "location": {...} | None, "location_status": "..."}
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    #: the browser's own description of itself (first 200 characters of its User-Agent)
    user_agent: Mapped[str] = mapped_column(String(200), default="")


class FlagNote(db.Model):
    """A reviewer's explanation of one flag of an evaluation (append-only; the newest counts)."""

    __tablename__ = "flag_notes"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    #: the flag's stable key, e.g. "fast:waste" or "photo-far:17" (app.paradata.flags)
    flag: Mapped[str] = mapped_column(String(100))
    #: why the flag does not mean what it seems
    note: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
