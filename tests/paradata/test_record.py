"""The form's paradata: kept with every batch (a replay records nothing twice), cleaned and
bounded, never in the way of the answers, append-only in the database, summed up per visit."""

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from app.extensions import db
from app.models import Answer, Evaluation, ParadataRecord
from app.paradata import record
from tests.helpers import csrf_token, login
from tests.paradata.conftest import ms, save

T0 = dt.datetime(2026, 11, 3, 7, 0, 0)


def report(start=T0, minutes=30, criteria=("1.1",), units=None, **extra):
    end = start + dt.timedelta(minutes=minutes)
    return {"device_time": ms(end), "visit": {"start": ms(start), "end": ms(end)},
            "criteria": {c: {"first": ms(start), "last": ms(end), "changes": 2}
                         for c in criteria},
            "units": units if units is not None else {"waste": minutes * 60}, **extra}


def rows(app, eid):
    with app.app_context():
        return [(r.kind, r.device, r.batch_key, r.device_time, r.received_at, r.data)
                for r in db.session.scalars(select(ParadataRecord).where(
                    ParadataRecord.evaluation_id == eid).order_by(ParadataRecord.id))]


def test_a_batch_keeps_its_paradata_once_with_device_and_server_times(client, demo_app, site):
    login(client, "inspector")
    sent = report()
    response = save(client, site.eid, {"1.1": {"value": "80"}}, paradata=sent, key="k" * 16)
    assert response.status_code == 200, response.text
    # the same batch again (a retry after a lost answer): stored once
    assert save(client, site.eid, {"1.1": {"value": "80"}}, paradata=sent,
                key="k" * 16).json["replayed"]
    kept = rows(demo_app, site.eid)
    assert len(kept) == 1
    kind, device, key, device_time, received_at, data = kept[0]
    assert (kind, device, key) == ("batch", "device-0001", "k" * 16)
    assert device_time == T0 + dt.timedelta(minutes=30)   # the device's clock, as it said
    assert abs((received_at - dt.datetime.now(dt.UTC).replace(tzinfo=None)).total_seconds()) < 60
    assert data["criteria"]["1.1"] == {"first": "2026-11-03T07:00:00",
                                       "last": "2026-11-03T07:30:00", "changes": 2}
    assert data["units"] == {"waste": 1800}


@pytest.mark.parametrize("bad", [
    "not a dict", {"criteria": {"1.1": {"changes": "many"}, "x" * 80: {}}},
    {"visit": {"start": 1e30}, "units": {"waste": -5}},
    {"locations": [{"moment": "start", "lat": 123, "lon": 50}, {"moment": "lunch"}]},
    {"device_time": True, "criteria": [1, 2, 3]},
])
def test_unreadable_paradata_is_left_out_and_the_answers_are_saved(client, demo_app, site, bad):
    login(client, "inspector")
    response = save(client, site.eid, {"1.1": {"value": "70"}}, paradata=bad)
    assert response.status_code == 200, response.text
    with demo_app.app_context():
        answer = db.session.scalar(select(Answer).where(Answer.evaluation_id == site.eid))
        assert answer.value == 70
    for _kind, _device, _key, _time, _at, data in rows(demo_app, site.eid):
        assert "x" * 80 not in data.get("criteria", {})
        assert data.get("units", {}).get("waste") is None
        for place in data.get("locations", []):
            assert -90 <= place["lat"] <= 90 and place["moment"] in ("start", "submit")


def test_clean_bounds_what_it_keeps():
    many = {"criteria": {f"c{i}": {"changes": 1} for i in range(2000)},
            "locations": [{"moment": "start", "lat": 34.6, "lon": 50.8, "accuracy": 20}] * 10}
    cleaned = record.clean(many)
    assert len(cleaned["criteria"]) == record.MAX_CRITERIA
    assert len(cleaned["locations"]) == record.MAX_LOCATIONS
    assert record.clean({"visit": {"start": ms(dt.datetime(1990, 1, 1))}}) == {}


def test_paradata_rows_are_append_only_in_the_database(client, demo_app, site):
    login(client, "inspector")
    save(client, site.eid, {"1.1": {"value": "80"}}, paradata=report())
    with demo_app.app_context():
        for statement in ("UPDATE paradata_records SET kind = 'submit'",
                          "DELETE FROM paradata_records"):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                with db.engine.begin() as connection:
                    connection.execute(sa.text(statement))
        assert db.session.scalar(select(db.func.count(ParadataRecord.id))) == 1


def test_the_summary_adds_up_every_report_of_the_visit(client, demo_app, site):
    login(client, "inspector")
    save(client, site.eid, {"1.1": {"value": "80"}},
         paradata=report(T0, 20, units={"waste": 600}))
    save(client, site.eid, {"1.2": {"inputs": {"separated": "2", "collected": "40"}}},
         paradata=report(T0 + dt.timedelta(minutes=25), 10, criteria=("1.1", "1.2"),
                         units={"waste": 300, "finance": 120}), device="device-0002")
    with demo_app.app_context():
        summary = record.summary(db.session.get(Evaluation, site.eid))
    assert summary["records"] == 2
    assert summary["visit"] == {"start": T0, "end": T0 + dt.timedelta(minutes=35)}
    assert summary["units"] == {"waste": 900, "finance": 120}
    assert summary["criteria"]["1.1"]["changes"] == 4
    assert summary["criteria"]["1.1"]["first"] == T0
    assert summary["criteria"]["1.1"]["last"] == T0 + dt.timedelta(minutes=35)
    assert sorted(d["device"] for d in summary["devices"]) == ["device-0001", "device-0002"]


def test_the_inspector_sees_what_is_recorded_about_the_visit_but_no_flags(client, demo_app,
                                                                         site):
    login(client, "inspector")
    save(client, site.eid, {"1.1": {"value": "80"}}, paradata=report())
    page = client.get(f"/evaluations/{site.eid}")
    assert f"/evaluations/{site.eid}/visit-record" in page.text
    assert 'id="flags"' not in page.text  # the flags are for reviewers and managers
    shown = client.get(f"/evaluations/{site.eid}/visit-record")
    assert shown.status_code == 200
    # thirty active minutes in the waste unit, which the rubric expects to take forty
    assert "<td>۳۰</td><td>۴۰</td>" in shown.text
    # the device's clock said 2026-11-03: far from the server's, and said so
    assert "record-criteria" in shown.text
    assert "دقیقه اختلاف داشت" in shown.text


def test_submission_keeps_the_last_report_with_the_submit_kind(client, demo_app):
    """The demo's returned evaluation, resubmitted through the form with its paradata."""
    login(client, "inspector")
    with demo_app.app_context():
        from app.models import EvaluationCycle, Municipality

        eid = db.session.scalar(select(Evaluation.id).join(Municipality).join(EvaluationCycle)
                                .where(Municipality.name == "سلفچگان",
                                       EvaluationCycle.year == 1404))
    page = client.get(f"/evaluations/{eid}")
    import json

    sent = report(locations=[{"moment": "submit", "lat": 34.64, "lon": 50.87,
                              "accuracy": 15, "at": ms(T0)}], location_status="granted")
    response = client.post(f"/evaluations/{eid}/submit", data={
        "csrf_token": csrf_token(page.text), "paradata": json.dumps(sent),
        "device": "device-0009"})
    assert response.status_code in (200, 302), response.text
    with demo_app.app_context():
        assert db.session.get(Evaluation, eid).status == "submitted"
    kept = rows(demo_app, eid)
    assert [(k[0], k[1]) for k in kept] == [("submit", "device-0009")]
    assert kept[0][5]["locations"][0]["accuracy"] == 15


def test_nobody_else_reaches_the_record_of_a_visit(client, demo_app, site):
    login(client, "inspector")
    save(client, site.eid, {"1.1": {"value": "80"}}, paradata=report())
    login(client, "author")  # logged in, but not one who may see the evaluation
    assert client.get(f"/evaluations/{site.eid}/visit-record").status_code == 404
    anonymous = demo_app.test_client()
    assert anonymous.get(f"/evaluations/{site.eid}/visit-record").status_code == 302
