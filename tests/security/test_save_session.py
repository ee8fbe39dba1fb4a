"""The autosave's session check reads the session row's columns and its user in one statement
(app.auth.sessions.check_request): a session ended, idle too long, or whose user was
deactivated is refused on the JSON endpoint exactly as on a page (401, nothing stored), on
the very next save after the change, whichever process made it."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import select, update

from app.auth.sessions import log_in_client
from app.db import writing
from app.extensions import db
from app.models import Answer, User, UserSession
from app.models._types import utcnow
from tests.security.conftest import SAVE, evaluation_id


def _save(client, eid, value: str):
    body = {"key": uuid.uuid4().hex, "changes": {"1.1": {"value": value}}}
    return client.post(f"/evaluations/{eid}/answers", data=json.dumps(body),
                       headers={**SAVE, "Content-Type": "application/json"})


def _stored(app, eid):
    with app.app_context():
        return db.session.scalar(select(Answer.value).where(
            Answer.evaluation_id == eid, Answer.criterion_id == "1.1"))


def _end_rows(app):
    with app.app_context(), writing():
        db.session.execute(update(UserSession).values(ended_at=utcnow(), end_reason="ended"))


def _idle(app):
    with app.app_context(), writing():
        db.session.execute(update(UserSession).values(
            last_seen_at=utcnow() - dt.timedelta(hours=25)))


def _deactivate_only(app):
    """The user's flag, without ending the session rows (as a direct database edit would)."""
    with app.app_context(), writing():
        db.session.execute(update(User).where(User.username == "inspector")
                           .values(active=False))


def _other_user(app):
    """The row now names another user than the cookie's."""
    with app.app_context(), writing():
        other = db.session.scalar(select(User.id).where(User.username == "reviewer"))
        db.session.execute(update(UserSession).values(user_id=other))


@pytest.mark.parametrize("revoke", [_end_rows, _idle, _deactivate_only, _other_user],
                         ids=["ended", "idle", "deactivated", "other-user"])
def test_an_autosave_after_its_session_is_revoked_is_refused(new_client, demo_app, revoke):
    client = new_client()
    log_in_client(client, "inspector")
    eid = evaluation_id(demo_app)
    assert _save(client, eid, "41").status_code == 200  # the session works …
    assert _save(client, eid, "42").status_code == 200  # … and again, with its user read
    assert _stored(demo_app, eid) == 42
    revoke(demo_app)
    response = _save(client, eid, "43")
    assert response.status_code == 401
    assert _stored(demo_app, eid) == 42
    # and it stays refused (nothing of the earlier check is remembered)
    assert _save(client, eid, "44").status_code == 401
    assert _stored(demo_app, eid) == 42


def test_a_second_server_sees_the_revocation_at_once(new_client, demo_app, another_app):
    client = new_client()
    log_in_client(client, "inspector")
    eid = evaluation_id(demo_app)
    assert _save(client, eid, "51").status_code == 200
    other = another_app().test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    assert _save(other, eid, "52").status_code == 200  # the same session, another process
    _end_rows(demo_app)
    assert _save(other, eid, "53").status_code == 401
    assert _save(client, eid, "54").status_code == 401
    assert _stored(demo_app, eid) == 52


def test_the_plain_user_of_the_autosave_is_the_user_for_every_rule(demo_app):
    """The autosave's session check reads its user as plain columns (SessionUser): for every
    user of the demo it answers what the ORM User answers — its columns, Flask-Login's
    flags, every role, and app.access's rules on every evaluation."""
    from app import access
    from app.auth.sessions import _USER_COLUMNS, SessionUser
    from app.models import Evaluation
    from app.models.users import ROLES

    with demo_app.app_context():
        users = db.session.scalars(select(User).order_by(User.id)).all()
        evaluations = db.session.scalars(select(Evaluation).order_by(Evaluation.id)).all()
        assert len(users) >= 5 and evaluations
        for user in users:
            plain = SessionUser(*(getattr(user, name) for name in SessionUser._fields))
            assert set(SessionUser._fields) <= set(_USER_COLUMNS.keys())
            for name in (*SessionUser._fields, "is_active", "is_authenticated",
                         "is_anonymous", "role_set", "display_name"):
                assert getattr(plain, name) == getattr(user, name), (user.username, name)
            assert plain.get_id() == user.get_id()
            for role in ROLES:
                assert plain.has_role(role) == user.has_role(role)
            assert plain.has_role(*ROLES) == user.has_role(*ROLES)
            for evaluation in evaluations:
                for rule in (access.may_view, access.may_answer, access.may_review,
                             access.may_sign):
                    assert rule(plain, evaluation) == rule(user, evaluation), (
                        user.username, evaluation.id, rule.__name__)
            for rule, check in access.REACH.items():
                assert check(plain) == check(user), (user.username, rule)


def test_the_autosave_reads_its_user_as_plain_columns_and_pages_as_the_object(
        new_client, demo_app):
    from flask import g, request_finished

    from app.auth.sessions import SessionUser
    from app.models import AuditEvent

    client = new_client()
    log_in_client(client, "inspector")
    eid = evaluation_id(demo_app)
    seen = []

    def user_of_request(_sender, **_extra):
        seen.append(type(g.get("arzyab_session_user")))

    with request_finished.connected_to(user_of_request, demo_app):
        assert _save(client, eid, "61").status_code == 200
        assert client.get(f"/evaluations/{eid}").status_code == 200
    assert seen == [SessionUser, User]
    with demo_app.app_context():
        inspector = db.session.scalar(select(User.id).where(User.username == "inspector"))
        answer = db.session.scalar(select(Answer).where(
            Answer.evaluation_id == eid, Answer.criterion_id == "1.1"))
        assert answer.value == 61 and answer.updated_by_id == inspector
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "answer.change").order_by(AuditEvent.id.desc()))
        assert event.user_id == inspector and event.evaluation_id == eid
