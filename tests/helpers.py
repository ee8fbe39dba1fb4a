"""Small helpers for tests that go through HTTP like a browser would (CSRF included)."""

from __future__ import annotations

import re

from app.demo import DEMO_PASSWORD

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                    r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def login(client, username: str, password: str = DEMO_PASSWORD):
    page = client.get("/login")
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_token(page.text)})
    assert response.status_code == 302, response.text[:500]
    return response


def post_form(client, url: str, data: dict, page_url: str | None = None):
    """Post `data` to `url` with the CSRF token taken from `page_url` (default: `url`)."""
    page = client.get(page_url or url)
    return client.post(url, data={**data, "csrf_token": csrf_token(page.text)})


def login_as(client, username: str, remember: bool = False):
    """Log `username` into `client` without posting a password: the same session row and
    cookies a real login makes (app.auth.sessions.log_in_client)."""
    from app.auth.sessions import log_in_client

    return log_in_client(client, username, remember=remember)
