"""People who use Arzyab and what they may do."""

from __future__ import annotations

import secrets

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.i18n import N_
from app.models._types import UTCDateTime, utcnow

#: inspector fills evaluations; reviewer reviews and approves their content; manager (a
#: province's director-general) reads everything of the province and signs finals off;
#: municipality is the account of one municipality (its self-declaration, its issued reports,
#: its answers to the recommendations); author edits rubrics; admin runs users,
#: municipalities and cycles. Who sees what is decided in app/access.py alone.
ROLES = ("inspector", "reviewer", "manager", "municipality", "author", "admin")
#: each role's name (an English message id, translated when shown)
ROLE_TITLES = {"inspector": N_("Inspector"), "reviewer": N_("Reviewer"),
               "manager": N_("Director-General (signs finals)"),
               "municipality": N_("Municipality (its own account)"),
               "author": N_("Rubric author"), "admin": N_("Administrator")}
#: roles that need a province (a director-general's) or a municipality (its own account)
PROVINCE_ROLES = ("manager",)
MUNICIPALITY_ROLES = ("municipality",)


_DUMMY: dict[object, str] = {}


def _dummy_hash(cls) -> str:
    """A hash made the way :meth:`User.set_password` makes them now (same method and cost),
    of a random password nobody knows; one per kind of app (tests may hash more cheaply)."""
    kind = current_app.config.get("TESTING") if has_app_context() else None
    if kind not in _DUMMY:
        probe = cls()
        probe.set_password(secrets.token_urlsafe(16))
        _DUMMY[kind] = probe.password_hash
    return _DUMMY[kind]


def role_set_of(roles: str | None) -> frozenset[str]:
    """The roles a user's ``roles`` column names."""
    return frozenset(r for r in (roles or "").split(",") if r)


class UserRules:
    """What the rules read of a user from its columns (``roles``, ``full_name``,
    ``username``): one home for the ORM :class:`User` and the session check's plain user
    (app.auth.sessions.SessionUser)."""

    __slots__ = ()

    @property
    def role_set(self) -> frozenset[str]:
        return role_set_of(self.roles)

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_set.intersection(roles))

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class User(UserRules, UserMixin, db.Model):
    __tablename__ = "users"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: login name (Latin letters, digits, dot, dash)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    #: the name shown in forms and signed on reports
    full_name: Mapped[str] = mapped_column(String(200), default="")
    #: Werkzeug's salted scrypt/pbkdf2 hash; the password itself is never stored
    password_hash: Mapped[str] = mapped_column(String(255))
    #: comma-separated subset of ROLES, e.g. "reviewer,admin"
    roles: Mapped[str] = mapped_column(String(100), default="")
    #: the province the user works for (None: every province)
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"))
    #: the municipality a municipality account speaks for (None for everyone else)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"))
    #: a deactivated user cannot log in; users are never deleted (audits point at them)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: set when an admin resets the password: the user must choose a new one at next login
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    #: preferred interface language: "fa" or "en"
    locale: Mapped[str] = mapped_column(String(5), default="fa")
    #: when the account was created (UTC)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    #: last successful login (UTC)
    last_login_at: Mapped[object | None] = mapped_column(UTCDateTime)

    def set_roles(self, roles) -> None:
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles: {sorted(unknown)}")
        self.roles = ",".join(r for r in ROLES if r in set(roles))

    def set_password(self, password: str) -> None:
        method = current_app.config["PASSWORD_HASH_METHOD"]  # see app/config.py
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @classmethod
    def check_no_password(cls, password: str) -> bool:
        """Spend on `password` what :meth:`check_password` spends on a real user's, and
        answer False: a login for an unknown or deactivated user then takes as long as one
        for a real user, so the answer time does not tell which usernames exist."""
        check_password_hash(_dummy_hash(cls), password)
        return False

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active)

    municipality = relationship("Municipality")

