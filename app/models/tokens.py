"""Personal API tokens: what a program (Power BI, a nightly script) shows on ``/api/`` instead
of a login. A token acts as its user, sees exactly what that user may see (``app.access``),
and is stored only as its SHA-256; the token itself is shown once, when it is made."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models._types import UTCDateTime, utcnow


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: whose token it is; it acts as this user
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: the owner's name for it ("Power BI, provincial dashboard")
    name: Mapped[str] = mapped_column(String(100))
    #: the first characters of the token (public), so a person can tell their tokens apart
    prefix: Mapped[str] = mapped_column(String(16))
    #: SHA-256 (hex) of the token; the token itself is never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: when it was made (UTC) and the moment it stops working (None: until revoked)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[object | None] = mapped_column(UTCDateTime)
    #: last request made with it (UTC, to a minute)
    last_used_at: Mapped[object | None] = mapped_column(UTCDateTime)
    #: when it was revoked (UTC) and by whom (the owner or an administrator)
    revoked_at: Mapped[object | None] = mapped_column(UTCDateTime, index=True)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user = relationship("User", foreign_keys=[user_id])
    revoked_by = relationship("User", foreign_keys=[revoked_by_id])

    def usable(self, now) -> bool:
        """Not revoked, not expired, and its user still active."""
        return (self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
                and bool(self.user.active))
