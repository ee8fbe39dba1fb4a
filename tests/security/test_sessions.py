"""Finding: sessions could not be revoked. After logout a copy of the session cookie still
opened /evaluations/; after a password change or an admin's reset the old session and the old
"keep me logged in" cookie (the same on every login, valid a year) still worked; "must change
password" was not enforced. Each test replays one part and checks it is now refused."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select, update

from app.auth.sessions import REMEMBER_COOKIE, TOKEN_KEY, log_in_client
from app.db import writing
from app.extensions import db
from app.models import AuditEvent, User, UserSession
from app.models._types import utcnow
from tests.helpers import csrf_token
from tests.security.conftest import (
    SAVE,
    evaluation_id,
    is_persian,
    post_login,
    sessions_of,
    token_of,
    user_id,
)

ANDROID = ("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/120.0 Safari/537.36")


def _opens(client, url="/evaluations/") -> bool:
    response = client.get(url)
    return response.status_code == 200


def _copy(source, target, *names):
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, f"no {name} cookie"
        target.set_cookie(name, cookie.value)


def _remember_only(new_client, source):
    """A browser holding nothing but `source`'s keep-me-logged-in cookie (closed and
    reopened, or a copy taken from the device)."""
    client = new_client()
    _copy(source, client, REMEMBER_COOKIE)
    return client


def _logout(client):
    page = client.get("/evaluations/", follow_redirects=True)  # the login page once logged out
    return client.post("/logout", data={"csrf_token": csrf_token(page.text)})


# --- logout -----------------------------------------------------------------------------------

def test_after_logout_a_copy_of_the_session_cookie_opens_nothing(new_client):
    device = new_client()
    assert post_login(device, "inspector").status_code == 302
    thief = new_client()
    _copy(device, thief, "session")
    assert _opens(thief)  # the copy works while the session lives …
    _logout(device)
    response = thief.get("/evaluations/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not _opens(device)


def test_logout_ends_every_session_and_remember_cookie_of_the_user(new_client, demo_app):
    tablet, desktop = new_client(), new_client()
    post_login(tablet, "inspector", remember=True)
    post_login(desktop, "inspector")
    assert _opens(tablet) and _opens(desktop)
    remembered = _remember_only(new_client, tablet)
    _logout(desktop)
    assert not _opens(tablet)
    assert not _opens(remembered)
    assert all(not row.active for row in sessions_of(demo_app, "inspector"))
    other = new_client()
    post_login(other, "reviewer")
    _logout(desktop)  # logging out twice is harmless
    assert _opens(other)  # other users keep their sessions


# --- password change, reset, role change ---------------------------------------------------

def test_changing_the_password_ends_every_other_session_and_remember_cookie(new_client):
    tablet, desktop = new_client(), new_client()
    post_login(tablet, "inspector", remember=True)
    post_login(desktop, "inspector", remember=True)
    tablet_remember = _remember_only(new_client, tablet)
    desktop_before = new_client()
    _copy(desktop, desktop_before, "session")
    desktop_remember_before = _remember_only(new_client, desktop)
    page = desktop.get("/password")
    response = desktop.post("/password", data={
        "csrf_token": csrf_token(page.text), "current": "arzyab-demo",
        "new": "a-new-password-1", "confirm": "a-new-password-1"})
    assert response.status_code == 302
    assert _opens(desktop)  # this session goes on …
    assert not _opens(tablet) and not _opens(tablet_remember)  # … every other one ends
    # the session and remember cookies this device held before the change are worth nothing
    assert not _opens(desktop_before) and not _opens(desktop_remember_before)
    assert _opens(_remember_only(new_client, desktop))  # its new remember cookie works


def test_an_admin_reset_ends_every_session_and_remember_cookie(new_client, demo_app):
    tablet = new_client()
    post_login(tablet, "inspector", remember=True)
    remembered = _remember_only(new_client, tablet)
    admin = new_client()
    log_in_client(admin, "admin")
    url = f"/admin/users/{user_id(demo_app, 'inspector')}"
    reset = admin.post(f"{url}/password", data={"csrf_token": token_of(admin, url)})
    assert reset.status_code == 200
    assert not _opens(tablet) and not _opens(remembered)
    assert _opens(admin, "/admin/")


@pytest.mark.parametrize("change", [
    {"roles": ["inspector", "author"], "province": "", "active": "y"},  # roles
    {"roles": ["inspector"], "province": "1", "active": "y"},  # province scope
])
def test_a_change_of_roles_or_scope_ends_every_session(new_client, demo_app, change):
    tablet = new_client()
    post_login(tablet, "inspector", remember=True)
    remembered = _remember_only(new_client, tablet)
    admin = new_client()
    log_in_client(admin, "admin")
    url = f"/admin/users/{user_id(demo_app, 'inspector')}"
    response = admin.post(url, data={"csrf_token": token_of(admin, url),
                                     "full_name": "مریم بختیاری", **change})
    assert response.status_code == 302, response.text[:300]
    assert not _opens(tablet) and not _opens(remembered)
    assert _opens(admin, "/admin/")


def test_an_admin_changing_their_own_roles_keeps_their_own_session(new_client, demo_app):
    admin, other = new_client(), new_client()
    log_in_client(admin, "admin")
    log_in_client(other, "admin")
    url = f"/admin/users/{user_id(demo_app, 'admin')}"
    response = admin.post(url, data={"csrf_token": token_of(admin, url), "full_name": "مدیر",
                                     "roles": ["admin", "author"], "province": "",
                                     "active": "y"})
    assert response.status_code == 302
    assert _opens(admin, "/admin/") and not _opens(other, "/admin/")


def test_deactivation_ends_the_session_rows(new_client, demo_app):
    tablet = new_client()
    post_login(tablet, "inspector", remember=True)
    admin = new_client()
    log_in_client(admin, "admin")
    url = f"/admin/users/{user_id(demo_app, 'inspector')}"
    admin.post(f"{url}/deactivate", data={"csrf_token": token_of(admin, url)})
    assert [row.end_reason for row in sessions_of(demo_app, "inspector")] == ["deactivated"]
    assert not _opens(tablet)


# --- remember cookies -------------------------------------------------------------------------

def test_remember_cookies_are_random_stored_hashed_and_not_a_year(new_client, demo_app):
    first, second = new_client(), new_client()
    response = post_login(first, "inspector", remember=True)
    post_login(second, "inspector", remember=True)
    one, two = first.get_cookie(REMEMBER_COOKIE), second.get_cookie(REMEMBER_COOKIE)
    assert one.value != two.value
    header = next(h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith(REMEMBER_COOKIE))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    max_age = int(re.search(r"Max-Age=(\d+)", header).group(1))
    assert max_age == 30 * 24 * 3600
    selector, validator = one.value.split(".")
    session_token = None
    with first.session_transaction() as stored:
        session_token = stored[TOKEN_KEY]
    with demo_app.app_context():
        rows = db.session.scalars(select(UserSession)).all()
        stored_text = " ".join(str(value) for row in rows for value in vars(row).values())
    assert validator not in stored_text and session_token not in stored_text
    assert selector in stored_text  # only the public half, to find the row


def test_a_remember_cookie_logs_back_in_once_and_is_replaced(new_client, demo_app):
    tablet = new_client()
    post_login(tablet, "inspector", remember=True)
    old = tablet.get_cookie(REMEMBER_COOKIE).value
    with demo_app.app_context(), writing():  # used last a week ago
        db.session.execute(update(UserSession).values(
            remember_expires_at=utcnow() + dt.timedelta(days=23)))
    reopened = new_client()
    reopened.set_cookie(REMEMBER_COOKIE, old)
    assert _opens(reopened)
    new = reopened.get_cookie(REMEMBER_COOKIE).value
    assert new != old and new.split(".")[0] == old.split(".")[0]
    (row,) = sessions_of(demo_app, "inspector")
    assert row.remember_expires_at > utcnow() + dt.timedelta(days=29)  # 30 days from now
    assert _opens(reopened)  # goes on with its new session cookie
    # the replaced cookie, used again later (a copy): refused, and the session is ended
    with demo_app.app_context(), writing():
        db.session.execute(update(UserSession).values(
            remember_rotated_at=utcnow() - dt.timedelta(minutes=5)))
    copy = new_client()
    copy.set_cookie(REMEMBER_COOKIE, old)
    assert not _opens(copy)
    assert not _opens(reopened)  # the whole session ended: the copy is worth nothing
    rows = sessions_of(demo_app, "inspector")
    assert [row.end_reason for row in rows] == ["reused"]
    with demo_app.app_context():
        assert db.session.scalar(select(AuditEvent.id).where(
            AuditEvent.action == "user.remember_reused")) is not None


def test_two_requests_with_the_cookie_just_replaced_are_both_served(new_client):
    tablet = new_client()
    post_login(tablet, "inspector", remember=True)
    old = tablet.get_cookie(REMEMBER_COOKIE).value
    first, second = new_client(), new_client()
    first.set_cookie(REMEMBER_COOKIE, old)
    second.set_cookie(REMEMBER_COOKIE, old)
    assert _opens(first)
    response = second.get("/evaluations/")  # left before the first answer came back
    assert response.status_code == 200
    assert not any(h.startswith(REMEMBER_COOKIE) for h in response.headers.getlist("Set-Cookie"))
    assert _opens(first)


def test_an_expired_remember_cookie_opens_nothing(new_client, demo_app):
    tablet = new_client()
    post_login(tablet, "inspector", remember=True)
    with demo_app.app_context(), writing():
        db.session.execute(update(UserSession).values(
            remember_expires_at=utcnow() - dt.timedelta(seconds=1)))
    assert not _opens(_remember_only(new_client, tablet))


def test_forged_or_junk_remember_cookies_open_nothing(new_client):
    for value in ("x", "a.b", "." * 40, "AAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
                  "ب" * 30 + "." + "پ" * 40):
        client = new_client()
        client.set_cookie(REMEMBER_COOKIE, value)
        response = client.get("/evaluations/")
        assert response.status_code == 302, value


def test_the_old_flask_login_remember_cookie_is_not_honoured(new_client, demo_app):
    from flask_login.utils import encode_cookie

    with demo_app.test_request_context():
        legacy = encode_cookie(str(user_id(demo_app, "inspector")))
    client = new_client()
    client.set_cookie("remember_token", legacy)
    response = client.get("/evaluations/")
    assert response.status_code == 302
    assert any(h.startswith("remember_token=;") for h in response.headers.getlist("Set-Cookie"))


def test_an_unused_session_ends_after_the_idle_time(new_client, demo_app):
    client = new_client()
    post_login(client, "inspector")
    with demo_app.app_context(), writing():
        db.session.execute(update(UserSession).values(
            last_seen_at=utcnow() - dt.timedelta(hours=25)))
    assert not _opens(client)


def test_a_login_keeps_nothing_of_the_session_before(new_client):
    client = new_client()
    with client.session_transaction() as stored:
        stored["_user_id"] = "1"
        stored[TOKEN_KEY] = "planted-by-an-attacker-0123456789"
        stored["lang"] = "en"
    assert client.get("/evaluations/").status_code == 302  # a planted id logs nobody in
    post_login(client, "inspector")
    with client.session_transaction() as stored:
        assert stored[TOKEN_KEY] != "planted-by-an-attacker-0123456789"
        assert stored["lang"] == "en"


def test_each_user_keeps_a_bounded_number_of_sessions(new_client, demo_app):
    limit = demo_app.config["SESSIONS_PER_USER"]
    clients = [new_client() for _ in range(limit + 3)]
    for client in clients:
        log_in_client(client, "inspector")
    active = [row for row in sessions_of(demo_app, "inspector") if row.active]
    assert len(active) == limit
    assert not _opens(clients[0]) and _opens(clients[-1])


# --- the sessions page ------------------------------------------------------------------------

def test_a_user_sees_their_devices_and_ends_one(new_client, demo_app):
    tablet = new_client()
    tablet.environ_base["HTTP_USER_AGENT"] = ANDROID
    post_login(tablet, "inspector", remember=True)
    desktop = new_client()
    post_login(desktop, "inspector")
    assert 'href="/account/sessions"' in desktop.get("/evaluations/").text  # the top bar
    page = desktop.get("/account/sessions")
    assert page.status_code == 200
    assert "نشست‌های شما" in page.text and "Chrome، Android" in page.text
    assert page.text.count('action="/account/sessions/') == 3  # two "end" and "end others"
    assert "همین دستگاه" in page.text
    tablet_row = next(r for r in sessions_of(demo_app, "inspector") if "Android" in r.user_agent)
    remembered = _remember_only(new_client, tablet)
    response = desktop.post(f"/account/sessions/{tablet_row.id}/end",
                            data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    assert not _opens(tablet) and not _opens(remembered) and _opens(desktop)
    assert "Android" not in desktop.get("/account/sessions").text


def test_ending_this_device_logs_it_out(new_client, demo_app):
    client = new_client()
    post_login(client, "inspector")
    own = sessions_of(demo_app, "inspector")[0]
    response = client.post(f"/account/sessions/{own.id}/end",
                           data={"csrf_token": token_of(client, "/account/sessions")})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert not _opens(client)


def test_end_every_other_session(new_client):
    clients = [new_client() for _ in range(3)]
    for client in clients:
        post_login(client, "inspector")
    here = clients[0]
    response = here.post("/account/sessions/end-others",
                         data={"csrf_token": token_of(here, "/account/sessions")})
    assert response.status_code == 302
    assert _opens(here) and not any(_opens(c) for c in clients[1:])


def test_nobody_ends_someone_elses_session(new_client, demo_app):
    victim, attacker = new_client(), new_client()
    post_login(victim, "reviewer")
    post_login(attacker, "inspector")
    row = sessions_of(demo_app, "reviewer")[0]
    response = attacker.post(f"/account/sessions/{row.id}/end",
                             data={"csrf_token": token_of(attacker, "/account/sessions")})
    assert response.status_code == 404
    assert _opens(victim)
    without_csrf = attacker.post(f"/account/sessions/{row.id}/end")
    assert without_csrf.status_code == 400


def test_the_test_helper_logs_in_without_a_password(new_client, demo_app):
    client = new_client()
    row = log_in_client(client, "reviewer", remember=True)
    assert _opens(client, "/dashboard/")
    assert row.user_id == user_id(demo_app, "reviewer")
    assert _opens(_remember_only(new_client, client), "/dashboard/")


# --- must change password ---------------------------------------------------------------------

def _with_temporary_password(demo_app, username):
    with demo_app.app_context(), writing():
        user = db.session.scalar(select(User).where(User.username == username))
        user.set_password("temporary-pass-123")
        user.must_change_password = True


def _get_urls(app) -> list[str]:
    values = {"evaluation_id": evaluation_id(app), "user_id": 1, "municipality_id": 1,
              "cycle_id": 2, "version_id": 1, "photo_id": 1, "year": "1404", "fmt": "csv",
              "session_id": 1, "code": "en", "change": "close", "criterion_id": "2.1",
              "recommendation_id": 1, "token": "no-such-export-job-0123", "token_id": 1}
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in ("static", "font", "admin.static",
                                                               "main.service_worker",
                                                               "main.manifest",
                                                               "auth.change_password",
                                                               "evaluations.state"):
                continue
            urls.append(rule.build({k: v for k, v in values.items()
                                    if k in rule.arguments})[1])
    return urls


@pytest.mark.parametrize("username", ["reviewer", "admin", "inspector"])
def test_a_temporary_password_opens_nothing_but_the_password_page(new_client, demo_app,
                                                                  username):
    _with_temporary_password(demo_app, username)
    client = new_client()
    first = post_login(client, username, "temporary-pass-123")
    assert first.headers["Location"].endswith("/password")
    urls = _get_urls(demo_app)
    assert "/dashboard/export/overview.csv" in urls and "/admin/audit.csv" in urls
    for url in urls:
        response = client.get(url)
        if url.startswith("/api/"):  # no cookie opens the API (its description is public)
            assert response.status_code == (200 if url.endswith("openapi.json") else 401), url
            continue
        assert response.status_code == 302 and response.headers["Location"].endswith(
            "/password"), (url, response.status_code)
    eid = evaluation_id(demo_app)
    state = client.get(f"/evaluations/{eid}/state", headers={"Accept": "application/json"})
    assert state.status_code == 403 and state.json["must_change_password"] is True
    assert is_persian(state.json["error"])
    save = client.post(f"/evaluations/{eid}/answers", headers=SAVE,
                       json={"changes": {"1.1": {"value": "50"}}})
    assert save.status_code == 403 and save.json["must_change_password"] is True
    submit = client.post(f"/evaluations/{eid}/submit", data={"csrf_token": token_of(
        client, "/password")})
    assert submit.status_code == 302 and submit.headers["Location"].endswith("/password")
    # choosing a password opens everything again
    page = client.get("/password")
    assert "موقت" in page.text
    done = client.post("/password", data={
        "csrf_token": csrf_token(page.text), "current": "temporary-pass-123",
        "new": "my-own-password-9", "confirm": "my-own-password-9"})
    assert done.status_code == 302
    assert client.get("/evaluations/").status_code == 200


def test_the_new_password_must_differ_from_the_temporary_one(new_client, demo_app):
    _with_temporary_password(demo_app, "inspector")
    client = new_client()
    post_login(client, "inspector", "temporary-pass-123")
    page = client.get("/password")
    response = client.post("/password", data={
        "csrf_token": csrf_token(page.text), "current": "temporary-pass-123",
        "new": "temporary-pass-123", "confirm": "temporary-pass-123"})
    assert response.status_code == 200 and "غیر از گذرواژهٔ کنونی" in response.text
    assert client.get("/evaluations/").status_code == 302
