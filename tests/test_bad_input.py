"""A sweep of bad inputs across forms, JSON saves, uploads, YAML, query strings and URLs:
each gets a clear, translated answer (a 4xx with a Persian message, or a safe acceptance),
never a 500, nothing is stored half-way, and no traceback reaches the log."""

from __future__ import annotations

import io
import json
import logging

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Answer, AuditEvent, Evaluation, EvaluationCycle, Evidence, Municipality
from tests.helpers import csrf_token, login
from tests.test_evidence import png_bomb

# requests that ask for a lot more than MAX_CONTENT_LENGTH (12 MB) allows
BIG = 13 * 1024 * 1024


@pytest.fixture(autouse=True)
def no_traceback_in_the_log(caplog):
    """Whatever a case sends, nothing fails inside the app: no error logged with a traceback."""
    caplog.set_level(logging.ERROR)
    yield
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    assert "Traceback" not in caplog.text

SAVE = {"X-Arzyab-Save": "1"}
PERSIAN = set("ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی")
LONG_FA = "ارزیابی " * 2000


def _eid(app, town="جعفریه"):
    with app.app_context():
        return db.session.scalar(
            select(Evaluation.id).join(Municipality).join(EvaluationCycle)
            .where(Municipality.name == town, EvaluationCycle.year == 1404))


def _state(app, eid):
    with app.app_context():
        return (db.session.scalar(select(func.count(Answer.id)).where(
            Answer.evaluation_id == eid)),
            db.session.scalar(select(func.count(Evidence.id))),
            db.session.scalar(select(func.count(AuditEvent.id)).where(
                AuditEvent.action != "user.login")))


def _is_persian(text: str) -> bool:
    return any(ch in PERSIAN for ch in text)


# (name, changes) for the autosave endpoint: each is refused as a whole
JSON_BAD = [
    ("overlong note", {"1.1": {"value": "50", "note": LONG_FA}}),
    ("overlong N/A reason", {"13.4": {"na": True, "na_reason": LONG_FA}}),
    ("words for a number", {"1.1": {"value": "پنجاه"}}),
    ("two decimal points", {"1.1": {"value": "۱۲٫۵٫۳"}}),
    ("exponent", {"1.1": {"value": "1e309"}}),
    ("NaN text", {"1.1": {"value": "NaN"}}),
    ("Infinity text", {"1.1": {"value": "Infinity"}}),
    ("percent over 100", {"1.1": {"value": "۱۰۱"}}),
    ("negative percent", {"1.1": {"value": "-5"}}),
    ("huge percent", {"1.1": {"value": "9" * 40}}),
    ("SQL in a number", {"1.1": {"value": "1; DROP TABLE answers"}}),
    ("script in a number", {"1.1": {"value": "<script>alert(1)</script>"}}),
    ("scale level that does not exist", {"1.3": {"value": "9"}}),
    ("yes/no as a word it is not", {"2.1": {"value": "شاید"}}),
    ("unknown criterion", {"99.99": {"value": "1"}}),
    ("path as criterion", {"../../etc/passwd": {"value": "1"}}),
    ("answer not an object", {"1.1": ["50"]}),
    ("N/A where not allowed", {"1.1": {"na": True, "na_reason": "ندارد"}}),
    ("N/A without a reason", {"13.4": {"na": True, "na_reason": "\u200f \u202b"}}),
    ("one good, one bad", {"1.1": {"value": "50"}, "1.3": {"value": "-1"}}),
]


@pytest.mark.parametrize("name, changes", JSON_BAD, ids=[n for n, _ in JSON_BAD])
def test_bad_autosaves_are_refused_whole_with_a_persian_message(client, demo_app, name,
                                                                changes):
    login(client, "inspector")
    eid = _eid(demo_app)
    before = _state(demo_app, eid)
    response = client.post(f"/evaluations/{eid}/answers", headers=SAVE, json={"changes": changes})
    assert 400 <= response.status_code < 500, response.text
    body = response.json
    assert _is_persian(body["error"])
    assert all(_is_persian(m) for m in body.get("errors", {}).values())
    assert _state(demo_app, eid) == before


RAW_BAD = [
    ("NaN literal", '{"changes": {"1.1": {"value": NaN}}}'),
    ("Infinity literal", '{"changes": {"1.1": {"value": Infinity}}}'),
    ("huge integer", '{"changes": {"1.1": {"value": ' + "9" * 5000 + "}}}"),
    ("truncated JSON", '{"changes": {"1.1": '),
    ("not UTF-8", b'{"changes": {"1.1": {"note": "\xff\xfe"}}}'),
    ("deep nesting", '{"changes": ' + "[" * 5000 + "]" * 5000 + "}"),
    ("key too long", json.dumps({"key": "k" * 500, "changes": {}})),
    ("version as text", json.dumps({"base_version": "۵", "changes": {}})),
]


@pytest.mark.parametrize("name, body", RAW_BAD, ids=[n for n, _ in RAW_BAD])
def test_malformed_json_bodies_get_a_clear_error(client, demo_app, name, body):
    login(client, "inspector")
    eid = _eid(demo_app)
    before = _state(demo_app, eid)
    response = client.post(f"/evaluations/{eid}/answers", data=body,
                           headers={**SAVE, "Content-Type": "application/json"})
    assert 400 <= response.status_code < 500
    assert _is_persian(response.json["error"])
    assert _state(demo_app, eid) == before


TEXT_ACCEPTED = [
    ("SQL in a note", "'; DROP TABLE answers; --"),
    ("script in a note", "<script>alert('x')</script><img src=x onerror=alert(1)>"),
    ("control characters", "یادداشت\x00\x07\x1b با نویسهٔ کنترلی"),
    ("direction overrides", "\u202eیادداشت\u202c"),
    ("Arabic letters", "كيفيت قابل قبول"),
]


@pytest.mark.parametrize("name, note", TEXT_ACCEPTED, ids=[n for n, _ in TEXT_ACCEPTED])
def test_hostile_text_is_stored_clean_and_shown_escaped(client, demo_app, name, note):
    login(client, "inspector")
    eid = _eid(demo_app)
    response = client.post(f"/evaluations/{eid}/answers", headers=SAVE,
                           json={"changes": {"1.1": {"value": "۵۰", "note": note}}})
    assert response.status_code == 200
    stored = client.get(f"/evaluations/{eid}/state").json["answers"]["1.1"]["note"]
    assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in stored)
    assert "\u202e" not in stored and "ي" not in stored and "ك" not in stored
    page = client.get(f"/evaluations/{eid}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    if "<script>" in note:
        assert "&lt;script&gt;alert" in page


UPLOADS = [
    ("PDF as photo", b"%PDF-1.7 fake", "x.jpg"),
    ("HTML as photo", b"<html><script>alert(1)</script></html>", "x.png"),
    ("SVG with script", b"<svg xmlns='http://www.w3.org/2000/svg'><script>1</script></svg>",
     "x.svg"),
    ("PNG bomb", png_bomb(), "bomb.png"),
    ("truncated JPEG", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "cut.jpg"),
    ("zip as photo", b"PK\x03\x04" + b"\x00" * 100, "photos.zip"),
    ("empty file", b"", "empty.jpg"),
]


@pytest.mark.parametrize("name, data, filename", UPLOADS, ids=[n for n, *_ in UPLOADS])
def test_bad_uploads_are_refused_cleanly(client, demo_app, name, data, filename):
    login(client, "inspector")
    eid = _eid(demo_app)
    before = _state(demo_app, eid)
    response = client.post(f"/evaluations/{eid}/photos", headers=SAVE,
                           content_type="multipart/form-data",
                           data={"criterion": "1.1", "photo": (io.BytesIO(data), filename)})
    assert response.status_code in (413, 415, 422)
    assert _is_persian(response.json["error"])
    assert _state(demo_app, eid) == before


URLS = [
    "/evaluations/99999999999999999999999",
    "/evaluations/-1",
    "/evaluations/abc",
    "/evaluations/1%2e%2e/state",
    "/evaluations/..%2f..%2fetc%2fpasswd",
    "/evaluations/?status=<script>",
    "/evaluations/1/photos/99999999999999999999",
    "/assets/fonts/..%2f..%2f..%2fpyproject.toml",
    "/assets/fonts/%2e%2e/%2e%2e/package.json",
    "/static/../app/config.py",
]


@pytest.mark.parametrize("url", URLS)
def test_odd_urls_are_not_found_not_errors(client, url):
    login(client, "inspector")
    response = client.get(url)
    assert response.status_code in (200, 404), (url, response.status_code)
    assert b"SECRET" not in response.data and b"[project]" not in response.data


def test_overlong_login_fields_are_refused_politely(client):
    page = client.get("/login")
    response = client.post("/login", data={"username": "ب" * 10_000, "password": "x" * 10_000,
                                           "csrf_token": csrf_token(page.text)})
    assert response.status_code in (200, 401)
    assert "ورود" in response.text


# --- grown for issue 16: query parameters, redirects, surrogates, bodies, methods, forms ------

def _as(client, username):
    from app.auth.sessions import log_in_client

    log_in_client(client, username)
    return client


def _told(response):
    """A 4xx carries a Persian message, in JSON or on the page."""
    if 400 <= response.status_code < 500:
        text = response.json["error"] if response.is_json else response.text
        assert _is_persian(text), text[:300]


QUERIES = [
    "/admin/audit?user=9223372036854775808",
    "/admin/audit?municipality=9223372036854775808",
    "/admin/audit?evaluation=-9223372036854775809",
    "/admin/audit?page=1e9999",
    "/admin/audit.csv?municipality=abc",
    "/admin/cycles/2/plan?province=99999999999999999999",
    "/admin/municipalities?q=" + "%00" * 50,
    "/admin/users/0",
    "/rubrics/draft?from=9223372036854775808",
    "/rubrics/draft?from=" + "۱" * 12,
    "/rubrics/draft?from=0",
    "/rubrics/versions/1?against=abc",
    "/rubrics/versions/1?against=-1",
    "/dashboard/?year=99999999999999999999&page=-1",
    "/dashboard/ranking?sort=<script>&dir=%00",
    "/dashboard/export/overview.csv?year=abc&province=1e10",
    "/dashboard/municipalities/99999999999999999999",
    "/reports/cycle/abc.pdf",
    "/reports/cycle/1404.pdf?province=99999999999999999999",
    "/evaluations/?status=%ED%A0%80",
    "/evaluations/1/photos/1/thumb?x=%FF",
    "/login?next=%0D%0A",
    "/login?lang=" + "x" * 5000,
]


@pytest.mark.parametrize("url", QUERIES)
def test_junk_query_parameters_are_told_or_ignored_never_a_500(client, url):
    response = _as(client, "admin").get(url)
    assert response.status_code in (200, 302, 400, 404), (url, response.status_code)
    _told(response)


NEXTS = ["/%09/evil.example", "/%0D%0A/evil.example", "//evil.example", "/%5Cevil.example",
         "https:%2F%2Fevil.example", "%00", "/%ED%A0%80", "/" + "a" * 5000]


@pytest.mark.parametrize("target", NEXTS)
def test_hostile_next_targets_never_leave_the_site(client, target):
    page = client.get("/login")
    response = client.post(f"/login?next={target}", data={
        "username": "inspector", "password": "arzyab-demo", "csrf_token": csrf_token(page.text)})
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 302:
        assert response.headers["Location"] == "/"
    _told(response)


SURROGATES = [
    ("value", '{"changes": {"1.1": {"value": "\\ud800"}}}'),
    ("note", '{"changes": {"1.1": {"value": "5", "note": "\\udfff"}}}'),
    ("upper-case escape", '{"changes": {"1.1": {"value": "5", "note": "a\\uDC01"}}}'),
    ("N/A reason", '{"changes": {"13.4": {"na": true, "na_reason": "\\udbff"}}}'),
    ("key", '{"key": "\\ud800\\ud800\\ud800\\ud800\\ud800\\ud800\\ud800\\ud800", '
            '"changes": {}}'),
    ("device", '{"device": "\\udc00abcdefgh", "changes": {}}'),
    ("criterion id", '{"changes": {"\\ud800": {"value": "5"}}}'),
]


@pytest.mark.parametrize("name, body", SURROGATES, ids=[n for n, _ in SURROGATES])
def test_lone_surrogates_in_an_autosave_are_refused(client, demo_app, name, body):
    _as(client, "inspector")
    eid = _eid(demo_app)
    before = _state(demo_app, eid)
    assert "\\ud" in body or "\\ud" in body.lower()
    response = client.post(f"/evaluations/{eid}/answers", data=body,
                           headers={**SAVE, "Content-Type": "application/json"})
    assert response.status_code == 400 and _is_persian(response.json["error"])
    assert _state(demo_app, eid) == before


SHAPES = ["[]", "null", '"text"', "123", '{"changes": []}', '{"changes": "x"}',
          '{"changes": null}', '{"key": 5, "changes": {}}', '{"device": [], "changes": {}}',
          '{"key": "short", "changes": {}}']


@pytest.mark.parametrize("body", SHAPES)
def test_autosave_bodies_of_the_wrong_shape_are_refused(client, demo_app, body):
    _as(client, "inspector")
    eid = _eid(demo_app)
    before = _state(demo_app, eid)
    response = client.post(f"/evaluations/{eid}/answers", data=body,
                           headers={**SAVE, "Content-Type": "application/json"})
    assert response.status_code == 400 and _is_persian(response.json["error"])
    assert _state(demo_app, eid) == before


def _methods_and_bodies(eid):
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    boundary, big_photo = encode_multipart({"criterion": "1.1", "photo": FileStorage(
        io.BytesIO(b"\xff" * BIG), "big.jpg")})
    return [
        ("GET on the autosave", "get", f"/evaluations/{eid}/answers", {}, 405),
        ("PUT on the state", "put", f"/evaluations/{eid}/state", {}, 405),
        ("DELETE on the login", "delete", "/login", {}, 405),
        ("autosave as plain text", "post", f"/evaluations/{eid}/answers",
         {"data": "changes", "headers": {**SAVE, "Content-Type": "text/plain"}}, 400),
        ("autosave without its header", "post", f"/evaluations/{eid}/answers",
         {"json": {"changes": {}}}, 400),
        ("autosave of 13 MB", "post", f"/evaluations/{eid}/answers",
         {"data": b"{" + b" " * BIG, "headers": {**SAVE, "Content-Type": "application/json"}},
         413),
        ("photo of 13 MB", "post", f"/evaluations/{eid}/photos",
         {"data": big_photo, "headers": SAVE,
          "content_type": f"multipart/form-data; boundary={boundary}"}, 413),
        ("login form of 13 MB", "post", "/login",
         {"data": b"username=" + b"a" * BIG,
          "content_type": "application/x-www-form-urlencoded"}, 413),
        ("login with a surrogate", "post", "/login",
         {"data": b"username=%ED%A0%80&password=x",
          "content_type": "application/x-www-form-urlencoded"}, 400),
        ("login with bytes that are not UTF-8", "post", "/login",
         {"data": b"username=\xff\xfe&password=x",
          "content_type": "application/x-www-form-urlencoded"}, 400),
    ]


@pytest.mark.parametrize("case", range(10))
def test_wrong_methods_bodies_and_sizes_get_their_own_error(client, demo_app, case):
    _as(client, "inspector")
    eid = _eid(demo_app)
    before = _state(demo_app, eid)
    name, method, url, kwargs, status = _methods_and_bodies(eid)[case]
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == status, (name, response.status_code)
    _told(response)
    json_route = "/answers" in url or "/state" in url or "/photos" in url
    assert response.is_json is json_route, name
    assert _state(demo_app, eid) == before


ADMIN_POSTS = [
    ("/admin/users/new", {"username": "newone", "full_name": "تازه", "roles": ["inspector"],
                          "province": "99999999999999999999"}),
    ("/admin/cycles/2/assign", {"assign-evaluations": ["99999999999999999999"]}),
    ("/admin/cycles/2/assign", {"assign-evaluations": ["4"], "assign-reviewer": "-1"}),
    ("/admin/evaluations/8/assign", {"reviewer": "99999999999999999999"}),
    ("/admin/cycles/2/plan", {"plan-province": "99999999999999999999",
                              "plan-rubric_id": "municipal-units"}),
    ("/admin/users/1", {"full_name": "x", "roles": ["admin"], "province": "1e400",
                        "active": "y"}),
]


@pytest.mark.parametrize("url, data", ADMIN_POSTS)
def test_admin_forms_with_ids_out_of_range_are_told(client, demo_app, url, data):
    _as(client, "admin")
    token = csrf_token(client.get("/admin/cycles").text)
    before = _state(demo_app, _eid(demo_app))
    response = client.post(url, data={**data, "csrf_token": token, "plan-csrf_token": token,
                                      "assign-csrf_token": token})
    assert 400 <= response.status_code < 500, (url, response.status_code)
    _told(response)
    assert _state(demo_app, _eid(demo_app)) == before
