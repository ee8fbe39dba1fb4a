"""The administration pages through HTTP (sessions and CSRF included), on the demo data."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from app.authoring.services import latest_version
from app.extensions import db
from app.i18n import parse_jalali_date
from app.models import AuditEvent, Evaluation, Municipality, User
from tests.admin.conftest import cycle, evaluation, town, user
from tests.admin.test_import import BAD_CSV, GOOD_CSV, xlsx_bytes
from tests.helpers import csrf_token, login, login_with_password, post_form

IMPORT = "/admin/municipalities/import"


def _token(client, url="/evaluations/") -> str:
    return csrf_token(client.get(url).text)


def _upload(client, data: bytes, filename: str, action: str = "preview", lang: str = "en"):
    return client.post(f"{IMPORT}?lang={lang}", content_type="multipart/form-data", data={
        "csrf_token": _token(client, IMPORT), "province": "قم", "action": action,
        "file": (io.BytesIO(data), filename)})


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --- import --------------------------------------------------------------------------------

def test_import_bad_row_names_it_then_fixed_file_previews_and_imports(admin_client, demo_app):
    before = _count(demo_app, Municipality), _count(demo_app, AuditEvent)

    page = _upload(admin_client, BAD_CSV.encode(), "towns.csv")
    assert page.status_code == 422
    assert "Nothing was imported" in page.text
    problems = page.text.split('id="import-problems"')[1].split("</section>")[0]
    assert "row 5" in problems and "درجه" in problems and "۱۵" in problems
    assert "Enter a whole number from 1 to 12." in problems
    assert (_count(demo_app, Municipality), _count(demo_app, AuditEvent)) == before

    page = _upload(admin_client, GOOD_CSV.encode(), "towns.csv")
    assert page.status_code == 200
    preview = page.text.split('id="import-preview"')[1]
    assert "Preview (nothing imported yet)" in preview
    assert "1 new, 1 changed, 1 unchanged." in preview
    assert "<del>9,903</del> → <ins>10,200</ins>" in preview
    assert (_count(demo_app, Municipality), _count(demo_app, AuditEvent)) == before

    token = re.search(r'name="token" value="([0-9a-f]{32})"', page.text).group(1)
    done = admin_client.post(f"{IMPORT}/confirm?lang=en", data={
        "csrf_token": csrf_token(page.text), "token": token, "province": "قم"})
    assert done.status_code == 200, done.text[:2000]
    assert "Imported: 1 new, 1 changed, 1 unchanged." in done.text
    with demo_app.app_context():
        assert town("قنوات").population == 10200 and town("خلجستان").grade == 2
    # the kept file is gone: a second confirm is refused
    again = admin_client.post(f"{IMPORT}/confirm?lang=en", data={
        "csrf_token": csrf_token(page.text), "token": token, "province": "قم"})
    assert again.status_code == 410


def test_import_page_in_persian_names_the_row(admin_client):
    page = _upload(admin_client, BAD_CSV.encode(), "towns.csv", lang="fa")
    assert page.status_code == 422
    assert 'dir="rtl"' in page.text and "۵" in page.text


def test_import_xlsx_at_once(admin_client, demo_app):
    data = xlsx_bytes([["نام", "درجه", "جمعیت", "شهرستان"], ["كهك", "۳", "۳۰۰۰", "کهک"],
                       ["خلجستان", 2, 1200, "قم"]])
    page = _upload(admin_client, data, "towns.xlsx", action="import")
    assert page.status_code == 200, page.text[:3000]
    assert "Imported: 1 new, 1 changed, 0 unchanged." in page.text
    with demo_app.app_context():
        assert town("کهک").population == 3000 and town("خلجستان").county == "قم"


def test_upload_size_limit(admin_client, demo_app):
    demo_app.config["MUNICIPALITY_IMPORT_MAX_BYTES"] = 64
    page = _upload(admin_client, GOOD_CSV.encode(), "towns.csv", action="import")
    assert page.status_code == 422 and "larger than" in page.text
    demo_app.config["MAX_CONTENT_LENGTH"] = 1024
    page = admin_client.post(IMPORT, content_type="multipart/form-data", data={
        "csrf_token": _token(admin_client), "province": "قم",
        "file": (io.BytesIO(b"x" * 4096), "big.csv")})
    assert page.status_code == 413


def test_import_form_needs_a_file_and_a_known_province(admin_client):
    page = admin_client.post(f"{IMPORT}?lang=en", data={
        "csrf_token": _token(admin_client), "province": "قم"})
    assert page.status_code == 422 and "Choose the file to import." in page.text
    page = admin_client.post(IMPORT, content_type="multipart/form-data", data={
        "csrf_token": _token(admin_client), "province": "<script>",
        "file": (io.BytesIO(b"name,grade\n"), "a.csv")})
    assert page.status_code == 422 and "<script>" not in page.text


def test_confirm_refuses_unknown_and_foreign_tokens(admin_client, demo_app):
    page = _upload(admin_client, GOOD_CSV.encode(), "towns.csv")
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page.text).group(1)
    bad = admin_client.post(f"{IMPORT}/confirm", data={
        "csrf_token": csrf_token(page.text), "token": "0" * 32, "province": "قم"})
    assert bad.status_code == 410
    bad = admin_client.post(f"{IMPORT}/confirm", data={
        "csrf_token": csrf_token(page.text), "token": "../../etc/passwd", "province": "قم"})
    assert bad.status_code == 400
    # another administrator cannot use it
    with demo_app.app_context():
        from app.admin.users import services as users
        from app.db import writing

        with writing():
            _user, _password = users.create_user(username="admin2", full_name="دوم",
                                                   roles=["admin"])
        with writing():
            db.session.scalar(select(User).where(User.username == "admin2")) \
                .must_change_password = False
    other = demo_app.test_client()
    login(other, "admin2")
    bad = other.post(f"{IMPORT}/confirm", data={
        "csrf_token": _token(other), "token": token, "province": "قم"})
    assert bad.status_code == 410


# --- municipalities ------------------------------------------------------------------------

def test_municipality_list_search_with_arabic_letters(admin_client):
    page = admin_client.get("/admin/municipalities?q=كهك")
    assert page.status_code == 200
    assert "کهک" in page.text and "دستجرد" not in page.text
    page = admin_client.get("/admin/municipalities?q=" + "x" * 5000)
    assert page.status_code == 200


def test_edit_municipality_with_persian_digits(admin_client, demo_app):
    with demo_app.app_context():
        kahak_id = town("کهک").id
    url = f"/admin/municipalities/{kahak_id}"
    page = admin_client.get(url)
    assert 'value="2891"' in page.text  # whole numbers shown as typed, no exponent
    response = post_form(admin_client, url, {
        "county": "كهك", "grade": "۴", "population": "۳٬۱۰۰", "census_year": "۱۴۰۰",
        "budget_million_rial": "210000", "staff_count": "40", "area_hectares": ""})
    assert response.status_code == 302
    with demo_app.app_context():
        kahak = town("کهک")
        assert (kahak.grade, kahak.population, kahak.census_year) == (4, 3100, 1400)
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "municipality.update"))
        assert event.details["old"] == {"grade": 3, "population": 2891, "census_year": 1395,
                                         "area_hectares": 280}  # the form left it empty
    page = post_form(admin_client, url + "?lang=en", {"grade": "۱۳", "population": "abc"},
                     page_url=url)
    assert page.status_code == 422
    assert "Enter a whole number from" in page.text and "Enter a number" in page.text


# --- cycles, planning, assignment ----------------------------------------------------------

def _create_cycle(client, year="۱۴۰۵"):
    return post_form(client, "/admin/cycles/new", {
        "year": year, "title": "ارزیابی عملکرد سال ۱۴۰۵", "visit_start": "۱۴۰۵/۰۷/۰۱",
        "visit_end": "۱۴۰۵/۰۹/۳۰"})


def test_create_cycle_with_jalali_dates(admin_client, demo_app):
    response = _create_cycle(admin_client)
    assert response.status_code == 302 and "/plan" in response.headers["Location"]
    with demo_app.app_context():
        created = cycle(1405)
        assert created.is_open and created.visit_end == parse_jalali_date("1405/09/30")
    again = _create_cycle(admin_client)
    assert again.status_code == 409
    bad = post_form(admin_client, "/admin/cycles/new?lang=en", {
        "year": "۱۴۰۶", "title": "x", "visit_start": "۱۴۰۶/۱۳/۰۱", "visit_end": "فردا"},
        page_url="/admin/cycles/new")
    assert bad.status_code == 422 and "Enter a Jalali date" in bad.text


def test_close_and_open_a_cycle(admin_client, demo_app):
    with demo_app.app_context():
        cycle_id = cycle(1404).id
    response = post_form(admin_client, f"/admin/cycles/{cycle_id}/close", {},
                         page_url="/admin/cycles")
    assert response.status_code == 302
    with demo_app.app_context():
        assert not cycle(1404).is_open
    inspector = demo_app.test_client()
    login(inspector, "inspector")
    with demo_app.app_context():
        draft_id = evaluation("کهک", 1404).id
    saved = inspector.post(f"/evaluations/{draft_id}/answers", headers={"X-Arzyab-Save": "1"},
                           json={"changes": {"1.1": {"value": "50"}}})
    assert saved.status_code == 403
    post_form(admin_client, f"/admin/cycles/{cycle_id}/open", {}, page_url="/admin/cycles")
    with demo_app.app_context():
        assert cycle(1404).is_open


def _plan_and_assign(client, app):
    _create_cycle(client)
    with app.app_context():
        cycle_id = cycle(1405).id
        province_id = town("قم").province_id
        inspector_id, reviewer_id = user("inspector").id, user("reviewer").id
        version_id = latest_version("municipal-units").id
    plan_url = f"/admin/cycles/{cycle_id}/plan"
    page = client.get(plan_url).text  # the version is chosen by its label
    assert f'<option selected value="{version_id}">\u2066municipal-units 1405.2' in page \
        or f'<option value="{version_id}" selected>\u2066municipal-units 1405.2' in page, page
    response = client.post(plan_url, data={
        "plan-csrf_token": _token(client, plan_url), "plan-province": province_id,
        "plan-version": version_id, "plan-due_date": ""})
    assert response.status_code == 302, response.text[:3000]
    with app.app_context():
        ids = {e.municipality.name: e.id for e in db.session.scalars(
            select(Evaluation).where(Evaluation.cycle_id == cycle_id))}
    assert len(ids) == 6
    chosen = [ids["کهک"], ids["دستجرد"], ids["جعفریه"]]
    response = client.post(f"/admin/cycles/{cycle_id}/assign", data={
        "assign-csrf_token": _token(client, plan_url), "assign-evaluations": chosen,
        "assign-inspectors": [inspector_id], "assign-reviewer": reviewer_id,
        "assign-due_date": "۱۴۰۵/۰۸/۱۵"})
    assert response.status_code == 302, response.text[:3000]
    return cycle_id, ids


def test_plan_all_then_bulk_assign_then_inspector_sees_them(admin_client, demo_app):
    cycle_id, ids = _plan_and_assign(admin_client, demo_app)
    plan = admin_client.get(f"/admin/cycles/{cycle_id}/plan?lang=en")
    table = plan.text.split('id="plan-table"')[1].split("</table>")[0]
    for name in ids:
        assert name in table
    assert table.count("مریم بختیاری") == 3 and table.count("1405/08/15") == 3
    assert table.count("1405/09/30") == 3  # the others: due at the end of the visits
    with demo_app.app_context():
        kahak = evaluation("کهک", 1405)
        assert kahak.due_date == parse_jalali_date("1405/08/15")
        assert [u.username for u in kahak.users_in_role("reviewer")] == ["reviewer"]

    inspector = demo_app.test_client()
    login(inspector, "inspector")
    page = inspector.get("/evaluations/")
    assert page.text.count("۱۴۰۵") >= 3
    for name in ("کهک", "دستجرد", "جعفریه"):
        assert f"/evaluations/{ids[name]}" in page.text
    assert f"/evaluations/{ids['قم']}" not in page.text
    assert inspector.get(f"/evaluations/{ids['کهک']}").status_code == 200


def test_planning_again_skips_existing(admin_client, demo_app):
    cycle_id, _ids = _plan_and_assign(admin_client, demo_app)
    plan_url = f"/admin/cycles/{cycle_id}/plan"
    with demo_app.app_context():
        province_id = town("قم").province_id
        version_id = latest_version("municipal-units").id
    response = admin_client.post(plan_url + "?lang=en", data={
        "plan-csrf_token": _token(admin_client, plan_url), "plan-province": province_id,
        "plan-version": version_id})
    assert response.status_code == 302
    page = admin_client.get(response.headers["Location"])
    assert "Evaluations created: 0. Municipalities that already had one: 6." in page.text


def test_assign_one_evaluation_and_retier(admin_client, demo_app):
    with demo_app.app_context():
        draft_id = evaluation("جعفریه", 1404).id
        approved_id = evaluation("دستجرد", 1404).id
        hamid = User(username="hamid", full_name="حمید", roles="inspector")
        hamid.set_password("x" * 12)
        db.session.add(hamid)
        db.session.commit()
        hamid_id = hamid.id
    url = f"/admin/evaluations/{draft_id}/assign"
    page = admin_client.get(url)
    assert page.status_code == 200 and "checked" in page.text
    response = post_form(admin_client, url, {"inspectors": [hamid_id], "reviewer": "",
                                             "due_date": "1404/09/01"})
    assert response.status_code == 302
    with demo_app.app_context():
        draft = db.session.get(Evaluation, draft_id)
        assert [u.username for u in draft.users_in_role("inspector")] == ["hamid"]
        assert [u.username for u in draft.users_in_role("reviewer")] == ["reviewer"]

    url = f"/admin/evaluations/{draft_id}/retier"
    missing = post_form(admin_client, url + "?lang=en", {"tier": "M", "reason": ""},
                        page_url=url)
    assert missing.status_code == 422 and "Write the reason" in missing.text
    response = post_form(admin_client, url, {"tier": "M", "reason": "ارتقای درجه"})
    assert response.status_code == 302
    with demo_app.app_context():
        assert db.session.get(Evaluation, draft_id).tier_id == "M"
    unknown = post_form(admin_client, url, {"tier": "XL", "reason": "x"})
    assert unknown.status_code == 422
    locked = admin_client.get(f"/admin/evaluations/{approved_id}/retier")
    assert locked.status_code == 409
    refused = post_form(admin_client, f"/admin/evaluations/{approved_id}/retier",
                        {"tier": "M", "reason": "x"}, page_url="/admin/cycles")
    assert refused.status_code == 409
    with demo_app.app_context():
        assert db.session.get(Evaluation, approved_id).tier_id == "S"


# --- users ---------------------------------------------------------------------------------

def test_create_user_shows_the_password_once_and_forces_a_change(admin_client, demo_app):
    response = post_form(admin_client, "/admin/users/new", {
        "username": "Sara", "full_name": "سارا", "roles": ["inspector"], "province": ""})
    assert response.status_code == 200, response.text[:3000]
    assert response.headers["Cache-Control"] == "no-store"
    password = re.search(r'id="temporary-password">([^<]+)<', response.text).group(1)
    newcomer = demo_app.test_client()
    first = login_with_password(newcomer, "sara", password)
    assert first.headers["Location"].endswith("/password")
    with demo_app.app_context():
        assert user("sara").must_change_password


def test_edit_deactivate_and_reset(admin_client, demo_app):
    with demo_app.app_context():
        reviewer_id = user("reviewer").id
    url = f"/admin/users/{reviewer_id}"
    page = admin_client.get(url)
    assert re.search(r'<input checked[^>]*value="reviewer"', page.text)
    assert not re.search(r'<input checked[^>]*value="admin"', page.text)
    response = post_form(admin_client, url, {"full_name": "علیرضا جواهر",
                                             "roles": ["reviewer", "author"], "province": "",
                                             "active": "y"})
    assert response.status_code == 302
    with demo_app.app_context():
        assert user("reviewer").role_set == {"reviewer", "author"}
    reset = post_form(admin_client, f"{url}/password", {}, page_url=url)
    assert reset.status_code == 200 and 'id="temporary-password"' in reset.text
    off = post_form(admin_client, f"{url}/deactivate", {}, page_url=url)
    assert off.status_code == 302
    with demo_app.app_context():
        assert not user("reviewer").active
    refused = demo_app.test_client()
    page = refused.get("/login")
    response = refused.post("/login", data={"username": "reviewer", "password": "arzyab-demo",
                                            "csrf_token": csrf_token(page.text)})
    assert response.status_code == 401


def test_admin_cannot_deactivate_themselves(admin_client, demo_app):
    with demo_app.app_context():
        admin_id = user("admin").id
    url = f"/admin/users/{admin_id}"
    response = post_form(admin_client, f"{url}/deactivate?lang=en", {}, page_url=url)
    assert response.status_code == 302
    page = admin_client.get(response.headers["Location"])
    assert "You cannot remove your own administrator role" in page.text
    with demo_app.app_context():
        assert user("admin").active


# --- role checks ---------------------------------------------------------------------------

def _admin_urls(app) -> list[tuple[str, str]]:
    values = {"user_id": 1, "municipality_id": 1, "cycle_id": 2, "evaluation_id": 8,
              "change": "close", "filename": "admin.css"}
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("admin."):
                continue
            path = rule.build({k: v for k, v in values.items() if k in rule.arguments})[1]
            urls.extend((method, path) for method in sorted(rule.methods & {"GET", "POST"}))
    return urls


def test_every_admin_page_is_listed(demo_app):
    urls = _admin_urls(demo_app)
    assert len(urls) >= 25
    assert ("POST", "/admin/cycles/2/plan") in urls and ("GET", "/admin/audit.csv") in urls


@pytest.mark.parametrize("username", ["inspector", "reviewer", "author"])
def test_only_admins_reach_admin_pages(demo_app, username):
    client = demo_app.test_client()
    login(client, username)
    token = _token(client)
    for method, url in _admin_urls(demo_app):
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token, "plan-csrf_token": token,
                                              "assign-csrf_token": token})
        assert response.status_code == 403, (username, method, url, response.status_code)
        response.close()
    assert "/admin/" not in client.get("/evaluations/").text


def test_anonymous_visitors_are_sent_to_login(demo_app):
    client = demo_app.test_client()
    for method, url in _admin_urls(demo_app):
        response = client.open(url, method=method)
        assert response.status_code in (302, 400), (method, url)  # 400: POST without CSRF
        if method == "GET":
            assert "/login" in response.headers["Location"]


def test_deactivated_admin_session_loses_access(admin_client, demo_app):
    with demo_app.app_context():
        from app.db import writing

        with writing():
            user("admin").active = False
    assert admin_client.get("/admin/").status_code in (302, 403)


def test_admin_sees_the_nav_link(admin_client):
    page = admin_client.get("/evaluations/")
    assert 'href="/admin/"' in page.text


def test_posts_without_csrf_are_refused(admin_client, demo_app):
    response = admin_client.post("/admin/cycles/new", data={"year": "1405", "title": "x"})
    assert response.status_code == 400
    with demo_app.app_context():
        assert cycle(1405) is None


# --- the audit trail -----------------------------------------------------------------------

def test_audit_filter_paginate_and_csv(admin_client, demo_app):
    with demo_app.app_context():
        kahak_id, admin_id = town("کهک").id, user("admin").id
    post_form(admin_client, f"/admin/municipalities/{kahak_id}", {
        "county": "کهک", "grade": "3", "population": "3000", "census_year": "1395",
        "budget_million_rial": "210000", "staff_count": "40", "area_hectares": ""})
    query = f"user={admin_id}&municipality={kahak_id}&action=municipality.update"
    page = admin_client.get(f"/admin/audit?{query}&lang=en")
    assert page.status_code == 200
    assert "Events found: 1" in page.text and "Municipality changed" in page.text
    # in plain words: the field, its old and its new value, never JSON
    assert "Population: 2,891 → 3,000" in page.text and "&#34;" not in page.text
    today = admin_client.get("/admin/audit?date_from=1300/01/01&date_to=1499/12/29&lang=en")
    assert "Page 1 of" in today.text

    export = admin_client.get(f"/admin/audit.csv?{query}")
    assert export.status_code == 200
    assert export.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in export.headers["Content-Disposition"]
    assert export.data.startswith(b"\xef\xbb\xbf")
    lines = export.data.decode("utf-8-sig").strip().split("\r\n")
    assert len(lines) == 2 and "municipality.update" in lines[1] and "کهک" in lines[1]

    everything = admin_client.get("/admin/audit.csv").data.decode("utf-8-sig")
    with demo_app.app_context():
        total = db.session.scalar(select(func.count(AuditEvent.id)))
    assert len(everything.strip().split("\r\n")) == total + 1


def test_audit_pagination(admin_client, demo_app):
    with demo_app.app_context():
        total = db.session.scalar(select(func.count(AuditEvent.id)))
    assert total > 50
    first = admin_client.get("/admin/audit?lang=en")
    second = admin_client.get("/admin/audit?page=2&lang=en")
    assert "Next page" in first.text and "Previous page" in second.text
    beyond = admin_client.get("/admin/audit?page=99999&lang=en")
    assert beyond.status_code == 200 and "No event matches." in beyond.text


@pytest.mark.parametrize("query", ["page=abc", "page=-5", "page=99999999999999999999"])
def test_a_junk_audit_page_number_is_a_400_with_a_message(admin_client, query):
    response = admin_client.get(f"/admin/audit?{query}")
    assert response.status_code == 400 and "شمارهٔ صفحه" in response.text


@pytest.mark.parametrize("query", [
    "evaluation=abc", "evaluation=99999999999999", "user=abc",
    "municipality=%00", "date_from=1404/13/40", "date_from=1404/02/01&date_to=1404/01/01",
    "action=<script>", "date_to=" + "9" * 500,
])
def test_bad_audit_filters_are_told_not_crashed(admin_client, query):
    page = admin_client.get(f"/admin/audit?{query}")
    # a filter that cannot be read is a 400 whose form says what to correct (in Persian); an
    # unknown action is only a filter that matches nothing
    assert page.status_code == (200 if query.startswith("action=") else 400)
    assert "<script>" not in page.text.split("<main")[1]
    export = admin_client.get(f"/admin/audit.csv?{query}")
    assert export.status_code in (200, 400)


# --- no 500 on bad input -------------------------------------------------------------------

@pytest.mark.parametrize("url, data", [
    ("/admin/cycles/2/plan", {"plan-province": "abc", "plan-version": "x"}),
    ("/admin/cycles/2/plan", {"plan-province": "1", "plan-version": "1",
                              "plan-due_date": "۱۴۰۵/۰۲/۳۵"}),
    ("/admin/cycles/2/assign", {"assign-evaluations": ["x"]}),
    ("/admin/cycles/2/assign", {"assign-evaluations": ["999"], "assign-due_date": "1405/01/01"}),
    ("/admin/cycles/2/assign", {"assign-evaluations": ["4"], "assign-inspectors": ["999"]}),
    ("/admin/cycles/2/assign", {"assign-evaluations": ["4"]}),
    ("/admin/cycles/new", {"year": "۱۴۰۵٫۵", "title": "x" * 500}),
    ("/admin/cycles/new", {"year": "99999999999999999999999", "title": "x"}),
    ("/admin/users/new", {"username": "a" * 300, "roles": ["king"], "province": "x"}),
    ("/admin/users/1", {"full_name": "", "roles": [], "province": "99"}),
    ("/admin/municipalities/1", {"grade": "1e400", "population": "NaN"}),
    ("/admin/evaluations/8/assign", {"inspectors": ["1", "abc"], "reviewer": "zz"}),
    ("/admin/evaluations/8/retier", {"tier": "S", "reason": "\x00\x01"}),
    ("/admin/municipalities/import/confirm", {"token": "abc", "province": "قم"}),
])
def test_bad_posts_get_an_answer_not_a_500(admin_client, url, data):
    response = admin_client.post(url, data={**data, "csrf_token": _token(admin_client),
                                            "plan-csrf_token": _token(admin_client),
                                            "assign-csrf_token": _token(admin_client)})
    assert 300 <= response.status_code < 500, (url, response.status_code)


@pytest.mark.parametrize("url", ["/admin/users/9999", "/admin/municipalities/9999",
                                 "/admin/cycles/9999/plan", "/admin/evaluations/9999/assign",
                                 "/admin/evaluations/9999/retier"])
def test_unknown_objects_are_404(admin_client, url):
    assert admin_client.get(url).status_code == 404
