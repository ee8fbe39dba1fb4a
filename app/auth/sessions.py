"""Login sessions that can be ended: one row per login (:class:`app.models.UserSession`).

The signed session cookie carries a random token whose SHA-256 must match an active row on
every request (:func:`check_request`, before any view), so a session ends for good, on every
server, the moment its row is ended; a copy of the cookie is worth nothing after that.

- Logging out ends every session of the user, on every device (:func:`log_out`).
- Changing one's password ends every other session (:func:`renew_after_password_change`).
- An admin's password reset, a change of roles, province or active flag ends all of the
  user's sessions (:func:`end_all`, called by ``app.admin.users.services``).
- "Keep me logged in" is a cookie ``selector.validator`` tied to one row: valid for
  ``REMEMBER_DAYS`` after its last use, replaced by a new one each time it logs the device
  back in, stored only as a hash. A replaced cookie used again later than a few seconds after
  its replacement means someone holds a copy: the row is ended.
- A session not used for ``SESSION_IDLE_HOURS`` ends (the remember cookie, if any, opens a
  new one); each user keeps at most ``SESSIONS_PER_USER`` sessions.

For tests: :func:`log_in_client` logs a user into a Flask test client without posting a
password (the same row and cookie a real login makes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import NamedTuple

from flask import current_app, g, request, session
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, delete, or_, select, update

from app import audit
from app.api import is_api_request
from app.auth import cookies
from app.db import writing
from app.extensions import db, login_manager
from app.models import User, UserSession
from app.models._types import utcnow
from app.models.users import UserRules

#: where the session cookie keeps the token
TOKEN_KEY = "sid"
REMEMBER_COOKIE = "arzyab_remember"
#: Flask-Login's own remember cookie, issued by older versions: never honoured, deleted
LEGACY_REMEMBER_COOKIE = "remember_token"
#: last-seen time is written at most this often per session
TOUCH_EVERY = dt.timedelta(minutes=5)
#: a replaced remember cookie still works this long (two requests of one page at once)
GRACE = dt.timedelta(seconds=30)
#: ended sessions are kept this long (for the record), then deleted
KEEP_ENDED = dt.timedelta(days=30)
#: requests that need no user at all
SKIP_ENDPOINTS = frozenset({"static", "font"})
#: session keys that survive a login (everything else is dropped: no fixation)
KEPT_KEYS = ("lang",)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _idle() -> dt.timedelta:
    return dt.timedelta(hours=current_app.config["SESSION_IDLE_HOURS"])


def _remember_for() -> dt.timedelta:
    return dt.timedelta(days=current_app.config["REMEMBER_DAYS"])


def _client() -> tuple[str, str]:
    """(User-Agent shortened, address) of this request, printable only."""
    from app.limits import client_address

    agent = "".join(ch for ch in request.headers.get("User-Agent", "") if ch.isprintable())
    return agent[:200], client_address()[:64]


# --- opening and ending ------------------------------------------------------------------------

def open_session(user: User, *, remember: bool, user_agent: str = "",
                 address: str = "") -> tuple[UserSession, str, str | None]:
    """A new session row for `user` (in the current writing transaction): the row, the token
    for the session cookie, and the remember cookie's value (None unless `remember`)."""
    now = utcnow()
    token = secrets.token_urlsafe(32)
    row = UserSession(user_id=user.id, token_hash=_digest(token), created_at=now,
                      last_seen_at=now, user_agent=user_agent[:200], address=address[:64])
    remember_value = None
    if remember:
        selector, validator = secrets.token_urlsafe(12), secrets.token_urlsafe(32)
        row.remember_selector, row.remember_hash = selector, _digest(validator)
        row.remember_rotated_at, row.remember_expires_at = now, now + _remember_for()
        remember_value = f"{selector}.{validator}"
    db.session.add(row)
    db.session.flush()
    _prune(user.id, now)
    return row, token, remember_value


def _prune(user_id: int, now: dt.datetime) -> None:
    """Keep the table small: end this user's sessions past the per-user cap (least recently
    used first) and delete every row ended (or dead) long ago."""
    live = list(db.session.scalars(
        select(UserSession).where(UserSession.user_id == user_id,
                                  UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())))
    for row in live[current_app.config["SESSIONS_PER_USER"]:]:
        _end(row, "expired", now)
    old = now - KEEP_ENDED
    dead = now - max(_idle(), _remember_for()) - KEEP_ENDED
    db.session.execute(delete(UserSession).where(or_(
        UserSession.ended_at < old, UserSession.last_seen_at < dead)))


def _end(row: UserSession, reason: str, now: dt.datetime) -> None:
    row.ended_at, row.end_reason = now, reason
    row.remember_selector = row.remember_hash = row.previous_remember_hash = None


def end_all(user: User, reason: str, *, keep_current: bool = False) -> int:
    """End every active session of `user` (in the current writing transaction), except this
    request's own when `keep_current`; returns how many were ended."""
    keep = current_row() if keep_current else None
    query = update(UserSession).where(UserSession.user_id == user.id,
                                      UserSession.ended_at.is_(None))
    if keep is not None and keep.user_id == user.id:
        query = query.where(UserSession.id != keep.id)
    result = db.session.execute(query.values(
        ended_at=utcnow(), end_reason=reason, remember_selector=None, remember_hash=None,
        previous_remember_hash=None).execution_options(synchronize_session=False))
    return result.rowcount or 0


def end_one(user: User, session_id: int) -> bool:
    """End one of `user`'s own sessions (from the sessions page); False if there is none."""
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != user.id or row.ended_at is not None:
        return False
    _end(row, "ended", utcnow())
    db.session.flush()
    audit.record("user.session_end", "user", user.id, user=user, session=row.id)
    return True


def active_sessions(user: User) -> list[UserSession]:
    """`user`'s sessions that still work, most recently used first."""
    now = utcnow()
    rows = db.session.scalars(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None),
        or_(UserSession.last_seen_at > now - _idle(), UserSession.remember_expires_at > now))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()))
    return list(rows)


# --- this request ------------------------------------------------------------------------------

def current_row() -> UserSession | SessionRow | None:
    """This request's session row (None when nobody is logged in): its ``id`` and
    ``user_id`` are what callers read (a :class:`SessionRow` as the check read it, or the
    row itself after a remember cookie logged the device back in)."""
    return g.get("arzyab_session")


def _start(user: User, token: str, *, fresh: bool) -> None:
    kept = {key: session[key] for key in KEPT_KEYS if key in session}
    session.clear()
    session.update(kept)
    login_user(user, remember=False, fresh=fresh)
    session[TOKEN_KEY] = token


def log_in(user: User, *, remember: bool) -> UserSession:
    """Log `user` in on this request (inside the login's writing transaction): a new session
    row, a fresh session cookie (nothing of the one before survives but the language), and
    the remember cookie when asked for."""
    agent, address = _client()
    row, token, remember_value = open_session(user, remember=remember, user_agent=agent,
                                              address=address)
    _start(user, token, fresh=True)
    g.arzyab_session = row
    if remember_value:
        cookies.set_later(REMEMBER_COOKIE, remember_value, _max_age())
    else:
        cookies.delete_later(REMEMBER_COOKIE)
    return row


def _max_age() -> int:
    return int(_remember_for().total_seconds())


def log_out() -> None:
    """End every session of the logged-in user, on every device, and forget this one."""
    row = current_row()
    if row is not None:
        with writing():
            user = db.session.get(User, row.user_id)
            count = end_all(user, "logout")
            audit.record("user.logout", "user", user.id, user=user, sessions=count)
    log_out_here()


def log_out_here() -> None:
    """Forget this device's login (its row already ended) without touching the others."""
    logout_user()
    _forget()
    cookies.delete_later(REMEMBER_COOKIE)


def renew_after_password_change(user: User) -> None:
    """After `user` changed their password (inside that writing transaction): every other
    session ends, and this one gets a new token and, if remembered, a new remember cookie."""
    end_all(user, "password", keep_current=True)
    row = current_row()
    if row is None or row.user_id != user.id:
        return
    row = db.session.get(UserSession, row.id)
    token = secrets.token_urlsafe(32)
    row.token_hash = _digest(token)
    if row.remember_selector:
        # a new selector too: the cookie from before simply finds nothing (it is not taken
        # for a stolen copy, which would end this session)
        selector, validator = secrets.token_urlsafe(12), secrets.token_urlsafe(32)
        row.remember_selector, row.previous_remember_hash = selector, None
        row.remember_hash, row.remember_rotated_at = _digest(validator), utcnow()
        cookies.set_later(REMEMBER_COOKIE, f"{selector}.{validator}", _max_age())
    db.session.flush()
    session[TOKEN_KEY] = token


def _forget() -> None:
    for key in ("_user_id", "_fresh", "_id", "_remember", "_remember_seconds", TOKEN_KEY):
        session.pop(key, None)


class SessionRow(NamedTuple):
    """What a request needs of its session row (read as plain columns, with its user as an
    object, by one statement: cheaper than loading the row as an object)."""

    id: int
    user_id: int
    ended_at: dt.datetime | None
    last_seen_at: dt.datetime


class _SessionUserColumns(NamedTuple):
    id: int
    username: str
    full_name: str
    roles: str
    province_id: int | None
    municipality_id: int | None
    active: bool
    must_change_password: bool
    locale: str


class SessionUser(_SessionUserColumns, UserRules):
    """The request's user as plain columns, for views that read nothing else of it
    (:func:`plain_user`): what app.access, the autosave, the audit and the hooks of every
    request (locale, a temporary password, the limits' key) read of a :class:`User`, under
    the same names, and the same rules (:class:`app.models.users.UserRules`). Read with the
    session row in its one statement: loading a :class:`User` object costs that statement
    about twice."""

    __slots__ = ()

    #: Flask-Login: a checked session's user
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    def get_id(self) -> str:
        return str(self.id)


_SESSION_COLUMNS = (UserSession.id, UserSession.user_id, UserSession.ended_at,
                    UserSession.last_seen_at)
#: the session row of a token's hash and its user (built once: every request runs it)
_SESSION_OF_TOKEN = (
    select(User, *_SESSION_COLUMNS)
    .join(User, User.id == UserSession.user_id)
    .where(UserSession.token_hash == bindparam("token_hash")))
_USER_COLUMNS = User.__table__.c
#: the same with the user as the columns of a :class:`SessionUser`
_PLAIN_SESSION_OF_TOKEN = (
    select(*(_USER_COLUMNS[name] for name in SessionUser._fields), *_SESSION_COLUMNS)
    .join(User.__table__, _USER_COLUMNS.id == UserSession.user_id)
    .where(UserSession.token_hash == bindparam("token_hash")))


def plain_user(view):
    """Declare that `view` reads nothing of the request's user but a :class:`SessionUser`'s
    columns and rules (never an ORM object to pass on, nothing lazily loaded): the session
    check then reads the user that way. The check itself is the same."""
    view.plain_user = True
    return view


def _session_of(token: str):
    """(user, :class:`SessionRow`) of a session token, or None when no row has it."""
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "plain_user", False):
        found = db.session.connection().execute(_PLAIN_SESSION_OF_TOKEN,
                                                {"token_hash": _digest(token)}).first()
        fields = len(SessionUser._fields)
        return None if found is None else (SessionUser(*found[:fields]),
                                           SessionRow(*found[fields:]))
    found = db.session.execute(_SESSION_OF_TOKEN, {"token_hash": _digest(token)}).first()
    return None if found is None else (found[0], SessionRow(*found[1:]))


def check_request() -> None:
    """before_request: find this request's session row, or log the device back in from its
    remember cookie; a cookie whose row is ended (or missing) logs nobody in."""
    g.arzyab_session = g.arzyab_session_user = None
    if request.endpoint in SKIP_ENDPOINTS or is_api_request():  # the API: tokens only
        return
    if LEGACY_REMEMBER_COOKIE in request.cookies:
        cookies.delete_later(LEGACY_REMEMBER_COOKIE)
    now = utcnow()
    row = user = None
    token = session.get(TOKEN_KEY)
    if isinstance(token, str) and 20 <= len(token) <= 100:
        found = _session_of(token)
        if found is not None:
            user, row = found
            if not (row.ended_at is None and str(row.user_id) == str(session.get("_user_id"))
                    and row.last_seen_at > now - _idle() and user.active):
                row = user = None
    if row is None:
        if TOKEN_KEY in session or "_user_id" in session:
            _forget()
        value = request.cookies.get(REMEMBER_COOKIE)
        if value:
            row = _restore(value, now)
    elif now - row.last_seen_at > TOUCH_EVERY:
        _touch(row, now)
    g.arzyab_session, g.arzyab_session_user = row, user


def _touch(row: UserSession, now: dt.datetime) -> None:
    agent, address = _client()
    with writing():
        db.session.execute(update(UserSession).where(UserSession.id == row.id).values(
            last_seen_at=now, address=address).execution_options(synchronize_session=False))


def _restore(value: str, now: dt.datetime) -> UserSession | None:
    """Log the device back in from its remember cookie `value`, replacing the cookie."""
    selector, _dot, validator = value.partition(".")
    if not (8 <= len(selector) <= 32 and 20 <= len(validator) <= 64):
        cookies.delete_later(REMEMBER_COOKIE)
        return None
    digest = _digest(validator)
    with writing():
        row = db.session.scalar(select(UserSession).where(
            UserSession.remember_selector == selector).with_for_update())
        if row is None or row.ended_at is not None or row.remember_expires_at is None or \
                row.remember_expires_at <= now or not row.user.active:
            cookies.delete_later(REMEMBER_COOKIE)
            return None
        if hmac.compare_digest(digest, row.remember_hash or ""):
            token, new_validator = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            agent, address = _client()
            row.token_hash = _digest(token)
            row.previous_remember_hash, row.remember_hash = row.remember_hash, \
                _digest(new_validator)
            row.remember_rotated_at, row.remember_expires_at = now, now + _remember_for()
            row.last_seen_at, row.address = now, address
            user = row.user
        elif row.previous_remember_hash and row.remember_rotated_at and \
                now - row.remember_rotated_at <= GRACE and \
                hmac.compare_digest(digest, row.previous_remember_hash):
            # a second request that left with the cookie just replaced: served, nothing set
            g.arzyab_grace_user = row.user
            return row
        else:
            # a replaced cookie, used again: a copy exists somewhere. End the session.
            _end(row, "reused", now)
            audit.record("user.remember_reused", "user", row.user_id, session=row.id)
            cookies.delete_later(REMEMBER_COOKIE)
            return None
    _start(user, token, fresh=False)
    cookies.set_later(REMEMBER_COOKIE, f"{selector}.{new_validator}", _max_age())
    return db.session.get(UserSession, row.id)


@login_manager.user_loader
def _load_user(user_id: str):
    """The user of this request's checked session row (see :func:`check_request`)."""
    row = current_row()
    if row is None or str(row.user_id) != str(user_id):
        return None
    user = g.get("arzyab_session_user")  # loaded with the row, in this request's session
    if user is None or user.id != row.user_id:
        user = db.session.get(User, row.user_id)
    return user if user is not None and user.active else None


@login_manager.request_loader
def _load_request_user(_request):
    """An API request's user is its token's (app.api.tokens, checked before its views); a
    page's, in the moment after its remember cookie was replaced, the grace user."""
    if is_api_request():
        from app.api.tokens import request_user

        return request_user()
    return g.get("arzyab_grace_user")


def init_app(app) -> None:
    """Check the session before anything else runs (register before other hooks)."""
    app.before_request(check_request)
    app.after_request(cookies.apply)


# --- tests -------------------------------------------------------------------------------------

def log_in_client(client, user, *, remember: bool = False) -> UserSession:
    """Log `user` (a User, an id or a username) into Flask test `client` with no password
    post: the same session row and cookies a real login makes. Returns the row (detached)."""
    app = client.application
    with app.app_context():
        with writing():
            if isinstance(user, str):
                found = db.session.scalar(select(User).where(User.username == user.lower()))
            else:
                found = db.session.get(User, getattr(user, "id", user))
            if found is None:
                raise LookupError(f"no user {user!r}")
            row, token, remember_value = open_session(found, remember=remember,
                                                      user_agent="test client",
                                                      address="127.0.0.1")
            user_id = found.id
        db.session.refresh(row)
        db.session.expunge(row)
    with client.session_transaction() as stored:
        kept = {key: stored[key] for key in KEPT_KEYS if key in stored}
        stored.clear()
        stored.update(kept)
        stored.update({"_user_id": str(user_id), "_fresh": True, TOKEN_KEY: token})
    if remember_value:
        client.set_cookie(REMEMBER_COOKIE, remember_value)
    return row
