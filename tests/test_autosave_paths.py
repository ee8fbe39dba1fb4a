"""The autosave reads its evaluation as a plain row (services.evaluation_row_for_save) instead
of an ORM object (the former path, kept here as the reference), and
inserts the batch's paradata with a plain statement. The same sequence of requests on two
copies of the demo database, one through each path, must give byte-for-byte equal responses
and equal stored rows (times aside): saves of every kind of answer (typed values, inputs,
ticked items, samples, N/A), replays, a key reused for other changes, conflicts between
devices, all-or-nothing refusals, requests refused before any save work, and users who may
not answer."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Evaluation, EvaluationCycle, Municipality
from tests.conftest import fresh_app
from tests.helpers import login

SAVE = {"X-Arzyab-Save": "1"}
#: the tables a save writes
TABLES = ("evaluations", "answers", "unit_results", "save_receipts", "audit_events",
          "paradata_records")


def _orm_path(evaluation_id, key, _connection):
    """The reference reading: the evaluation as an ORM object (the receipt then read by
    save_answers itself)."""
    from app.evaluations import services

    return db.session.get(Evaluation, evaluation_id), services.UNREAD


def _orm_paradata(evaluation, payload, **how):
    """The former recording: the paradata row added to the session as an object."""
    from app.paradata.views import record_from_request

    how.pop("user", None), how.pop("connection", None)
    record_from_request(evaluation, payload, **how)


def _evaluation_id(app, town="جعفریه", year=1404):
    with app.app_context():
        return db.session.scalar(
            sa.select(Evaluation.id).join(Municipality).join(EvaluationCycle)
            .where(Municipality.name == town, EvaluationCycle.year == year))


def _changes(app, eid):
    """A change of each kind per applicable criterion (built by its own type), and the
    criteria that may and may not be N/A."""
    from app.evaluations import services
    from app.rubric.formula import profile_values

    with app.app_context():
        evaluation = db.session.get(Evaluation, eid)
        rubric = services.rubric_for(evaluation)
        values = profile_values(services.profile_of(evaluation))
        criteria = [c for c in rubric.criteria() if c.applies(evaluation.tier_id)]
        made = {quality: {c.id: c.kind.demo_answer(c, evaluation.tier_id, quality, values)
                          for c in criteria} for quality in (0.3, 0.8)}
        na = [c.id for c in criteria if c.allow_na]
        not_na = [c.id for c in criteria if not c.allow_na]
        return made, na, not_na


def _requests(made, na, not_na, eid):
    """The sequence: (who, evaluation, body or raw text, extra headers)."""
    ids = list(made[0.3])
    first, second = ids[:6], ids[6:12]
    paradata = {"device_time": 1_764_000_000_000, "visit": {"start": 1_764_000_000_000},
                "criteria": {ids[0]: {"first": 1_764_000_000_000, "last": 1_764_000_100_000,
                                      "changes": 2}}, "location_status": "denied"}
    steps = [
        ("inspector", eid, {"key": "k" * 20, "device": "d" * 16, "base_version": None,
                            "changes": {c: made[0.3][c] for c in first},
                            "paradata": paradata}, {}),
        ("inspector", eid, {"key": "k" * 20, "device": "d" * 16, "base_version": None,
                            "changes": {c: made[0.3][c] for c in first},
                            "paradata": paradata}, {}),                      # a replay
        ("inspector", eid, {"key": "k" * 20, "device": "d" * 16,
                            "changes": {first[0]: made[0.8][first[0]]}}, {}),  # key reused
        ("inspector", eid, {"key": "m" * 20, "device": "d" * 16, "base_version": 2,
                            "changes": {c: made[0.8][c] for c in first}}, {}),
        # another device, from the first version: its changes conflict
        ("inspector", eid, {"key": "n" * 20, "device": "e" * 16, "base_version": 1,
                            "changes": {c: made[0.3][c] for c in first[:3]}}, {}),
        # … unless they equal what is stored
        ("inspector", eid, {"key": "o" * 20, "device": "e" * 16, "base_version": 1,
                            "changes": {c: made[0.8][c] for c in first[:2]}}, {}),
        # the same device from an old version: no conflict with itself
        ("inspector", eid, {"key": "p" * 20, "device": "d" * 16, "base_version": 1,
                            "changes": {c: made[0.3][c] for c in second}}, {}),
        # N/A with a reason, and a batch refused whole for one bad part
        ("inspector", eid, {"key": "q" * 20, "device": "d" * 16,
                            "changes": {na[0]: {"na": True, "na_reason": "تعطیل است"}}}, {}),
        ("inspector", eid, {"key": "r" * 20, "device": "d" * 16,
                            "changes": {ids[13]: made[0.8][ids[13]],
                                        not_na[0]: {"na": True, "na_reason": "x"},
                                        "99.99": {"value": 1}}}, {}),
        ("inspector", eid, {"changes": {ids[14]: made[0.8][ids[14]], ids[15]: {"na": "no"}}},
         {}),
        # without a key, every remaining criterion, then back from N/A
        ("inspector", eid, {"device": "d" * 16,
                            "changes": {c: made[0.8][c] for c in ids[12:]}}, {}),
        ("inspector", eid, {"key": "s" * 20, "changes": {na[0]: made[0.3][na[0]]}}, {}),
        # a note only, kept value
        ("inspector", eid, {"key": "t" * 20, "changes": {first[1]: {"note": "یادداشت"}}}, {}),
        # refused before any save work, and by whom
        ("inspector", eid, '{"changes": ', {}),
        ("inspector", eid, {"key": "short", "changes": {}}, {}),
        ("inspector", eid, {"changes": {str(n): {} for n in range(501)}}, {}),
        ("inspector", eid, {"changes": {}}, {"X-Arzyab-Save": "0"}),
        ("inspector", 999_999, {"changes": {}}, {}),
        ("reviewer", eid, {"key": "u" * 20, "changes": {first[0]: made[0.3][first[0]]}}, {}),
        ("manager", eid, {"key": "v" * 20, "changes": {first[0]: made[0.3][first[0]]}}, {}),
        ("inspector", eid, {"key": "w" * 20, "changes": {}}, {}),
    ]
    return steps


def _run(app, steps):
    answers = []
    clients = {}
    for who, eid, body, headers in steps:
        client = clients.get(who)
        if client is None:
            client = clients[who] = app.test_client()
            login(client, who)
        data = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        response = client.post(f"/evaluations/{eid}/answers", data=data,
                               headers={**SAVE, "Content-Type": "application/json",
                                        **headers})
        answers.append((response.status_code, response.content_type, response.data))
    return answers


def _stored(app):
    """Every row of the tables a save writes, times left out (they differ by the clock)."""
    found = {}
    with app.app_context():
        metadata = db.metadata
        for name in TABLES:
            table = metadata.tables[name]
            columns = list(table.columns)
            rows = db.session.execute(sa.select(*columns).order_by(table.c.id)).all()
            found[name] = [tuple(_plain(v) for v in row) for row in rows]
        db.session.remove()
    return found


def _plain(value):
    if isinstance(value, dt.datetime | dt.date):
        return "<time>"
    return value


@pytest.fixture
def two_apps(databases, tmp_path):
    made = []
    for name in ("old", "new"):
        (tmp_path / name).mkdir()
    gens = [fresh_app(databases, "demo", tmp_path / name) for name in ("old", "new")]
    for gen in gens:
        made.append(next(gen))
    yield made
    for gen in gens:
        for _ in gen:
            pass


def test_the_row_path_answers_and_stores_exactly_as_the_orm_path(two_apps, monkeypatch):
    old, new = two_apps
    eid = _evaluation_id(new)
    assert eid == _evaluation_id(old)
    made, na, not_na = _changes(new, eid)
    steps = _requests(made, na, not_na, eid)

    from app.evaluations import views

    with monkeypatch.context() as patch:
        patch.setattr(views.services, "evaluation_row_for_save", _orm_path)
        patch.setattr(views, "_record_paradata", _orm_paradata)
        before = _run(old, steps)
    after = _run(new, steps)

    statuses = [status for status, _type, _body in after]
    # the sequence reaches every outcome it means to
    assert statuses.count(200) >= 7 and {400, 403, 404, 409, 413, 422} <= set(statuses)
    assert any(b'"replayed": true' in body or b'"replayed":true' in body
               for _s, _t, body in after)
    assert any(b'"conflicts"' in body for _s, _t, body in after)
    for step, (was, now) in enumerate(zip(before, after, strict=True)):
        assert was == now, f"request {step} answered differently"
    stored_before, stored_after = _stored(old), _stored(new)
    assert stored_after["answers"] and stored_after["paradata_records"]
    assert len(stored_after["audit_events"]) > len(made[0.3])
    for table in TABLES:
        assert stored_before[table] == stored_after[table], f"{table} differ"
