"""The administration side: a town's centre in the admin form and the import file, and the
province's setting for recording the place of visits (off by default, audited)."""

from __future__ import annotations

import io

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Evaluation, EvaluationCycle, Municipality, Province
from app.paradata.views import form_config
from tests.helpers import csrf_token, login, post_form

PROFILE = {"county": "کهک", "grade": "3", "population": "2891", "census_year": "1395",
           "budget_million_rial": "210000", "staff_count": "40", "area_hectares": "280"}


def _town(name):
    return db.session.scalar(select(Municipality).where(Municipality.name == name))


def test_the_admin_form_takes_the_town_centre_in_any_digits(client, demo_app):
    login(client, "admin")
    with demo_app.app_context():
        url = f"/admin/municipalities/{_town('کهک').id}"
    response = post_form(client, url, {**PROFILE, "latitude": "۳۴٫۳۹۱۲",
                                       "longitude": "50.8612"})
    assert response.status_code == 302
    with demo_app.app_context():
        kahak = _town("کهک")
        assert (kahak.latitude, kahak.longitude) == (34.3912, 50.8612)
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "municipality.update"))
        assert event.details["new"]["latitude"] == 34.3912
        assert "latitude" not in kahak.tier_basis()  # a place, not a resource of a tier
    page = post_form(client, url + "?lang=en", {**PROFILE, "latitude": "95"}, page_url=url)
    assert page.status_code == 422
    assert "decimal degrees" in page.text


def test_the_import_file_may_carry_the_town_centre(client, demo_app):
    login(client, "admin")
    data = ("نام,درجه,عرض جغرافیایی,طول جغرافیایی\n"
            "قنوات,۴,۳۴٫۶۱۲۳,۵۱٫۰۱۴۵\n").encode()
    page = client.get("/admin/municipalities/import")
    response = client.post("/admin/municipalities/import", content_type="multipart/form-data",
                           data={"csrf_token": csrf_token(page.text), "province": "قم",
                                 "action": "import",
                                 "file": (io.BytesIO(data), "towns.csv")})
    assert response.status_code in (200, 302), response.text
    with demo_app.app_context():
        town = _town("قنوات")
        assert (town.latitude, town.longitude) == (34.6123, 51.0145)
    bad = ("نام,درجه,عرض جغرافیایی\nقنوات,۴,شمال\n").encode()
    page = client.get("/admin/municipalities/import?lang=en")
    response = client.post("/admin/municipalities/import?lang=en",
                           content_type="multipart/form-data",
                           data={"csrf_token": csrf_token(page.text), "province": "قم",
                                 "action": "import", "file": (io.BytesIO(bad), "towns.csv")})
    assert "decimal degrees" in response.text
    with demo_app.app_context():
        assert _town("قنوات").latitude == 34.6123  # all or nothing: unchanged


def test_recording_the_place_is_off_by_default_and_turned_on_per_province(client, demo_app):
    with demo_app.app_context():
        province = db.session.scalar(select(Province).where(Province.name == "قم"))
        assert province.record_location is False
        evaluation = db.session.scalar(select(Evaluation).join(Municipality)
                                       .join(EvaluationCycle).where(
            Municipality.name == "جعفریه", EvaluationCycle.year == 1404))
        eid, pid = evaluation.id, province.id
    login(client, "reviewer")
    assert client.get("/admin/record-location").status_code == 403
    login(client, "admin")
    page = client.get("/admin/record-location")
    assert page.status_code == 200 and f'value="{pid}"' in page.text
    response = client.post("/admin/record-location", data={
        "csrf_token": csrf_token(page.text), "province": str(pid)})
    assert response.status_code == 302
    assert client.post("/admin/record-location", data={"province": str(pid)}).status_code == 400
    with demo_app.test_request_context():
        assert db.session.get(Province, pid).record_location is True
        assert form_config(db.session.get(Evaluation, eid))["location"] is True
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "province.record_location"))
        assert event.details == {"name": "قم", "old": False, "new": True}
    login(client, "inspector")
    assert 'id="location-notice"' in client.get(f"/evaluations/{eid}").text
