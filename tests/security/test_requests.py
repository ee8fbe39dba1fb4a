"""Finding: 500s. A lone UTF-16 surrogate in any autosave field (5/5); integer query
parameters out of range (/admin/audit?user=9223372036854775808, ?municipality=…,
/rubrics/draft?from=…); a 50 MB upload to the autosave path answered an HTML 413. Now every
parameter is typed and bounded (app.params), unreadable text is refused up front
(app.errors.check_request_text), and the JSON routes answer every error in JSON."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.auth.sessions import log_in_client
from app.extensions import db
from app.models import Answer, AuditEvent
from tests.security.conftest import SAVE, evaluation_id, is_persian

UNREADABLE = "خوانده نمی‌شود"
BIG = 13 * 1024 * 1024  # past MAX_CONTENT_LENGTH (12 MB)


def _answers(app, eid):
    with app.app_context():
        return (db.session.scalar(select(func.count(Answer.id)).where(
            Answer.evaluation_id == eid)),
            db.session.scalar(select(func.count(AuditEvent.id)).where(
                AuditEvent.action.like("answer%"))))


@pytest.mark.parametrize("url, status", [
    ("/admin/audit?user=9223372036854775808", 400),
    ("/admin/audit?municipality=9223372036854775808", 400),
    ("/admin/audit?evaluation=9223372036854775808", 400),
    ("/admin/audit?page=9223372036854775808", 400),
    ("/admin/audit?user=-1", 400),
    ("/admin/audit?user=1e9", 400),
    ("/admin/audit.csv?user=9223372036854775808", 400),
    ("/rubrics/draft?from=9223372036854775808", 400),
    ("/rubrics/draft?from=-9223372036854775809", 400),
    ("/rubrics/draft?from=abc", 400),
    ("/rubrics/draft?from=999999", 404),
    ("/rubrics/versions/1?against=9223372036854775808", 400),
    ("/admin/cycles/2/plan?province=9223372036854775808", 200),  # the default province
    ("/admin/users/9223372036854775808", 404),
    ("/evaluations/9223372036854775808/state", 404),
    ("/dashboard/municipalities/9223372036854775808", 404),
    ("/reports/cycle/9223372036854775808.pdf", 404),
])
def test_numbers_out_of_range_are_told_never_a_500(new_client, url, status):
    client = new_client()
    log_in_client(client, "admin")
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    if status != 200:
        body = response.json["error"] if response.is_json else response.text
        assert is_persian(body)


def test_the_dashboard_falls_back_to_its_defaults_for_junk_numbers(new_client):
    client = new_client()
    log_in_client(client, "reviewer")
    response = client.get("/dashboard/?year=9223372036854775808&province=-3&page=1e400")
    assert response.status_code == 200


FIELDS = [
    ("value", {"changes": {"1.1": {"value": "\ud800"}}}),
    ("note", {"changes": {"1.1": {"value": "50", "note": "یادداشت \udfff"}}}),
    ("N/A reason", {"changes": {"13.4": {"na": True, "na_reason": "\udc00 ندارد"}}}),
    ("criterion id", {"changes": {"1.1\ud800": {"value": "50"}}}),
    ("key", {"key": "k\ud800" * 4, "changes": {"1.1": {"value": "50"}}}),
    ("device", {"device": "d\udbff" * 4, "changes": {"1.1": {"value": "50"}}}),
    ("unknown field", {"extra": ["\ud834"], "changes": {"1.1": {"value": "50"}}}),
    ("deep inside", {"changes": {"1.1": {"value": "50", "x": [[{"y": "\ud800"}]]}}}),
]


@pytest.mark.parametrize("name, payload", FIELDS, ids=[n for n, _ in FIELDS])
def test_a_lone_surrogate_anywhere_in_an_autosave_is_a_400(new_client, demo_app, name,
                                                           payload):
    client = new_client()
    log_in_client(client, "inspector")
    eid = evaluation_id(demo_app)
    before = _answers(demo_app, eid)
    body = json.dumps(payload)  # ensure_ascii: the surrogates travel as \\uXXXX escapes
    assert "\\ud" in body.lower()
    response = client.post(f"/evaluations/{eid}/answers", data=body,
                           headers={**SAVE, "Content-Type": "application/json"})
    assert response.status_code == 400 and UNREADABLE in response.json["error"]
    assert _answers(demo_app, eid) == before


def test_a_real_astral_character_is_kept(new_client, demo_app):
    client = new_client()
    log_in_client(client, "inspector")
    eid = evaluation_id(demo_app)
    body = json.dumps({"changes": {"1.1": {"value": "50", "note": "خوب \U0001F44D"}}})
    assert "\\ud83d\\udc4d" in body  # a surrogate pair: one real character
    response = client.post(f"/evaluations/{eid}/answers", data=body,
                           headers={**SAVE, "Content-Type": "application/json"})
    assert response.status_code == 200
    assert client.get(f"/evaluations/{eid}/state").json["answers"]["1.1"]["note"] == \
        "خوب \U0001F44D"


@pytest.mark.parametrize("url", [
    "/admin/municipalities?q=%ED%A0%80", "/admin/municipalities?q=%FF", "/dashboard/?q=%C0%AF",
    "/evaluations/?x=%ED%BF%BF",
])
def test_text_that_is_not_utf8_in_a_query_is_a_400(new_client, url):
    client = new_client()
    log_in_client(client, "admin")
    response = client.get(url)
    assert response.status_code == 400 and UNREADABLE in response.text


@pytest.mark.parametrize("raw_path", ["/evaluations/\xff", "/evaluations/\xed\xa0\x80/state"])
def test_a_path_that_is_not_utf8_is_a_400(new_client, raw_path):
    """As a WSGI server hands over the raw bytes of the path, one latin-1 character each (the
    test client would already have replaced them)."""
    client = new_client()
    log_in_client(client, "admin")
    response = client.get("/", environ_overrides={"PATH_INFO": raw_path})
    assert response.status_code == 400 and UNREADABLE in response.text


@pytest.mark.parametrize("body", [b"username=%ED%A0%80&password=x",
                                  b"username=ali%FF&password=x",
                                  b"username=\xff\xfe&password=x"])
def test_text_that_is_not_utf8_in_a_form_is_a_400(new_client, body):
    response = new_client().post("/login", data=body,
                                 content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and UNREADABLE in response.text


def test_json_that_is_not_utf8_is_a_400_in_json(new_client, demo_app):
    client = new_client()
    log_in_client(client, "inspector")
    eid = evaluation_id(demo_app)
    response = client.post(f"/evaluations/{eid}/answers", data=b'{"changes": {"\xff": 1}}',
                           headers={**SAVE, "Content-Type": "application/json"})
    assert response.status_code == 400 and UNREADABLE in response.json["error"]


# --- JSON routes answer in JSON, pages in HTML -------------------------------------------------

def _json_error(response, status):
    assert response.status_code == status
    assert response.mimetype == "application/json", response.mimetype
    assert response.json["status"] == status and is_persian(response.json["error"])


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded",
                                          "application/octet-stream"])
def test_a_body_too_large_for_the_autosave_is_a_413_in_json(new_client, demo_app, content_type):
    client = new_client()
    log_in_client(client, "inspector")
    eid = evaluation_id(demo_app)
    response = client.post(f"/evaluations/{eid}/answers", data=b"x" * BIG,
                           headers={**SAVE, "Content-Type": content_type})
    _json_error(response, 413 if content_type != "application/octet-stream" else 400)


def test_a_photo_too_large_for_the_request_is_a_413_in_json(new_client, demo_app):
    import io

    client = new_client()
    log_in_client(client, "inspector")
    eid = evaluation_id(demo_app)
    # encoded here in memory (the test client would spool it to a file it never closes)
    boundary, body = encode_multipart({"criterion": "1.1",
                                       "photo": FileStorage(io.BytesIO(b"\xff" * BIG),
                                                            "big.jpg")})
    response = client.post(f"/evaluations/{eid}/photos", headers=SAVE, data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    _json_error(response, 413)


def test_json_routes_answer_400_404_405_in_json_whatever_was_asked(new_client, demo_app):
    client = new_client()
    log_in_client(client, "inspector")
    eid = evaluation_id(demo_app)
    _json_error(client.post(f"/evaluations/{eid}/answers", data="{nope",
                            headers={**SAVE, "Content-Type": "application/json"}), 400)
    _json_error(client.get("/evaluations/999999/state"), 404)
    _json_error(client.post("/evaluations/999999/answers", headers=SAVE, json={"changes": {}}),
                404)
    not_allowed = client.get(f"/evaluations/{eid}/answers")
    _json_error(not_allowed, 405)
    assert "POST" in not_allowed.headers["Allow"]
    _json_error(client.put(f"/evaluations/{eid}/state"), 405)
    anonymous = new_client()
    _json_error(anonymous.get(f"/evaluations/{eid}/state"), 401)


def test_pages_answer_errors_as_html(new_client):
    client = new_client()
    log_in_client(client, "inspector")
    for response, status in ((client.get("/evaluations/999999"), 404),
                             (client.put("/login"), 405),
                             (client.get("/no-such-page"), 404),
                             (client.post("/login", data=b"x=" + b"y" * BIG,
                                          content_type="application/x-www-form-urlencoded"),
                              413)):
        assert response.status_code == status
        assert response.mimetype == "text/html" and is_persian(response.text)
