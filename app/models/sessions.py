"""Login sessions kept on the server, so that each can be listed and ended.

The browser's signed session cookie holds only a random session token; this table holds its
SHA-256, never the token. A "keep me logged in" cookie is a selector (to find the row) and a
validator (compared by hash), replaced by a new one each time it is used. Ending a row ends
its session cookie and its keep-me-logged-in cookie at once, on every server.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models._types import UTCDateTime, utcnow


class UserSession(db.Model):
    __tablename__ = "user_sessions"

    #: surrogate key; also what the "your sessions" page posts to end one
    id: Mapped[int] = mapped_column(primary_key=True)
    #: whose session it is
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: SHA-256 (hex) of the random token in the session cookie
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: public half of the keep-me-logged-in cookie (None: the session is not remembered)
    remember_selector: Mapped[str | None] = mapped_column(String(32), unique=True)
    #: SHA-256 (hex) of the secret half of the keep-me-logged-in cookie
    remember_hash: Mapped[str | None] = mapped_column(String(64))
    #: the secret half it replaced, still accepted for a few seconds after the replacement
    #: (two requests of one page carrying the old cookie at once)
    previous_remember_hash: Mapped[str | None] = mapped_column(String(64))
    #: when the keep-me-logged-in cookie was last replaced (UTC)
    remember_rotated_at: Mapped[object | None] = mapped_column(UTCDateTime)
    #: when the keep-me-logged-in cookie stops working unless used before (UTC)
    remember_expires_at: Mapped[object | None] = mapped_column(UTCDateTime)
    #: when the user logged in (UTC)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    #: last request seen, to a few minutes (UTC)
    last_seen_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    #: when the session was ended (UTC); None while it is active
    ended_at: Mapped[object | None] = mapped_column(UTCDateTime, index=True)
    #: why: "logout", "password", "reset", "roles", "deactivated", "ended", "expired", "stolen"
    end_reason: Mapped[str | None] = mapped_column(String(20))
    #: the browser's own description (User-Agent, shortened), to recognise the device
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    #: the address the last request came from
    address: Mapped[str] = mapped_column(String(64), default="")

    user = relationship("User")

    @property
    def active(self) -> bool:
        return self.ended_at is None

    @property
    def remembered(self) -> bool:
        return self.remember_selector is not None
