"""Small helpers for tests that go through HTTP like a browser would (CSRF included), and the
one place where tests log a user in without the login form (`session_cookies`)."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

from flask import session
from sqlalchemy import select

from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.models import User

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                    r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def session_cookies(app, username: str, environ: dict | None = None) -> dict[str, str]:
    """The cookies a successful login leaves in a browser, made without posting a password:
    the login's own session start (`app.auth.sessions.log_in`: a session row, a fresh session)
    in a request context built like the client's (`environ`: its REMOTE_ADDR and
    HTTP_USER_AGENT), then the app's own response processing, which writes the cookies.

    Every test login that is not a test of the login form goes through here (the test client's
    `login` below and the browser tests' `log_in`): when the way a login starts a session
    changes, this is the function to change.
    """
    from app.auth.sessions import log_in
    from app.db import writing

    with app.test_request_context("/login", method="POST", environ_base=environ or {}):
        with writing():
            user = db.session.scalar(select(User).where(User.username == username.lower()))
            assert user is not None and user.active, f"no active user {username!r}"
            log_in(user, remember=False)
        assert session.get("_user_id") == user.get_id()
        response = app.process_response(app.response_class())
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        cookies.update({name: morsel.value for name, morsel in SimpleCookie(header).items()})
    assert app.config["SESSION_COOKIE_NAME"] in cookies, cookies
    return cookies


def login(client, username: str) -> None:
    """Log the test client in as `username` (see `session_cookies`; no password is posted)."""
    for name, value in session_cookies(client.application, username,
                                       client.environ_base).items():
        client.set_cookie(name, value)


def login_with_password(client, username: str, password: str = DEMO_PASSWORD):
    """Log in through the login form, as a person does; for the tests of the login itself."""
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


class _Ran:
    def __init__(self, result):
        self.returncode, self.stdout, self.stderr = (result.exit_code, result.stdout,
                                                     result.stderr)


def arzyab_in_process(*args):
    """`arzyab ARGS` in this process, through the same click group (`app.cli.main`): what it
    prints on stdout and stderr and its exit code, without the second or so of CPU a new
    interpreter costs. An exception the command lets out — what would print a traceback in
    a real process — fails the test with that exception."""
    from click.testing import CliRunner

    from app.cli import main

    # FlaskGroup marks the process as run from the command line: undone afterwards
    result = CliRunner().invoke(main, [str(arg) for arg in args],
                                env={"FLASK_RUN_FROM_CLI": None})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return _Ran(result)
