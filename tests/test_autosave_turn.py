"""The autosave worked out before the writers' turn (SQLite: one writer at a time) and written
under it only if what it read still stands (app.evaluations.views._autosave): whatever lands
between the plan and the turn — another device's save of another answer or of the same one, a
removed assignment — the outcome is the one of a save worked out after it. On PostgreSQL,
where no turn is taken, the same changes land before the save's own transaction reads: the
outcome asserted is the same on both databases."""

from __future__ import annotations

import fcntl
import json
import os
import threading
import uuid

import pytest
from sqlalchemy import delete, select

import app.db
from app.auth.sessions import log_in_client
from app.db import writers_take_turns, writing
from app.evaluations import services
from app.extensions import db
from app.models import Answer, Assignment, Evaluation, User
from tests.security.conftest import SAVE, evaluation_id


def _save(client, eid, changes: dict, **body):
    body = {"key": uuid.uuid4().hex, "changes": changes, **body}
    return client.post(f"/evaluations/{eid}/answers", data=json.dumps(body),
                       headers={**SAVE, "Content-Type": "application/json"})


def _device(app, username="inspector"):
    client = app.test_client()
    log_in_client(client, username)
    return client


def _stored(app, eid) -> dict:
    with app.app_context():
        return dict(db.session.execute(select(Answer.criterion_id, Answer.value).where(
            Answer.evaluation_id == eid)).all())


def _version(app, eid) -> int:
    with app.app_context():
        return db.session.get(Evaluation, eid).version


@pytest.fixture
def before_the_turn(monkeypatch):
    """`run(work)`: `work()` runs once, in another thread (another request of the server),
    when the next writing transaction asks for its turn (on PostgreSQL: when it begins),
    before it has it; the transaction goes on once `work()` is done."""
    pending = []
    queue = app.db._writers_queue

    def asking(engine):
        while pending:
            work = threading.Thread(target=pending.pop())  # its writing() finds none pending
            work.start()
            work.join(timeout=30)
            assert not work.is_alive()
        return queue(engine)

    monkeypatch.setattr(app.db, "_writers_queue", asking)
    return pending.append


def test_a_save_of_another_answer_before_the_turn_is_kept_and_scored_with_it(
        demo_app, before_the_turn):
    eid = evaluation_id(demo_app)
    tablet, laptop = _device(demo_app), _device(demo_app)
    first = _save(tablet, eid, {"1.1": {"value": "40"}}, device="tablet-0001")
    seen = first.get_json()["version"]
    other = []
    before_the_turn(lambda: other.append(
        _save(laptop, eid, {"2.3": {"value": "60"}}, base_version=seen, device="laptop-0001")))
    response = _save(tablet, eid, {"1.1": {"value": "45"}}, base_version=seen,
                     device="tablet-0001")
    assert other[0].status_code == 200, other[0].get_json()
    assert response.status_code == 200, response.get_json()
    assert other[0].get_json()["version"] == seen + 1
    assert response.get_json()["version"] == seen + 2 == _version(demo_app, eid)
    stored = _stored(demo_app, eid)
    assert (stored["1.1"], stored["2.3"]) == (45, 60)
    # the reply's figures and the stored ones are those of both answers
    assert response.get_json()["score"]["values"]["2.3"] == 60
    with demo_app.app_context():
        evaluation = db.session.get(Evaluation, eid)
        card = services.scorecard(evaluation)
        assert (evaluation.score, evaluation.answered_count) == (card.score, card.answered)
        assert response.get_json()["score"]["score"] == card.score


def test_a_save_of_the_same_answer_before_the_turn_is_a_conflict(demo_app, before_the_turn):
    eid = evaluation_id(demo_app)
    tablet, laptop = _device(demo_app), _device(demo_app)
    seen = _save(tablet, eid, {"1.1": {"value": "40"}}, device="tablet-0001").get_json()[
        "version"]
    before_the_turn(lambda: _save(laptop, eid, {"1.1": {"value": "70"}}, base_version=seen,
                                  device="laptop-0001"))
    response = _save(tablet, eid, {"1.1": {"value": "45"}}, base_version=seen,
                     device="tablet-0001")
    assert response.status_code == 409
    assert response.get_json()["conflicts"]["1.1"]["theirs"]["value"] == 70
    assert response.get_json()["version"] == seen + 1 == _version(demo_app, eid)
    assert _stored(demo_app, eid)["1.1"] == 70


def test_an_assignment_removed_before_the_turn_refuses_the_save(demo_app, before_the_turn):
    eid = evaluation_id(demo_app)
    tablet = _device(demo_app)
    assert _save(tablet, eid, {"1.1": {"value": "40"}}).status_code == 200
    version = _version(demo_app, eid)

    def unassign():
        with demo_app.app_context(), writing():
            inspector = db.session.scalar(select(User.id).where(User.username == "inspector"))
            db.session.execute(delete(Assignment).where(Assignment.evaluation_id == eid,
                                                        Assignment.user_id == inspector))

    before_the_turn(unassign)
    response = _save(tablet, eid, {"1.1": {"value": "45"}})
    assert response.status_code == 404
    assert _stored(demo_app, eid)["1.1"] == 40
    assert _version(demo_app, eid) == version


@pytest.mark.sqlite_only
def test_sqlite_the_save_is_worked_out_without_the_turn_and_a_replay_never_takes_it(
        demo_app, monkeypatch):
    """While the save reads and scores, another writer could have the turn (the flock beside
    the database is free); a replayed key and a refused batch write nothing and ask for no
    turn at all."""
    with demo_app.app_context():
        assert writers_take_turns(db.engine)
        path = f"{db.engine.url.database}-writers"
    turn_free_while_planning, turns = [], []
    plan, queue = services.plan_save, app.db._writers_queue

    def planning(*args, **kwargs):
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if it is held
            turn_free_while_planning.append(True)
        finally:
            os.close(descriptor)
        return plan(*args, **kwargs)

    def asking(engine):
        turns.append(1)
        return queue(engine)

    eid = evaluation_id(demo_app)
    tablet = _device(demo_app)  # its login writes (a turn) before the counting starts
    monkeypatch.setattr(services, "plan_save", planning)
    monkeypatch.setattr(app.db, "_writers_queue", asking)
    body = {"key": uuid.uuid4().hex, "changes": {"1.1": {"value": "41"}}}
    sent = dict(data=json.dumps(body), headers={**SAVE, "Content-Type": "application/json"})
    assert tablet.post(f"/evaluations/{eid}/answers", **sent).status_code == 200
    assert turn_free_while_planning == [True] and len(turns) == 1
    replay = tablet.post(f"/evaluations/{eid}/answers", **sent)
    assert replay.status_code == 200 and replay.get_json()["replayed"] is True
    refused = _save(tablet, eid, {"1.1": {"value": "not a number"}})
    assert refused.status_code == 422
    assert len(turns) == 1
    assert _stored(demo_app, eid)["1.1"] == 41
