"""The audit trail: one row per change, never updated or deleted (a trigger enforces it)."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models._types import UTCDateTime, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    #: surrogate key, increasing with time
    id: Mapped[int] = mapped_column(primary_key=True)
    #: when it happened (UTC)
    at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: who did it (None: the system or the command line)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: what was done, a dotted verb such as "answer.change" or "evaluation.approve"
    action: Mapped[str] = mapped_column(String(60), index=True)
    #: kind of object changed: "evaluation", "answer", "rubric_version", "user", …
    object_type: Mapped[str] = mapped_column(String(40))
    #: its key, as text (criterion ids are text)
    object_id: Mapped[str] = mapped_column(String(100))
    #: the evaluation concerned, for filtering
    evaluation_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: the municipality concerned, for filtering
    municipality_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: what changed: {"old": …, "new": …} or other plain details
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    user = relationship("User")
