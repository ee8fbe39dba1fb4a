"""Finding: no HSTS behind TLS, no ``Cache-Control: no-store`` on pages with personal or
evaluation data, the remember cookie not Secure unless set by hand. This walks every route of
the URL map, anonymous and as each role, and checks the security headers of every answer:
every document (pages, and any type a browser may render as one) carries them all; the app's
own scripts, style sheet, fonts and images keep X-Content-Type-Options and HSTS, without the
headers that only a document acts on."""

from __future__ import annotations

import pytest

from app.auth.protection import DEVICE_COOKIE
from app.auth.sessions import REMEMBER_COOKIE, log_in_client
from app.factory import DOCUMENT_TYPES, STATIC_FILE_ENDPOINTS
from tests.helpers import csrf_token
from tests.security.conftest import evaluation_id, post_login

ROLES = [None, "inspector", "reviewer", "author", "admin"]
#: answers that may be cached like any file
PUBLIC = {"static", "font", "admin.static", "main.service_worker", "main.manifest"}
#: views that chose private caching on purpose: photos, final reports (never change)
PRIVATE_OK = {"evidence.photo", "evidence.thumb", "reports.evaluation_pdf",
              # the API's answers carry an ETag and are revalidated (private, no-cache)
              "api.openapi"}


def _routes(app):
    values = {"evaluation_id": evaluation_id(app), "user_id": 1, "municipality_id": 1,
              "cycle_id": 2, "version_id": 1, "photo_id": 1, "year": "1404", "fmt": "csv",
              "session_id": 1, "code": "en", "change": "close", "criterion_id": "2.1",
              "recommendation_id": 1, "token": "no-such-export-job-0123", "token_id": 1,
              "filename": "css/app.css"}
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            args = {k: v for k, v in values.items() if k in rule.arguments}
            if rule.endpoint == "font":
                args["filename"] = "Vazirmatn[wght].woff2"
            elif rule.endpoint == "admin.static":
                args["filename"] = "admin.css"
            path = rule.build(args)[1]
            for method in sorted(rule.methods & {"GET", "POST"}):
                routes.append((rule.endpoint, method, path))
    return routes


def _check(response, endpoint, who):
    where = (who, endpoint, response.status_code)
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff", where
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000"), where
    if endpoint in STATIC_FILE_ENDPOINTS and response.mimetype not in DOCUMENT_TYPES:
        _check_subresource(response, where)
        return
    assert "default-src 'self'" in headers["Content-Security-Policy"], where
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], where
    assert "script-src 'self';" in headers["Content-Security-Policy"], where  # no inline
    assert headers["X-Frame-Options"] == "DENY", where
    assert headers["Referrer-Policy"] == "same-origin", where
    cache = headers.get("Cache-Control", "")
    if endpoint in PUBLIC:
        return
    if endpoint in PRIVATE_OK and response.status_code == 200:
        assert "private" in cache or "no-store" in cache, where
    else:
        assert cache == "no-store", (where, cache)


def _check_subresource(response, where):
    """A script, style sheet, font or image the pages load: a policy, framing rule or referrer
    policy on it has no effect (the page's own apply), so none is sent; nor send_file's name,
    date and expiry (the ETag revalidates, Cache-Control says how long)."""
    headers = response.headers
    for name in ("Content-Security-Policy", "X-Frame-Options", "Referrer-Policy",
                 "Content-Disposition", "Last-Modified", "Expires"):
        assert name not in headers, (where, name)
    assert headers["Cache-Control"] and headers["ETag"], where


def test_static_files_carry_the_headers_that_act_on_them(demo_app):
    client = demo_app.test_client()
    log_in_client(client, "inspector")
    base = {"base_url": "https://localhost"}
    for url in ("/static/js/form.js", "/static/js/app.js", "/static/css/app.css",
                "/assets/fonts/Vazirmatn[wght].woff2", "/static/icon-180.png"):
        with client.get(url, headers={"Accept-Encoding": "br"}, **base) as response:
            assert response.status_code == 200, url
            _check(response, "static", "inspector")
            _check_subresource(response, url)
    # documents keep them all: an SVG opened on its own is one, the service worker runs under
    # its script's policy, a missing file's answer is a page
    for endpoint, url in (("static", "/static/icon.svg"), ("main.service_worker", "/sw.js"),
                          ("static", "/static/js/no-such-file.js")):
        with client.get(url, **base) as response:
            _check(response, endpoint, "inspector")
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("who", ROLES)
def test_every_route_answers_with_the_security_headers(demo_app, who):
    client = demo_app.test_client()
    if who:
        log_in_client(client, who)
    base = {"base_url": "https://localhost"}  # behind TLS: HSTS expected
    token = csrf_token(client.get("/login" if not who else "/evaluations/", **base,
                                  follow_redirects=True).text)
    routes = _routes(demo_app)
    assert len(routes) >= 55
    statuses = set()
    for endpoint, method, path in routes:
        if endpoint in ("auth.logout", "auth.end_session", "auth.end_other_sessions"):
            continue  # they would end the session this walk goes on with
        if method == "GET":
            response = client.get(path, **base)
        else:
            response = client.post(path, data={"csrf_token": token}, **base)
        statuses.add(response.status_code)
        _check(response, endpoint, who)
        response.close()
    assert 500 not in statuses
    assert statuses & {200, 302}


def test_logout_and_session_routes_answer_with_the_headers_too(demo_app):
    client = demo_app.test_client()
    log_in_client(client, "inspector")
    base = {"base_url": "https://localhost"}
    page = client.get("/account/sessions", **base)
    _check(page, "auth.account_sessions", "inspector")
    token = csrf_token(page.text)
    for path in ("/account/sessions/end-others", "/account/sessions/999999/end", "/logout"):
        _check(client.post(path, data={"csrf_token": token}, **base), path, "inspector")


def test_hsts_over_https_behind_the_proxy_not_over_plain_http(another_app):
    app = another_app(TRUST_PROXY=True)
    client = app.test_client()
    behind_tls = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert behind_tls.headers["Strict-Transport-Security"] == "max-age=31536000"
    plain = client.get("/login")
    assert "Strict-Transport-Security" not in plain.headers
    # a client reaching the app directly cannot ask for it with the proxy's header
    direct = client.get("/login", headers={"X-Forwarded-Proto": "https"},
                        environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert "Strict-Transport-Security" not in direct.headers


def test_hsts_can_be_forced_or_turned_off_and_configured(another_app):
    forced = another_app(HSTS=True, HSTS_MAX_AGE=600,
                  HSTS_INCLUDE_SUBDOMAINS=True).test_client()
    assert forced.get("/login").headers["Strict-Transport-Security"] == \
        "max-age=600; includeSubDomains"
    off = another_app(HSTS=False).test_client()
    assert "Strict-Transport-Security" not in off.get(
        "/login", base_url="https://localhost").headers


def _set_cookies(response, name):
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]


@pytest.mark.parametrize("base, configured, secure", [
    ("https://localhost", None, True),
    ("http://localhost", None, False),
    ("http://localhost", True, True),  # ARZYAB_SESSION_COOKIE_SECURE=true
    ("https://localhost", False, False),
])
def test_the_remember_and_device_cookies_follow_the_session_cookies_secure_rule(
        another_app, base, configured, secure):
    app = another_app(SESSION_COOKIE_SECURE=configured)
    client = app.test_client()
    # over HTTPS the CSRF check wants the Referer of our own page, as a browser sends it
    response = post_login(client, "inspector", remember=True, base_url=base,
                          headers={"Referer": f"{base}/login"})
    assert response.status_code == 302
    for name in ("session", REMEMBER_COOKIE, DEVICE_COOKIE):
        (cookie,) = _set_cookies(response, name)
        assert ("; Secure" in cookie) is secure, (name, cookie)
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie, (name, cookie)
