"""Each flag on a crafted evaluation, its reason, explaining it (audited), who sees flags, the
dashboard's list and the export. A flag never blocks: every save and upload here succeeds."""

import csv
import datetime as dt
import io

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Evaluation, EvaluationCycle, Municipality
from app.paradata import flags as flag_rules
from tests.helpers import csrf_token, login
from tests.paradata.conftest import CENTRE, FAR, make_site, ms, photo, save, upload

T0 = dt.datetime(2026, 11, 3, 7, 0)  # 10:30 in Tehran


def visit(minutes=60, units=None, locations=(), start=T0):
    end = start + dt.timedelta(minutes=minutes)
    return {"device_time": ms(end), "visit": {"start": ms(start), "end": ms(end)},
            "criteria": {"1.1": {"first": ms(start), "last": ms(end), "changes": 1}},
            "units": units if units is not None else {"waste": minutes * 60},
            "locations": list(locations)}


def flags_of(app, eid):
    with app.app_context():
        return {f.key: f for f in flag_rules.compute(db.session.get(Evaluation, eid))}


def test_a_unit_answered_in_far_less_time_than_expected_is_flagged(client, demo_app, site):
    login(client, "inspector")
    # the rubric expects 40 minutes for waste; the share is 0.25: under 10 minutes flags
    save(client, site.eid, {"1.1": {"value": "80"}}, paradata=visit(units={"waste": 9 * 60}))
    flag = flags_of(demo_app, site.eid)["fast:waste"]
    assert flag.kind == "fast" and "۹" in flag.reason and "۴۰" in flag.reason
    other = make_site(demo_app, name="کندآباد")
    save(client, other.eid, {"1.1": {"value": "80"}}, paradata=visit(units={"waste": 25 * 60}))
    assert "fast:waste" not in flags_of(demo_app, other.eid)


def test_a_place_far_from_the_town_is_flagged_with_its_distance(client, demo_app, site):
    login(client, "inspector")
    far = {"moment": "start", "lat": FAR[0], "lon": FAR[1], "accuracy": 30, "at": ms(T0)}
    near = {"moment": "submit", "lat": CENTRE[0] + 0.01, "lon": CENTRE[1], "accuracy": 20,
            "at": ms(T0)}
    save(client, site.eid, {"1.1": {"value": "80"}}, paradata=visit(locations=[far, near]))
    found = {k: f for k, f in flags_of(demo_app, site.eid).items() if f.kind == "place-far"}
    assert list(found) == ["place-far:start:0"]
    assert "۱۲۵٫۶" in found["place-far:start:0"].reason  # Qom to Tehran, as the crow flies


def test_photos_taken_outside_the_visit_or_far_from_the_town_are_flagged(client, demo_app,
                                                                         site):
    login(client, "inspector")
    save(client, site.eid, {"1.1": {"value": "80"}}, paradata=visit(60))
    # the visit: 10:30–11:30 Tehran time; slack 60 minutes
    inside = upload(client, site.eid, photo(dt.datetime(2026, 11, 3, 11, 0), CENTRE, pattern=1))
    early = upload(client, site.eid, photo(dt.datetime(2026, 11, 1, 18, 5), CENTRE, pattern=2))
    away = upload(client, site.eid, photo(dt.datetime(2026, 11, 3, 10, 50), FAR, pattern=3))
    found = flags_of(demo_app, site.eid)
    assert f"photo-time:{early['id']}" in found
    assert f"photo-time:{inside['id']}" not in found and f"photo-time:{away['id']}" not in found
    assert f"photo-far:{away['id']}" in found
    assert f"photo-far:{inside['id']}" not in found and f"photo-far:{early['id']}" not in found
    assert "۱۴۰۵/۰۸/۱۰ ۱۸:۰۵" in found[f"photo-time:{early['id']}"].reason


def test_the_visit_day_is_the_window_when_the_form_recorded_no_times(client, demo_app, site):
    login(client, "inspector")
    page = client.get(f"/evaluations/{site.eid}")
    client.post(f"/evaluations/{site.eid}/visit-date", data={
        "csrf_token": csrf_token(page.text), "visit_date": "۱۴۰۵/۰۸/۱۲"})
    same_day = upload(client, site.eid, photo(dt.datetime(2026, 11, 3, 23, 30), pattern=1))
    next_day = upload(client, site.eid, photo(dt.datetime(2026, 11, 4, 8, 0), pattern=2))
    found = flags_of(demo_app, site.eid)
    assert f"photo-time:{next_day['id']}" in found
    assert f"photo-time:{same_day['id']}" not in found


def test_the_same_photo_in_another_municipality_is_flagged_in_both(client, demo_app, site):
    login(client, "inspector")
    other = make_site(demo_app, name="همسایه‌آباد")
    here = upload(client, site.eid, photo(pattern=4))
    there = upload(client, other.eid, photo(pattern=4, colour=(32, 118, 92)))  # re-saved copy
    different = upload(client, other.eid, photo(pattern=1, colour=(200, 30, 30)))
    mine, theirs = flags_of(demo_app, site.eid), flags_of(demo_app, other.eid)
    assert f"photo-same:{here['id']}" in mine
    assert "همسایه‌آباد" in mine[f"photo-same:{here['id']}"].reason
    assert f"photo-same:{there['id']}" in theirs
    assert f"photo-same:{different['id']}" not in theirs


def test_many_answers_changed_after_a_return_without_new_photos_are_flagged(client, demo_app):
    """The demo's returned evaluation: five answers changed, one with a new photo."""
    with demo_app.app_context():
        eid = db.session.scalar(select(Evaluation.id).join(Municipality).join(EvaluationCycle)
                                .where(Municipality.name == "سلفچگان",
                                       EvaluationCycle.year == 1404))
        stored = {a.criterion_id: a.value for a in db.session.get(Evaluation, eid).answers}

    def other(cid, kind):  # a value different from the stored one
        if kind == "yesno":
            return {"value": not stored.get(cid)}
        return {"value": str(1 if stored.get(cid) != 1 else 2)}

    login(client, "inspector")
    assert "changed-after-return" not in flags_of(demo_app, eid)
    notes = {cid: {"note": f"یادداشت تازه {cid}"} for cid in ("1.1", "1.3", "1.4", "1.5", "2.1")}
    assert save(client, eid, notes).status_code == 200
    assert "changed-after-return" not in flags_of(demo_app, eid)  # notes are not answers
    changes = {"1.1": other("1.1", "percent"), "1.4": other("1.4", "yesno"),
               "1.5": other("1.5", "number"), "1.3": other("1.3", "scale")}
    assert save(client, eid, changes).status_code == 200
    assert "changed-after-return" not in flags_of(demo_app, eid)  # four: under five
    assert save(client, eid, {"2.1": other("2.1", "yesno")}).status_code == 200
    assert "changed-after-return" in flags_of(demo_app, eid)
    upload(client, eid, photo(pattern=5), criterion="2.1")  # new evidence for one of them
    assert "changed-after-return" not in flags_of(demo_app, eid)


def test_a_reviewer_explains_a_flag_with_a_note_audited_and_shown(client, demo_app, site):
    login(client, "inspector")
    save(client, site.eid, {"1.1": {"value": "80"}}, paradata=visit(units={"waste": 60}))
    login(client, "reviewer")
    page = client.get(f"/evaluations/{site.eid}")
    assert 'data-flag="fast:waste"' in page.text
    response = client.post(f"/evaluations/{site.eid}/flags/explain", data={
        "csrf_token": csrf_token(page.text), "flag": "fast:waste",
        "note": "فرم را پس از بازدید از روی یادداشت‌های کاغذی پر کرده است."})
    assert response.status_code == 302
    flag = flags_of(demo_app, site.eid)["fast:waste"]
    assert flag.explained["note"].startswith("فرم را پس از بازدید")
    with demo_app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "flag.explain"))
        assert event.evaluation_id == site.eid and event.details["flag"] == "fast:waste"
    page = client.get(f"/evaluations/{site.eid}").text
    assert "یادداشت‌های کاغذی" in page
    # an empty note, or a flag the evaluation does not have, explains nothing
    for data in ({"flag": "fast:waste", "note": "  "}, {"flag": "fast:nothing", "note": "x"}):
        client.post(f"/evaluations/{site.eid}/flags/explain",
                    data={"csrf_token": csrf_token(page), **data})
    with demo_app.app_context():
        assert db.session.scalar(select(db.func.count(AuditEvent.id)).where(
            AuditEvent.action == "flag.explain")) == 1
    # without the CSRF token: refused
    assert client.post(f"/evaluations/{site.eid}/flags/explain",
                       data={"flag": "fast:waste", "note": "x"}).status_code == 400


def test_the_inspector_may_not_explain_or_export(client, demo_app, site):
    login(client, "inspector")
    save(client, site.eid, {"1.1": {"value": "80"}}, paradata=visit(units={"waste": 60}))
    page = client.get(f"/evaluations/{site.eid}")
    response = client.post(f"/evaluations/{site.eid}/flags/explain", data={
        "csrf_token": csrf_token(page.text), "flag": "fast:waste", "note": "x"})
    assert response.status_code == 404
    assert client.get("/dashboard/flags.csv").status_code == 403
    assert client.get("/dashboard/flags").status_code == 403


def test_the_dashboard_lists_flagged_evaluations_and_managers_export_them(client, demo_app,
                                                                          site):
    login(client, "inspector")
    save(client, site.eid, {"1.1": {"value": "80"}}, paradata=visit(units={"waste": 60}))
    # the assigned reviewer: the list and the flags, not the export
    login(client, "reviewer")
    listing = client.get("/dashboard/flags")
    assert listing.status_code == 200
    assert f'data-evaluation="{site.eid}"' in listing.text and "آزمون‌آباد" in listing.text
    assert 'id="export-paradata-csv"' not in listing.text
    assert client.get("/dashboard/flags.csv").status_code == 403
    assert 'id="nav-flags"' in client.get("/dashboard/").text
    # the province's manager: every evaluation of the province, and the export
    login(client, "manager")
    listing = client.get("/dashboard/flags")
    assert f'data-evaluation="{site.eid}"' in listing.text
    assert 'id="export-paradata-csv"' in listing.text
    assert 'data-flag="fast:waste"' in client.get(f"/evaluations/{site.eid}").text
    exported = client.get("/dashboard/flags.csv")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    mine = [r for r in rows[1:] if r[0] == str(site.eid)]
    assert mine and mine[0][1] == "آزمون‌آباد" and mine[0][10] == "1"
    assert client.get("/dashboard/flags.xlsx").status_code == 200
    # the manager reads the flags but explaining them is the reviewer's
    page = client.get(f"/evaluations/{site.eid}")
    assert "flags/explain" not in page.text


def test_a_municipality_never_sees_paradata_not_even_of_its_own_final(client, demo_app):
    """Dastjerd's account and its issued final of 1404: the page opens, nothing of the
    paradata does."""
    with demo_app.app_context():
        eid = db.session.scalar(select(Evaluation.id).join(Municipality).join(EvaluationCycle)
                                .where(Municipality.name == "دستجرد",
                                       EvaluationCycle.year == 1404))
    login(client, "dastjerd")
    page = client.get(f"/evaluations/{eid}")
    assert page.status_code == 200  # its issued final
    assert 'id="flags"' not in page.text and "visit-record" not in page.text
    assert 'class="photo-facts"' not in page.text
    assert client.get(f"/evaluations/{eid}/visit-record").status_code == 404
    assert client.get("/dashboard/flags").status_code == 403
    assert client.get("/dashboard/flags.csv").status_code == 403
