"""Personal API tokens: made on the profile (shown once, stored hashed, an optional expiry,
last-used time), revoked by their owner or an administrator, refused once revoked or expired
or when their user is deactivated; no cookie works on /api/, no token works on pages; use is
rate-limited and audited."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update

from app.api import tokens
from app.db import writing
from app.extensions import db
from app.models import ApiToken, AuditEvent, User
from tests.api.conftest import ApiClient, bearer, make_token
from tests.helpers import csrf_token, login

TOKEN = re.compile(r"data-token>(arz_[A-Za-z0-9_-]{40,})<")


def _make_on_page(client, name="Power BI", expiry="90"):
    page = client.get("/account/tokens")
    assert page.status_code == 200
    return client.post("/account/tokens", data={"csrf_token": csrf_token(page.text),
                                                 "name": name, "expiry": expiry})


def test_a_token_made_on_the_profile_is_shown_once_and_stored_hashed(demo_app):
    client = demo_app.test_client()
    login(client, "manager")
    response = _make_on_page(client)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    token = TOKEN.search(response.text).group(1)
    with demo_app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.token_hash == tokens.digest(token) and token not in row.token_hash
        assert row.name == "Power BI" and row.prefix == token[:10]
        assert row.user.username == "manager" and row.last_used_at is None
        assert dt.timedelta(days=89) < row.expires_at - row.created_at <= dt.timedelta(days=90)
    again = client.get("/account/tokens")
    assert token not in again.text and token[:10] in again.text  # listed by its prefix only
    # it works on the API and records its use
    assert ApiClient(demo_app, token).get("/api/v1/cycles").status_code == 200
    with demo_app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.last_used_at is not None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api.read"))
        assert event.user.username == "manager" and event.details["path"] == "/api/v1/cycles"


def test_a_token_without_expiry_and_a_nameless_one(demo_app):
    client = demo_app.test_client()
    login(client, "inspector")
    assert _make_on_page(client, expiry="never").status_code == 201
    with demo_app.app_context():
        assert db.session.scalar(select(ApiToken)).expires_at is None
    refused = _make_on_page(client, name="   ")
    assert refused.status_code == 422
    assert "برای توکن نامی بگذارید" in refused.text
    junk = _make_on_page(client, expiry="7")
    assert junk.status_code == 422
    with demo_app.app_context():
        assert db.session.scalar(select(db.func.count(ApiToken.id))) == 1


def test_the_owner_revokes_a_token_and_it_is_refused(demo_app):
    token = make_token(demo_app, "inspector")
    api = ApiClient(demo_app, token)
    assert api.get("/api/v1/evaluations").status_code == 200
    client = demo_app.test_client()
    login(client, "inspector")
    page = client.get("/account/tokens")
    with demo_app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    response = client.post(f"/account/tokens/{token_id}/revoke",
                           data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    refused = api.get("/api/v1/evaluations", headers={"Accept-Language": "en"})
    assert refused.status_code == 401
    assert refused.json == {"error": "This API token was revoked.", "status": 401}
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    with demo_app.app_context():
        row = db.session.get(ApiToken, token_id)
        assert row.revoked_by.username == "inspector"
        actions = set(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "api_token")))
        assert {"api_token.create", "api_token.revoke", "api_token.refused"} <= actions


def test_someone_else_cannot_revoke_a_token(demo_app):
    make_token(demo_app, "inspector")
    client = demo_app.test_client()
    login(client, "reviewer")
    page = client.get("/account/tokens")
    with demo_app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    response = client.post(f"/account/tokens/{token_id}/revoke",
                           data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 404
    assert client.get("/admin/tokens").status_code == 403
    with demo_app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None


def test_an_admin_lists_and_revokes_every_token(demo_app):
    first = make_token(demo_app, "inspector")
    make_token(demo_app, "manager")
    client = demo_app.test_client()
    login(client, "admin")
    listing = client.get("/admin/tokens?lang=en")
    assert listing.status_code == 200
    assert "test inspector" in listing.text and "test manager" in listing.text
    with demo_app.app_context():
        token_id = db.session.scalar(select(ApiToken.id).where(
            ApiToken.token_hash == tokens.digest(first)))
    response = client.post(f"/admin/tokens/{token_id}/revoke",
                           data={"csrf_token": csrf_token(listing.text)})
    assert response.status_code == 302
    assert ApiClient(demo_app, first).get("/api/v1/cycles").status_code == 401
    listing = client.get("/admin/tokens?lang=en")
    assert "test inspector" not in listing.text  # revoked ones only with ?all=1
    assert "test inspector" in client.get("/admin/tokens?all=1&lang=en").text


def test_the_administration_menu_leads_to_the_tokens(demo_app):
    client = demo_app.test_client()
    login(client, "admin")
    menu = re.search(r'<nav class="admin-nav".*?</nav>', client.get("/admin/?lang=en").text,
                     re.S).group(0)
    assert re.search(r'<a href="/admin/tokens">API tokens</a>', menu), menu
    listing = client.get("/admin/tokens?lang=en").text
    assert re.search(r'<a href="/admin/tokens" aria-current="page">API tokens</a>', listing)


def test_expired_tokens_and_deactivated_users_are_refused(demo_app):
    token = make_token(demo_app, "reviewer", days=30)
    api = ApiClient(demo_app, token)
    assert api.get("/api/v1/cycles").status_code == 200
    with demo_app.app_context(), writing():
        db.session.execute(update(ApiToken).values(
            expires_at=dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=1)))
    refused = api.get("/api/v1/cycles?lang=en")
    assert refused.status_code == 401 and "expired" in refused.json["error"]
    other = make_token(demo_app, "manager")
    with demo_app.app_context(), writing():
        db.session.execute(update(User).where(User.username == "manager").values(active=False))
    assert ApiClient(demo_app, other).get("/api/v1/cycles").status_code == 401


def test_unknown_missing_and_malformed_tokens(demo_app):
    client = demo_app.test_client(use_cookies=False)
    missing = client.get("/api/v1/evaluations", headers={"Accept-Language": "en"})
    assert missing.status_code == 401 and "Authorization: Bearer" in missing.json["error"]
    persian = client.get("/api/v1/evaluations")
    assert persian.json["error"].startswith("این نشانی توکن API می‌خواهد")
    for header in ("Bearer arz_nothing-of-ours", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 500,
                   "Bearer"):
        response = client.get("/api/v1/evaluations", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.is_json


def test_no_cookie_works_on_the_api_and_none_is_set(demo_app):
    client = demo_app.test_client()
    login(client, "admin")  # a real session cookie
    assert client.get("/admin/").status_code == 200
    response = client.get("/api/v1/evaluations")
    assert response.status_code == 401
    token = make_token(demo_app, "admin")
    response = client.get("/api/v1/evaluations?lang=en", headers=bearer(token))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_no_token_works_on_pages(demo_app):
    token = make_token(demo_app, "admin")
    client = demo_app.test_client(use_cookies=False)
    for url in ("/admin/", "/dashboard/", "/account/tokens"):
        response = client.get(url, headers=bearer(token))
        assert response.status_code in (302, 401), url
        if response.status_code == 302:
            assert "/login" in response.headers["Location"]


def test_token_use_is_rate_limited_per_token(demo_app):
    demo_app.config["LIMITS"] = {"api": "3 per minute"}
    first = ApiClient(demo_app, make_token(demo_app, "manager"))
    for _ in range(3):
        assert first.get("/api/v1/cycles").status_code == 200
    refused = first.get("/api/v1/cycles?lang=en")
    assert refused.status_code == 429 and refused.is_json
    assert int(refused.headers["Retry-After"]) >= 1
    # another token (of the same user) has its own budget
    second = ApiClient(demo_app, make_token(demo_app, "manager"))
    assert second.get("/api/v1/cycles").status_code == 200


def test_guessing_tokens_is_stopped_per_address(demo_app):
    demo_app.config["LIMITS"] = {"api_refused": "3 per 10 minutes"}
    good = make_token(demo_app, "manager")
    client = demo_app.test_client(use_cookies=False)
    for index in range(3):
        assert client.get("/api/v1/cycles",
                          headers=bearer(f"arz_guess{index}")).status_code == 401
    refused = client.get("/api/v1/cycles", headers=bearer(good))
    assert refused.status_code == 429 and refused.is_json


def test_a_province_admin_lists_only_the_tokens_of_their_province(demo_app):
    from app.models import Province

    make_token(demo_app, "manager")  # a user of Qom
    with demo_app.app_context(), writing():
        tehran = Province(name="تهران")
        db.session.add(tehran)
        db.session.flush()
        admin = User(username="tehran-admin", full_name="x", province_id=tehran.id)
        admin.set_password("a-long-password-1")
        admin.set_roles(["admin"])
        db.session.add(admin)
    client = demo_app.test_client()
    login(client, "tehran-admin")
    listing = client.get("/admin/tokens?lang=en")
    assert listing.status_code == 200 and "test manager" not in listing.text
    with demo_app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    refused = client.post(f"/admin/tokens/{token_id}/revoke",
                          data={"csrf_token": csrf_token(listing.text)})
    assert refused.status_code == 404
    national = demo_app.test_client()
    login(national, "admin")
    assert "test manager" in national.get("/admin/tokens?lang=en").text


def test_the_profile_links_to_the_tokens(demo_app):
    client = demo_app.test_client()
    login(client, "dastjerd")
    assert 'href="/account/tokens"' in client.get("/account/sessions").text
