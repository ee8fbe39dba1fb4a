"""The web pages through HTTP, CSRF and sessions included, on the demo data."""

import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Evaluation, EvaluationCycle, Municipality, User
from tests.helpers import csrf_token, login, login_with_password, post_form

SAVE = {"X-Arzyab-Save": "1"}


def _id(app, town, year):
    with app.app_context():
        return db.session.scalar(
            select(Evaluation.id).join(Municipality).join(EvaluationCycle)
            .where(Municipality.name == town, EvaluationCycle.year == year))


def test_login_page_is_persian_rtl(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert 'lang="fa" dir="rtl"' in page.text
    assert "ورود" in page.text


def test_wrong_password_is_told_in_persian(client):
    page = client.get("/login")
    response = client.post("/login", data={"username": "inspector", "password": "nope",
                                           "csrf_token": csrf_token(page.text)})
    assert response.status_code == 401
    assert "نام کاربری یا گذرواژه" in response.text


def test_the_right_password_logs_in_records_it_and_opens_the_page_asked_for(client, demo_app):
    """The login form itself (other tests log in through tests.helpers.login, no password)."""
    page = client.get("/login?next=/evaluations/")
    response = client.post("/login?next=/evaluations/", data={
        "username": "Inspector", "password": "arzyab-demo", "csrf_token": csrf_token(page.text)})
    assert response.status_code == 302 and response.headers["Location"] == "/evaluations/"
    assert client.get("/evaluations/").status_code == 200
    with demo_app.app_context():
        user = db.session.scalar(select(User).where(User.username == "inspector"))
        assert user.last_login_at is not None
        assert db.session.scalar(select(AuditEvent.id).where(
            AuditEvent.action == "user.login", AuditEvent.user_id == user.id))
    fresh = demo_app.test_client()
    assert login_with_password(fresh, "reviewer").headers["Location"] == "/"


def test_login_without_csrf_is_refused(client):
    response = client.post("/login", data={"username": "inspector", "password": "arzyab-demo"})
    assert response.status_code == 400


def test_pages_need_login(client):
    response = client.get("/evaluations/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_inspector_sees_assignments_grouped_with_jalali_dates(client):
    login(client, "inspector")
    page = client.get("/evaluations/")
    assert page.status_code == 200
    for town in ("دستجرد", "کهک", "سلفچگان"):
        assert town in page.text
    assert "۱۴۰۴" in page.text and "1404" not in page.text.split("<main")[1]


def test_evaluation_form_shows_rubric_and_targets(client, demo_app):
    login(client, "inspector")
    page = client.get(f"/evaluations/{_id(demo_app, 'کهک', 1404)}")
    assert page.status_code == 200
    assert 'inputmode="decimal"' in page.text
    assert "هدف این رده" in page.text
    # the page's script gets one JSON block: URLs, limits, messages, rules; no data- messages
    import json
    import re

    block = re.search(r'<script type="application/json" id="eval-config">(.*?)</script>',
                      page.text, re.S).group(1)
    config = json.loads(block)
    assert config["urls"]["save"].endswith("/answers")
    assert config["limits"]["note"] == demo_app.config["NOTE_MAX_CHARS"]
    # the autosave's timers are the app's config (shorter in the tests than the 800 ms default)
    assert config["limits"]["debounceMs"] == demo_app.config["AUTOSAVE_DEBOUNCE_MS"]
    assert config["limits"]["retryMs"] == list(demo_app.config["AUTOSAVE_RETRY_MS"])
    assert config["messages"]["waiting"] and config["rules"]["criteria"]
    assert "data-msg-" not in page.text


def test_json_save_then_reload_restores_state(client, demo_app):
    login(client, "inspector")
    eid = _id(demo_app, "جعفریه", 1404)
    state = client.get(f"/evaluations/{eid}/state").json
    response = client.post(f"/evaluations/{eid}/answers", headers=SAVE, json={
        "key": "a" * 32, "base_version": state["version"],
        "changes": {"1.1": {"value": "۸۱٫۵", "note": "يادداشت"}}})
    assert response.status_code == 200, response.text
    assert response.json["score"]["units"]["waste"]["answered"] == 1
    again = client.post(f"/evaluations/{eid}/answers", headers=SAVE, json={
        "key": "a" * 32, "base_version": state["version"],
        "changes": {"1.1": {"value": "۸۱٫۵", "note": "يادداشت"}}})
    assert again.status_code == 200 and again.json["replayed"]
    restored = client.get(f"/evaluations/{eid}/state").json
    assert restored["answers"]["1.1"] == {"value": 81.5, "data": None, "na": False,
                                          "na_reason": "", "note": "یادداشت"}


def test_json_save_needs_the_custom_header(client, demo_app):
    login(client, "inspector")
    eid = _id(demo_app, "جعفریه", 1404)
    response = client.post(f"/evaluations/{eid}/answers", json={"changes": {}})
    assert response.status_code == 400


@pytest.mark.parametrize("payload", [
    "not json", json.dumps([1, 2]), json.dumps({"changes": "x"}),
    json.dumps({"changes": {}, "key": 5}), json.dumps({"changes": {}, "base_version": "x"}),
    json.dumps({"changes": {"1.1": {"value": "1e999"}}}),
    json.dumps({"changes": {"1.1": {"value": "NaN"}}}),
    json.dumps({"changes": {"1.1": "<script>alert(1)</script>"}}),
    json.dumps({"changes": {"../../etc": {"value": 1}}}),
    json.dumps({"changes": {"1.1": {"value": "۱" * 5000}}}),
])
def test_bad_json_saves_get_a_clear_error_not_a_500(client, demo_app, payload):
    login(client, "inspector")
    eid = _id(demo_app, "جعفریه", 1404)
    response = client.post(f"/evaluations/{eid}/answers", data=payload,
                           headers={**SAVE, "Content-Type": "application/json"})
    assert 400 <= response.status_code < 500
    assert response.json["error"]


def test_plain_post_path_saves_without_javascript(client, demo_app):
    login(client, "inspector")
    eid = _id(demo_app, "جعفریه", 1404)
    page = client.get(f"/evaluations/{eid}")
    response = client.post(f"/evaluations/{eid}", data={
        "csrf_token": csrf_token(page.text), "c1_2e_1": "۹۰", "c1_2e_1_note": "خوب"})
    assert response.status_code == 302, response.text[:2000]
    assert client.get(f"/evaluations/{eid}/state").json["answers"]["1.1"]["value"] == 90.0


def test_plain_post_with_a_bad_number_shows_the_error_and_keeps_the_text(client, demo_app):
    login(client, "inspector")
    eid = _id(demo_app, "جعفریه", 1404)
    page = client.get(f"/evaluations/{eid}")
    response = client.post(f"/evaluations/{eid}", data={
        "csrf_token": csrf_token(page.text), "c1_2e_1": "نود"})
    assert response.status_code == 422
    assert 'value="نود"' in response.text


@pytest.mark.parametrize("user", ["author", "reviewer"])
def test_others_cannot_edit_an_inspectors_evaluation(client, demo_app, user):
    login(client, user)
    eid = _id(demo_app, "جعفریه", 1404)
    response = client.post(f"/evaluations/{eid}/answers", headers=SAVE,
                           json={"changes": {"1.1": {"value": 1}}})
    assert response.status_code in (403, 404)


def test_guessed_ids_give_404(client):
    login(client, "inspector")
    assert client.get("/evaluations/99999").status_code == 404
    assert client.get("/evaluations/99999/state").status_code == 404


def test_author_sees_no_evaluation(client, demo_app):
    login(client, "author")
    eid = _id(demo_app, "دستجرد", 1404)
    assert client.get(f"/evaluations/{eid}").status_code == 404


def test_reviewer_returns_and_approves_over_http(client, demo_app):
    eid = _id(demo_app, "قنوات", 1404)
    login(client, "reviewer")
    page = client.get(f"/evaluations/{eid}")
    assert "تأیید" in page.text
    response = post_form(client, f"/evaluations/{eid}/return",
                         {"comment-c1_2e_1": "مستندات ناقص است"}, page_url=f"/evaluations/{eid}")
    assert response.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/evaluations/").text)})
    login(client, "inspector")
    page = client.get(f"/evaluations/{eid}")
    assert "مستندات ناقص است" in page.text


def test_english_is_available(client):
    page = client.get("/login?lang=en")
    assert 'lang="en" dir="ltr"' in page.text and "Log in" in page.text


def test_security_headers(client):
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_font_is_served_from_the_npm_package(client):
    with client.get("/assets/fonts/Vazirmatn[wght].woff2") as response:
        assert response.status_code == 200 and response.data[:4] == b"wOF2"


def test_huge_note_and_stale_version_get_clear_errors(client, demo_app):
    login(client, "inspector")
    eid = _id(demo_app, "جعفریه", 1404)
    response = client.post(f"/evaluations/{eid}/answers", headers=SAVE, json={
        "changes": {"1.1": {"value": "50", "note": "ب" * 10_000}}})
    assert response.status_code == 422 and "1.1" in response.json["errors"]
    page = client.get(f"/evaluations/{eid}")
    response = client.post(f"/evaluations/{eid}", data={
        "csrf_token": csrf_token(page.text), "c1_2e_1": "50", "c1_2e_1_note": "ب" * 10_000})
    assert response.status_code == 422
    client.post(f"/evaluations/{eid}/answers", headers=SAVE,
                json={"changes": {"1.1": {"value": "40"}}})
    stale = client.post(f"/evaluations/{eid}/answers", headers=SAVE, json={
        "base_version": 1, "changes": {"1.1": {"value": "41"}}})
    assert stale.status_code == 409 and stale.json["conflicts"]["1.1"]["theirs"]["value"] == 40.0


def test_a_user_deactivated_while_logged_in_is_logged_out(client, demo_app):
    from app.db import writing
    from app.models import User

    login(client, "inspector")
    assert client.get("/evaluations/").status_code == 200
    with demo_app.app_context(), writing():
        db.session.scalar(select(User).where(User.username == "inspector")).active = False
    response = client.get("/evaluations/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_reviewer_writes_report_texts_and_recommendations(client, demo_app):
    from app.models import Recommendation

    eid = _id(demo_app, "قنوات", 1404)
    login(client, "reviewer")
    page = client.get(f"/evaluations/{eid}")
    assert "متن‌های گزارش" in page.text
    data = {"csrf_token": csrf_token(page.text), "strengths": "همکاري خوب",
            "improvements": "مستندسازی",
            "recommendations-0-text": "تعیین محل دفن",
            "recommendations-0-responsible": "خدمات شهری",
            "recommendations-0-deadline": "۱۴۰۵/۰۳/۳۱",
            "recommendations-1-text": "به‌روزرسانی تعرفه",
            "recommendations-1-deadline": "1405-13-40"}
    bad = client.post(f"/evaluations/{eid}/report-texts", data=data)
    assert bad.status_code == 422 and "سال/ماه/روز" in bad.text
    data["recommendations-1-deadline"] = ""
    assert client.post(f"/evaluations/{eid}/report-texts", data=data).status_code == 302
    with demo_app.app_context():
        rows = db.session.scalars(select(Recommendation).where(
            Recommendation.evaluation_id == eid).order_by(Recommendation.position)).all()
        assert [(r.text, r.responsible) for r in rows] == [
            ("تعیین محل دفن", "خدمات شهری"), ("به‌روزرسانی تعرفه", "")]
        assert str(rows[0].deadline) == "2026-06-21"
        assert db.session.get(Evaluation, eid).strengths_text == "همکاری خوب"
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/evaluations/").text)})
    login(client, "inspector")
    assert client.post(f"/evaluations/{eid}/report-texts", data=data).status_code in (400, 403)


def test_session_cookie_is_secure_over_https_and_httponly_samesite_always(demo_app):
    for base, secure in (("https://localhost", True), ("http://localhost", False)):
        client = demo_app.test_client()
        page = client.get("/login", base_url=base)
        response = client.post("/login", base_url=base, data={
            "username": "inspector", "password": "arzyab-demo",
            "csrf_token": csrf_token(page.text)})
        cookie = next(h for h in response.headers.getlist("Set-Cookie")
                      if h.startswith("session="))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure


@pytest.mark.parametrize("key, value", [
    ("AUTOSAVE_DEBOUNCE_MS", 0), ("AUTOSAVE_DEBOUNCE_MS", 0.5), ("AUTOSAVE_RETRY_MS", []),
    ("AUTOSAVE_RETRY_MS", [2000, -1]), ("AUTOSAVE_RETRY_MS", 2000),
])
def test_autosave_timers_that_cannot_work_stop_the_start(tmp_path, key, value):
    from app import create_app
    from app.config import DEFAULTS, ConfigError

    assert DEFAULTS["AUTOSAVE_DEBOUNCE_MS"] == 800  # production's pause after typing
    with pytest.raises(ConfigError, match=key):
        create_app({"TESTING": True, "SECRET_KEY": "x" * 32, "DATA_DIR": str(tmp_path),
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db", key: value})
