"""Who may see and change what: the six roles against every route and every export, on their
own objects, on objects of their province they have nothing to do with, and on objects of
another province (tests/world.py builds them beside the Qom demo).

A refusal is 403 or 404 (never the object; a guessed id gives nothing away); nobody logged in
goes to the login page. The last tests fail for a route that declares no access rule
(``app.access.route`` / ``guard``) or that this matrix does not cover.
"""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from PIL import Image
from sqlalchemy import func, select

from app import access
from app.db import writing
from app.extensions import db
from app.models import AuditEvent, Evaluation, Municipality, UserSession
from app.reports.services import deferred_rendering
from tests.conftest import _app_from, _close, _make_app, fresh_app
from tests.helpers import csrf_token, login, session_cookies
from tests.world import build_world, ids

SAVE = {"X-Arzyab-Save": "1"}
DENIED = {403, 404}

USERS = ["anonymous", "inspector", "inspector_q", "inspector_x", "reviewer", "reviewer_q",
         "reviewer_x", "manager", "manager_x", "dastjerd", "qom", "natanz", "author", "admin",
         "admin_q", "admin_x"]
LOGGED = frozenset(USERS) - {"anonymous"}
# whoever may open an evaluation of Qom: its assigned inspector and reviewer, Qom's
# director-general, the national admin and Qom's admin
QOM = frozenset({"inspector", "reviewer", "manager", "admin", "admin_q"})
QOM_FINAL = QOM | {"dastjerd"}          # Dastjerd's final: and Dastjerd itself
ISFAHAN_FINAL = frozenset({"inspector_x", "reviewer_x", "manager_x", "natanz", "admin",
                           "admin_x"})
DASH_Q = frozenset({"reviewer", "reviewer_q", "manager", "admin", "admin_q"})
DASH_X = frozenset({"reviewer_x", "manager_x", "admin", "admin_x"})
DASH = DASH_Q | DASH_X
ADMINS = frozenset({"admin", "admin_q", "admin_x"})
TOWNS = frozenset({"dastjerd", "qom", "natanz"})


@pytest.fixture(scope="session")
def world_template(databases, tmp_path_factory):
    """The demo database with the world added, once per session (`build_once`: on
    PostgreSQL once per worker)."""
    def build():
        databases.copy_template("demo", "world")
        app = _make_app(databases.uri("world"), tmp_path_factory.mktemp("world") / "data")
        with app.app_context():
            with writing(), deferred_rendering():
                build_world()
            _close(app)

    databases.build_once("world", build)
    return "world"


def _add_photo(app) -> None:
    """A photo on the draft, uploaded by its inspector (who is then logged in once)."""
    client = app.test_client()
    login(client, "inspector")
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (9, 99, 9)).save(out, "JPEG")
    with app.app_context():
        draft = ids()["draft"]
    response = client.post(f"/evaluations/{draft}/photos", headers=SAVE,
                           content_type="multipart/form-data",
                           data={"criterion": "1.1", "photo": (io.BytesIO(out.getvalue()),
                                                               "a.jpg")})
    assert response.status_code == 200, response.text[:500]


def _ids(app) -> dict:
    from app.models import Evidence

    with app.app_context():
        found = ids()
        found["photo"] = db.session.scalar(select(Evidence.id).where(
            Evidence.evaluation_id == found["draft"]))
        found["session"] = db.session.scalar(
            select(UserSession.id).join(UserSession.user)
            .where(UserSession.user.has(username="inspector")).order_by(UserSession.id))
    found["api_token"] = _inspector_token(app)
    return found


def _inspector_token(app) -> int:
    """A personal API token of the (national) inspector, made as the profile page makes it."""
    from app.api import tokens
    from app.models import ApiToken, User

    with app.app_context():
        row = db.session.scalar(select(ApiToken).join(ApiToken.user)
                                .where(User.username == "inspector"))
        if row is None:
            with writing():
                row, _token = tokens.create(
                    db.session.scalar(select(User).where(User.username == "inspector")),
                    name="matrix", days=None)
        return row.id


@pytest.fixture(scope="module")
def shared(databases, world_template, tmp_path_factory):
    """One world for every reading test of this module (reads change nothing)."""
    for app in fresh_app(databases, world_template, tmp_path_factory.mktemp("shared")):
        _add_photo(app)
        yield app, _ids(app)


@pytest.fixture
def world(databases, _apps, world_template, tmp_path):
    """A fresh world of its own, for a test that changes things."""
    for app in _app_from(databases, _apps, world_template, tmp_path):
        _add_photo(app)
        yield app, _ids(app)


def client_for(app, user):
    client = app.test_client()
    if user != "anonymous":
        login(client, user)
    return client


_READERS: dict[tuple[int, str, str], dict[str, str]] = {}


def reader_for(app, user):
    """A client of `user` on the shared reading world: each user logs in once per module
    (`session_cookies`, a real session row) and every reading test of that user goes on with
    that session, as one browser would; the reads change nothing a later read depends on."""
    client = app.test_client()
    if user != "anonymous":
        key = (id(app), app.config["SQLALCHEMY_DATABASE_URI"], user)
        if key not in _READERS:
            _READERS[key] = session_cookies(app, user, client.environ_base)
        for name, value in _READERS[key].items():
            client.set_cookie(name, value)
    return client


# --- reading -----------------------------------------------------------------------------------

#: (url, who may: status 200 — or `ok`)
GETS = [
    ("/", LOGGED, {302}),
    ("/account/sessions", LOGGED, {200}),
    ("/account/tokens", LOGGED, {200}),
    ("/admin/tokens", ADMINS, {200}),
    ("/password", LOGGED, {200}),
    ("/evaluations/", LOGGED, {200}),
    ("/evaluations/{final}", QOM_FINAL, {200}),
    ("/evaluations/{final_x}", ISFAHAN_FINAL, {200}),
    ("/evaluations/{draft}", QOM, {200}),
    ("/evaluations/{draft_1405}", QOM, {200}),  # a draft: not yet for the municipality
    ("/evaluations/{draft}/state", QOM, {200}),
    ("/evaluations/{final}/state", QOM_FINAL, {200}),
    ("/evaluations/{draft}/photos/{photo}", QOM, {200}),
    ("/evaluations/{draft}/photos/{photo}/thumb", QOM, {200}),
    ("/evaluations/{final}/photos/{photo}", frozenset(), {200}),  # another evaluation's
    ("/evaluations/{final}/report.pdf", QOM_FINAL, {200}),
    ("/evaluations/{final_x}/report.pdf", ISFAHAN_FINAL, {200}),
    ("/evaluations/{draft_1405}/declaration", QOM | {"dastjerd"}, {200}),
    ("/evaluations/{final_x}/declaration", ISFAHAN_FINAL, {200}),
    ("/evaluations/{submitted}/approve", {"reviewer"}, {200}),
    ("/evaluations/{waiting}/sign", {"manager"}, {200}),  # approved by the reviewer
    ("/evaluations/{final}/sign", frozenset(), {200}),     # signed already
    ("/recommendations/{recommendation}", QOM_FINAL, {200}),
    ("/recommendations/{recommendation_x}", ISFAHAN_FINAL, {200}),
    ("/municipality/", TOWNS, {200}),
    ("/dashboard/", DASH, {200}),
    ("/dashboard/ranking", DASH, {200}),
    ("/dashboard/municipalities/{town}", DASH_Q, {200}),
    ("/dashboard/municipalities/{town_x}", DASH_X, {200}),
    ("/dashboard/export/overview.csv?year=1404", DASH, {200}),
    ("/dashboard/export/answers.csv?year=1404", DASH, {200}),
    ("/dashboard/export/answers.xlsx?year=1404", DASH, {200}),  # the page that starts it
    # another user's export job (or none): nobody sees it (the owner: test below)
    ("/dashboard/exports/no-such-export-job-0123", frozenset(), {200}),
    ("/dashboard/exports/no-such-export-job-0123/file", frozenset(), {200}),
    # nothing to put in it: back to the dashboard with a word (the unassigned reviewer)
    ("/dashboard/export/reports.zip?year=1404", DASH, {200, 302}),
    ("/reports/cycle/1404.pdf?province=اصفهان", DASH_X, {200}),
    ("/rubrics/", {"author"} | ADMINS, {200}),
    ("/rubrics/draft", {"author"} | ADMINS, {200}),
    ("/rubrics/versions/{version}", {"author"} | ADMINS, {200}),
    ("/rubrics/versions/{version}/rubric.yaml", {"author"} | ADMINS, {200}),
    ("/admin/", ADMINS, {200}),
    ("/admin/users", ADMINS, {200}),
    ("/admin/users/new", ADMINS, {200}),
    ("/admin/users/import", ADMINS, {200}),
    ("/admin/users/{user_q}", {"admin", "admin_q"}, {200}),
    ("/admin/users/{user_x}", {"admin", "admin_x"}, {200}),
    ("/admin/users/{user_q}/deactivate", {"admin", "admin_q"}, {200}),
    ("/admin/municipalities", ADMINS, {200}),
    ("/admin/municipalities/{town}", {"admin", "admin_q"}, {200}),
    ("/admin/municipalities/{town_x}", {"admin", "admin_x"}, {200}),
    ("/admin/municipalities/import", ADMINS, {200}),
    ("/admin/cycles", ADMINS, {200}),
    ("/admin/cycles/new", {"admin"}, {200}),         # cycles are national
    ("/admin/cycles/{cycle}/close", {"admin"}, {200}),
    ("/admin/cycles/{cycle}/plan", ADMINS, {200}),
    ("/admin/evaluations/{draft}/assign", {"admin", "admin_q"}, {200}),
    ("/admin/evaluations/{draft}/retier", {"admin", "admin_q"}, {200}),
    ("/admin/audit", ADMINS, {200}),
    ("/admin/audit.csv", ADMINS, {200}),
    # paradata (issue 18): the visit's record for whoever may open the evaluation, never the
    # municipality (not even of its final); flags on the dashboard; exports for managers and
    # admins; the province's location setting for its admins
    ("/evaluations/{draft}/visit-record", QOM, {200}),
    ("/evaluations/{final}/visit-record", QOM, {200}),
    ("/dashboard/flags", DASH, {200}),
    ("/dashboard/flags.csv", {"manager", "manager_x"} | ADMINS, {200}),
    ("/dashboard/flags.xlsx", {"manager", "manager_x"} | ADMINS, {200}),
    ("/admin/record-location", ADMINS, {200}),
]


def _check(user, status, allowed, ok):
    if user == "anonymous":
        assert status in (302, 401), status
    elif user in allowed:
        assert status in ok, status
    else:
        assert status in DENIED, status


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("url, allowed, ok", GETS, ids=[u for u, *_ in GETS])
def test_reading(shared, user, url, allowed, ok):
    app, found = shared
    client = reader_for(app, user)
    with client.get(url.format(**found)) as response:
        _check(user, response.status_code, allowed, ok)


# --- changing ----------------------------------------------------------------------------------

#: (url, how the body is sent, who may: anything but a refusal)
CHANGES = [
    ("/evaluations/{draft}/answers", "json", {"inspector"}),
    ("/evaluations/{draft}/photos", "photo", {"inspector"}),
    ("/evaluations/{draft}/photos/{photo}/delete", "form", {"inspector"}),
    ("/evaluations/{draft}/photos/{photo}/replace", "photo", {"inspector"}),
    ("/evaluations/{draft}/visit-date", "form", {"inspector"}),
    ("/dashboard/export/answers.xlsx?year=1404", "form", DASH),
    ("/evaluations/{draft}/submit", "form", {"inspector"}),
    ("/evaluations/{draft}", "form", {"inspector"}),
    ("/evaluations/{submitted}/return", "form", {"reviewer"}),
    ("/evaluations/{submitted}/report-texts", "form", {"reviewer"}),
    ("/evaluations/{submitted}/approve", "form", {"reviewer"}),
    ("/evaluations/{waiting}/sign", "form", {"manager"}),
    ("/evaluations/{final}/answers", "json", set()),   # a final: nobody
    ("/evaluations/{final}/sign", "form", set()),
    ("/evaluations/{draft_1405}/declaration", "form", {"dastjerd"}),
    ("/evaluations/{draft_1405}/declaration/{declared}/confirm", "script", {"inspector"}),
    ("/evaluations/{draft_1405}/declaration/{declared}/reason", "reason", {"inspector"}),
    ("/evaluations/{draft_1405}/follow-ups/{recommendation}", "outcome", {"inspector"}),
    ("/recommendations/{recommendation}", "form", {"dastjerd"}),
    ("/recommendations/{recommendation_x}", "form", {"natanz"}),
    ("/account/sessions/{session}/end", "form", {"inspector"}),  # one's own sessions only
    ("/account/sessions/end-others", "form", LOGGED),
    ("/account/tokens", "form", LOGGED),  # makes one (or says what the form lacks)
    ("/account/tokens/{api_token}/revoke", "form", {"inspector"}),  # one's own tokens only
    # the tokens of users an admin manages: the inspector is national, so the national admin
    ("/admin/tokens/{api_token}/revoke", "form", {"admin"}),
    ("/rubrics/draft", "form", {"author"} | ADMINS),
    ("/admin/users/{user_q}/deactivate", "form", {"admin", "admin_q"}),
    ("/admin/users/{user_x}/password", "form", {"admin", "admin_x"}),
    ("/admin/users/import/confirm", "form", ADMINS),
    ("/admin/municipalities/import/confirm", "form", ADMINS),
    ("/admin/cycles/{cycle}/close", "form", {"admin"}),
    ("/admin/cycles/{cycle}/deadline", "form", {"admin"}),
    ("/admin/cycles/{cycle}/plan", "form", ADMINS),
    ("/admin/cycles/{cycle}/assign", "form", ADMINS),
    # explaining a flag: the assigned reviewer and the admins who may open it (the manager
    # reads flags, the reviewer explains them)
    ("/evaluations/{draft}/flags/explain", "form", {"reviewer", "admin", "admin_q"}),
    ("/admin/record-location", "form", ADMINS),
]


def _post(client, user, url, kind):
    if kind == "json":
        return client.post(url, headers=SAVE, json={"changes": {"1.1": {"value": "1"}}})
    if kind == "script":
        return client.post(url, headers=SAVE, json={})
    if kind == "reason":
        return client.post(url, headers=SAVE, json={"reason": "اسناد دیگری نشان می‌دهد"})
    if kind == "outcome":
        return client.post(url, headers=SAVE, json={"outcome": "done", "note": ""})
    if kind == "photo":
        out = io.BytesIO()
        Image.new("RGB", (32, 32)).save(out, "JPEG")
        return client.post(url, headers=SAVE, content_type="multipart/form-data",
                           data={"criterion": "1.1",
                                 "photo": (io.BytesIO(out.getvalue()), "b.jpg")})
    token = csrf_token(client.get("/login" if user == "anonymous"
                                  else "/account/sessions").text)
    return client.post(url, data={"csrf_token": token, "comment-c1_2e_1": "نظر",
                                  "message": "نظر", "action_taken": "انجام شد",
                                  "progress": "50"})


def _work_events(app) -> int:
    """Audit events of anything but logging in and out."""
    with app.app_context():
        return db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action.not_like("user.%")))


@pytest.mark.parametrize("url, kind, allowed", CHANGES, ids=[u for u, *_ in CHANGES])
def test_changing(world, url, kind, allowed):
    """Every user but the allowed ones is refused, and changes nothing; then the allowed
    ones are let through (whatever the use case then says)."""
    app, found = world
    target = url.format(**found)
    before = _work_events(app)
    for user in [u for u in USERS if u not in allowed]:
        response = _post(client_for(app, user), user, target, kind)
        if user == "anonymous":
            assert response.status_code in (302, 400, 401), (user, response.status_code)
        else:
            assert response.status_code in DENIED, (user, response.status_code)
    assert _work_events(app) == before, "a refused request changed something"
    for user in [u for u in USERS if u in allowed]:
        response = _post(client_for(app, user), user, target, kind)
        assert response.status_code not in DENIED and response.status_code < 500, \
            (user, response.status_code, response.text[:300])


# --- the exports hold only what their reader may open ------------------------------------------

def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def _evaluation_names(app, usernames) -> dict[str, set[str]]:
    """username → the municipalities (1404) whose evaluation the user may open and that
    have answers."""
    from app.models import Answer, User

    with app.app_context():
        out = {}
        for username in usernames:
            user = db.session.scalar(select(User).where(User.username == username))
            out[username] = set(db.session.scalars(
                select(Municipality.name).join(Evaluation).where(
                    access.evaluations_condition(user),
                    Evaluation.cycle.has(year=1404),
                    Evaluation.id.in_(select(Answer.evaluation_id)))))
    return out


def test_the_answers_export_holds_only_what_its_reader_may_open(shared):
    app, _found = shared
    readers = ["reviewer", "reviewer_q", "reviewer_x", "manager", "manager_x", "admin",
               "admin_q"]
    may_open = _evaluation_names(app, readers)
    assert may_open["reviewer_q"] == set()  # assigned to nothing
    assert may_open["manager"] == {"قم", "قنوات", "کهک", "دستجرد", "سلفچگان"}
    for reader in readers:
        client = client_for(app, reader)
        rows = _csv(client.get("/dashboard/export/answers.csv?year=1404&lang=en"))
        assert {row["Municipality"] for row in rows} == may_open[reader], reader
    # the unassigned reviewer still sees his province's figures in the overview
    overview = _csv(client_for(app, "reviewer_q").get(
        "/dashboard/export/overview.csv?year=1404&lang=en"))
    assert {row["Municipality"] for row in overview} == may_open["manager"] | {"جعفریه"}


def _zip_names(client, url) -> set[str]:
    with client.get(url) as response:
        assert response.status_code == 200 and response.mimetype == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = {n for n in archive.namelist() if n.endswith(".pdf")}
    assert all(archive.read(n).startswith(b"%PDF") for n in names)
    return names


def test_the_manager_downloads_every_final_of_the_province_and_none_of_another(shared):
    app, found = shared
    manager = client_for(app, "manager")
    assert _zip_names(manager, "/dashboard/export/reports.zip?year=1404") == {
        "arzyab-1404-دستجرد.pdf", "arzyab-1404-قم.pdf"}
    # Salafchegan, approved and waiting for the sign-off, is not a final yet: not in it
    assert manager.get(f"/evaluations/{found['final_x']}/report.pdf").status_code == 404
    other = client_for(app, "manager_x")
    assert _zip_names(other, "/dashboard/export/reports.zip?year=1404") == {
        "arzyab-1404-نطنز.pdf"}
    assert other.get(f"/evaluations/{found['final']}/report.pdf").status_code == 404
    # an unassigned reviewer gets no final he may not open
    unassigned = client_for(app, "reviewer_q").get("/dashboard/export/reports.zip?year=1404")
    assert unassigned.status_code == 302


def test_an_export_job_is_seen_by_the_one_who_started_it_only(world):
    app, _found = world
    reviewer = client_for(app, "reviewer")
    token = csrf_token(reviewer.get("/dashboard/export/answers.xlsx?year=1404").text)
    started = reviewer.post("/dashboard/export/answers.xlsx?year=1404",
                            data={"csrf_token": token})
    assert started.status_code == 302
    job = started.headers["Location"]
    assert reviewer.get(job).status_code == 200
    for other in ("manager", "admin", "reviewer_q"):
        assert client_for(app, other).get(job).status_code == 404, other
        assert client_for(app, other).get(job + "/file").status_code == 404, other


def test_a_province_admin_reads_only_the_audit_of_the_province(shared):
    app, _found = shared
    qom = client_for(app, "admin_q").get("/admin/audit.csv").data.decode("utf-8-sig")
    isfahan = client_for(app, "admin_x").get("/admin/audit.csv").data.decode("utf-8-sig")
    assert "نطنز" in isfahan and "دستجرد" not in isfahan
    assert "دستجرد" in qom and "نطنز" not in qom


# --- every route declares a rule, and this matrix covers it ------------------------------------

def test_every_route_declares_an_access_rule(demo_app):
    missing = sorted(rule.endpoint for rule in demo_app.url_map.iter_rules()
                     if access.rule_of(demo_app, rule.endpoint) is None)
    assert missing == [], f"routes without an access rule (app.access.route): {missing}"


def test_a_route_without_a_rule_is_found():
    """The check above is real: a view added without a rule has none, one declared has its."""
    from flask import Flask

    app = Flask("probe")
    app.add_url_rule("/no-rule-here", "no_rule_here", lambda: "x")
    app.add_url_rule("/ruled", "ruled", access.route("account")(lambda: "x"))
    assert access.rule_of(app, "no_rule_here") is None
    assert access.rule_of(app, "ruled") == "account"


# --- the read API: a token of each user reads what that user's pages show ----------------------

#: (url, whose token may: 200). The API lists an evaluation's figures to whoever sees it on
#: the dashboard or may open it; its answers only to those who may open it. A refusal is 404
#: for an object, 403 for the ranking (the dashboard's); no token is a 401.
API_GETS = [
    ("/api/v1/cycles", LOGGED),
    ("/api/v1/evaluations", LOGGED),
    ("/api/v1/evaluations/{final}", QOM_FINAL | DASH_Q),
    ("/api/v1/evaluations/{final_x}", ISFAHAN_FINAL | DASH_X),
    ("/api/v1/evaluations/{draft}", QOM | DASH_Q),
    ("/api/v1/evaluations/{draft_1405}", QOM | DASH_Q),  # a draft: not for the municipality
    ("/api/v1/evaluations/{final}/answers", QOM_FINAL),
    ("/api/v1/evaluations/{final_x}/answers", ISFAHAN_FINAL),
    ("/api/v1/evaluations/{draft}/answers", QOM),
    ("/api/v1/municipalities", LOGGED),
    ("/api/v1/municipalities/{town}", QOM_FINAL | DASH_Q),
    ("/api/v1/municipalities/{town_x}", ISFAHAN_FINAL | DASH_X),
    ("/api/v1/recommendations", LOGGED),
    ("/api/v1/rankings", DASH),
]
#: (list, the id asked for, whose token's list holds it)
API_LISTED = [
    ("/api/v1/evaluations", "final", QOM_FINAL | DASH_Q),
    ("/api/v1/evaluations", "final_x", ISFAHAN_FINAL | DASH_X),
    ("/api/v1/evaluations", "draft", QOM | DASH_Q),
    ("/api/v1/recommendations", "recommendation", QOM_FINAL),
    ("/api/v1/recommendations", "recommendation_x", ISFAHAN_FINAL),
    ("/api/v1/municipalities", "town", QOM_FINAL | DASH_Q),
    ("/api/v1/municipalities", "town_x", ISFAHAN_FINAL | DASH_X),
]
_API_TOKENS: dict[tuple[int, str, str], str] = {}


def api_client_for(app, user):
    """A client without cookies that shows a personal token of `user` (none: anonymous)."""
    from tests.api.conftest import ApiClient, make_token

    if user == "anonymous":
        return ApiClient(app, "")
    key = (id(app), app.config["SQLALCHEMY_DATABASE_URI"], user)
    if key not in _API_TOKENS:
        _API_TOKENS[key] = make_token(app, user)
    return ApiClient(app, _API_TOKENS[key])


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("url, allowed", API_GETS, ids=[u for u, _ in API_GETS])
def test_reading_through_the_api(shared, user, url, allowed):
    app, found = shared
    response = api_client_for(app, user).get(url.format(**found))
    if user == "anonymous":
        assert response.status_code == 401, response.status_code
    elif user in allowed:
        assert response.status_code == 200, (response.status_code, response.json)
    else:
        assert response.status_code in DENIED, response.status_code


@pytest.mark.parametrize("user", sorted(LOGGED))
def test_the_api_lists_hold_what_the_user_may_see(shared, user):
    app, found = shared
    api = api_client_for(app, user)
    lists = {url: {row["id"] for row in api.all(url, limit=500)}
             for url in {url for url, _key, _who in API_LISTED}}
    for url, key, allowed in API_LISTED:
        assert (found[key] in lists[url]) == (user in allowed), (url, key)


def test_the_matrix_covers_every_route(shared):
    app, found = shared
    adapter = app.url_map.bind("localhost")
    covered = set()
    for url, *_rest in API_GETS:
        covered.add(adapter.match(url.format(**found).split("?")[0], method="GET")[0])
    for url, *_rest in GETS:
        covered.add(adapter.match(url.format(**found).split("?")[0], method="GET")[0])
    for url, *_rest in CHANGES:
        covered.add(adapter.match(url.format(**found).split("?")[0], method="POST")[0])
    public = {rule.endpoint for rule in app.url_map.iter_rules()
              if access.rule_of(app, rule.endpoint) == "public"}
    every = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(every - public - covered) == [], "routes the access matrix does not cover"
