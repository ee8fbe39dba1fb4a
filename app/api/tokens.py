"""Personal API tokens: made and revoked by their owner on the profile, listed and revoked by
administrators, and checked on every ``/api/`` request.

A token is ``arz_`` and 43 random URL-safe characters; only its SHA-256 is stored, with its
first characters (shown to tell tokens apart). It acts as its user: what it may read is what
the user may read, decided by ``app.access`` exactly as for the pages. A revoked or expired
token, or one whose user was deactivated, opens nothing. Every use is audited and counted by
the ``api`` rate limit (per token); failed attempts by the ``api_refused`` limit (per address).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import g, request
from sqlalchemy import select, update

from app import access, audit
from app.errors import ServiceError
from app.extensions import db
from app.i18n import N_, _
from app.models import ApiToken, User
from app.models._types import utcnow

SCHEME = "arz_"
#: last_used_at is written at most this often per token
TOUCH_EVERY = dt.timedelta(minutes=1)
#: the expiries a person may choose, in days (None: until revoked)
EXPIRIES = (30, 90, 365, None)
MAX_NAME = 100
#: tokens one user may hold at once (live ones)
MAX_PER_USER = 20

MISSING = N_("This address needs an API token: send it in the header "
             "«Authorization: Bearer …». Make one on your profile page.")
UNKNOWN = N_("This API token is not valid.")
REVOKED = N_("This API token was revoked.")
EXPIRED = N_("This API token has expired. Make a new one on your profile page.")
INACTIVE = N_("The account of this API token is deactivated.")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- the owner's and the administrators' use cases --------------------------------------------

def create(user: User, *, name: str, days: int | None) -> tuple[ApiToken, str]:
    """A new token of `user` named `name`, valid `days` days (None: until revoked), in the
    current writing transaction; returns the row and the token, which is never shown again."""
    name = (name or "").strip()[:MAX_NAME]
    if not name:
        raise ServiceError(_("Give the token a name, such as the program that will use it."),
                           422)
    if days not in EXPIRIES:
        raise ServiceError(_("Choose one of the offered expiries."), 422)
    if len(live_tokens(user)) >= MAX_PER_USER:
        raise ServiceError(_("You have as many tokens as one person may hold. Revoke one you "
                             "no longer use first."), 409)
    token = SCHEME + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(user_id=user.id, name=name, prefix=token[:10], token_hash=digest(token),
                   created_at=now,
                   expires_at=None if days is None else now + dt.timedelta(days=days))
    db.session.add(row)
    db.session.flush()
    audit.record("api_token.create", "api_token", row.id, user=user, name=name,
                 expires_at=row.expires_at)
    return row, token


def revoke(row: ApiToken, *, actor: User) -> None:
    """Revoke `row` (in the current writing transaction); revoking twice changes nothing."""
    if row.revoked_at is not None:
        return
    row.revoked_at, row.revoked_by_id = utcnow(), actor.id
    audit.record("api_token.revoke", "api_token", row.id, user=actor, owner=row.user_id,
                 name=row.name)


def may_revoke(actor: User, row: ApiToken) -> bool:
    """The owner, or an administrator who manages the owner's account (``app.access``)."""
    return row.user_id == actor.id or access.may_manage_user(actor, row.user)


def live_tokens(user: User) -> list[ApiToken]:
    """`user`'s tokens that still work, newest first."""
    now = utcnow()
    return [row for row in tokens_of(user) if row.usable(now)]


def tokens_of(user: User) -> list[ApiToken]:
    """Every token of `user`, newest first (revoked and expired ones too, for the record)."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def all_tokens(actor: User, *, include_ended: bool = False):
    """A select() of the tokens of the users `actor` administers (``app.access``), newest
    first; without `include_ended`, only those not revoked."""
    statement = (select(ApiToken).join(User, User.id == ApiToken.user_id)
                 .where(access.users_condition(actor))
                 .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    if not include_ended:
        statement = statement.where(ApiToken.revoked_at.is_(None))
    return statement


# --- a request -------------------------------------------------------------------------------

def presented() -> str | None:
    """The token this request carries (``Authorization: Bearer …``), or None."""
    header = request.headers.get("Authorization", "")
    scheme, _space, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    value = value.strip()
    return value if 0 < len(value) <= 200 else None


def limit_key() -> str:
    """Rate-limit key of an API request: its token (hashed; no database needed), else the
    address."""
    from app.limits import client_address

    token = presented()
    return f"token:{digest(token)[:24]}" if token else client_address()


class Refused(Exception):
    """The token of this request opens nothing: `status` (401, or 429 after too many failed
    attempts from the address) and the translated `message`."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


def authenticate() -> None:
    """Check this request's token: afterwards its user is this request's user (see
    :func:`request_user`); raises :class:`Refused` otherwise."""
    from app.db import writing
    from app.limits import client_address, exceeded, hit

    g.arzyab_api_user = None
    token = presented()
    if token is None:
        raise Refused(401, _(MISSING))
    wait = exceeded("api_refused", client_address())
    if wait is not None:
        raise Refused(429, _("Too many attempts with tokens that are not valid. Please wait "
                             "a minute and try again."), wait)
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
    now = utcnow()
    if row is None or not row.usable(now):
        refusal = (UNKNOWN if row is None else REVOKED if row.revoked_at is not None
                   else EXPIRED if row.expires_at is not None and row.expires_at <= now
                   else INACTIVE)
        hit("api_refused", client_address())
        if row is not None:
            with writing():
                audit.record("api_token.refused", "api_token", row.id, user=row.user,
                             reason=refusal, path=request.path[:200])
        raise Refused(401, _(refusal))
    with writing():
        if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
            db.session.execute(update(ApiToken).where(ApiToken.id == row.id)
                               .values(last_used_at=now)
                               .execution_options(synchronize_session=False))
        audit.record("api.read", "api_token", row.id, user=row.user,
                     path=request.path[:200], query=request.query_string.decode()[:300])
    g.arzyab_api_user = db.session.get(User, row.user_id)
    g.arzyab_api_token = row.id


def request_user():
    """The user of this API request's token, checked on first use (Flask-Login's request
    loader asks here, whoever asks for ``current_user`` first); None when it opens nothing
    (then :func:`refusal` says why)."""
    if "arzyab_api_checked" not in g:
        g.arzyab_api_checked = True
        try:
            authenticate()
        except Refused as refused:
            g.arzyab_api_refusal = refused
    return g.get("arzyab_api_user")


def refusal() -> Refused | None:
    """Why this API request's token opens nothing (None: it does)."""
    request_user()
    return g.get("arzyab_api_refusal")
