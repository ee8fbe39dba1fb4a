"""The session cookie's signature with the serializer kept per secret key: a cookie signed
with the current key or a listed fallback is read, one signed with a retired key, a forged one
or a tampered one is not, and a key change is seen on the next request."""

from __future__ import annotations

import pytest
from flask import request, session

from tests.conftest import fresh_app


def _signed(app, data: dict) -> str:
    with app.test_request_context("/"):
        return app.session_interface.get_signing_serializer(app).dumps(data)


def _read(app, cookie: str | None) -> dict:
    name = app.config["SESSION_COOKIE_NAME"]
    headers = {"Cookie": f"{name}={cookie}"} if cookie is not None else {}
    with app.test_request_context("/", headers=headers):
        opened = app.session_interface.open_session(app, request)
        return dict(opened)


def test_cookies_are_read_under_the_key_they_were_signed_with(app):
    app.config["SECRET_KEY_FALLBACKS"] = []
    first = app.secret_key
    cookie = _signed(app, {"who": "inspector"})
    assert _read(app, cookie) == {"who": "inspector"}
    assert _read(app, cookie) == {"who": "inspector"}  # the kept serializer, again
    assert _read(app, cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB")) == {}
    assert _read(app, None) == {}

    app.secret_key = first + "-next"  # a new key, the old one kept as a fallback
    app.config["SECRET_KEY_FALLBACKS"] = [first]
    assert _read(app, cookie) == {"who": "inspector"}
    newer = _signed(app, {"who": "reviewer"})
    assert _read(app, newer) == {"who": "reviewer"}

    app.config["SECRET_KEY_FALLBACKS"] = []  # the old key retired
    assert _read(app, cookie) == {}
    assert _read(app, newer) == {"who": "reviewer"}

    app.secret_key = first  # back: the newer cookie's key is unknown again
    assert _read(app, newer) == {}
    assert _read(app, cookie) == {"who": "inspector"}


@pytest.fixture
def own_app(databases, tmp_path):
    """An app of this test's own: it adds routes, which the workers' reused app (it has
    served requests already) refuses, and which no other test should meet."""
    yield from fresh_app(databases, "empty", tmp_path)


def test_a_request_sees_its_session_through_the_kept_serializer(own_app):
    app = own_app

    @app.route("/_test/session-put")
    def _put():
        session["mark"] = "m1"
        return "ok"

    @app.route("/_test/session-get")
    def _get():
        return session.get("mark", "none")

    client = app.test_client()
    assert client.get("/_test/session-put").status_code == 200
    assert client.get("/_test/session-get").data == b"m1"
    app.secret_key = app.secret_key + "-rotated"  # no fallback: the cookie is refused
    assert client.get("/_test/session-get").data == b"none"
