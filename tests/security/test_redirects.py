"""Finding: open redirect. ``POST /login?next=/%09/evil.example`` answered
``Location: //evil.example`` (the tab was stripped after the check), ``/lang/<code>`` had the
same check, and ``next=/%0D%0A/…`` gave a 500. One helper (app.redirects) now decides for
every redirect to user input; these are the known ways around such checks."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from app.auth.sessions import log_in_client
from app.redirects import safe_target
from tests.security.conftest import post_login, token_of

BYPASSES = [
    "/\t/evil.example", "/\t\t/evil.example", "\t//evil.example", "/\n/evil.example",
    "/\r\n/evil.example", "/\r/evil.example", "//evil.example", "///evil.example",
    "////evil.example", "/\\evil.example", "\\\\evil.example", "/\\/evil.example",
    "\\/evil.example", "/%5Cevil.example", "/%2F/evil.example", "/%2f%2fevil.example",
    "%2F%2Fevil.example", "/%09/evil.example", "/%0D%0A/evil.example", "/%252F/evil.example",
    "/%25252F/evil.example", "https://evil.example", "http:evil.example", "http:/evil.example",
    "//evil.example/%2F..", "javascript:alert(1)", "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>", "evil.example", " /evil.example",
    "/ /evil.example", "\x00/evil.example", "/evil\x00.example", "/\u3000/evil.example",
    "/\u00a0/evil.example", "/\u2028/evil.example", "\uff0f\uff0fevil.example",
    "/%ff/evil.example", "/" + "a" * 3000, "",
]
KEPT = ["/evaluations/", "/evaluations/9?lang=en", "/dashboard/?year=1404&sort=score",
        "/rubrics/draft?from=1", "/dashboard/municipalities/3#history"]


@pytest.mark.parametrize("target", BYPASSES)
def test_the_helper_refuses_known_bypasses(target):
    assert safe_target(target) is None


@pytest.mark.parametrize("target", KEPT)
def test_the_helper_keeps_our_own_paths(target):
    assert safe_target(target) == target


@pytest.mark.parametrize("value", [None, 5, ["/evaluations/"], b"/evaluations/"])
def test_the_helper_refuses_what_is_not_text(value):
    assert safe_target(value) is None


@pytest.mark.parametrize("target", BYPASSES)
def test_login_never_sends_anyone_elsewhere(new_client, target):
    client = new_client()
    response = post_login(client, "inspector", next_=quote(target, safe=""))
    assert response.status_code == 302, (target, response.status_code)
    assert response.headers["Location"] == "/", (target, response.headers["Location"])


@pytest.mark.parametrize("target", KEPT[:3])
def test_login_still_returns_to_the_page_asked_for(new_client, target):
    response = post_login(new_client(), "inspector", next_=quote(target, safe=""))
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", BYPASSES)
def test_the_language_switch_never_sends_anyone_elsewhere(new_client, target):
    client = new_client()
    log_in_client(client, "inspector")
    response = client.post("/lang/en", data={"csrf_token": token_of(client), "next": target})
    assert response.status_code == 302, (target, response.status_code)
    assert response.headers["Location"] == "/", (target, response.headers["Location"])


def test_the_language_switch_returns_to_the_page_and_anonymous_visitors_to_login(new_client):
    client = new_client()
    page = client.get("/login")
    from tests.helpers import csrf_token

    token = csrf_token(page.text)
    response = client.post("/lang/en", data={"csrf_token": token, "next": "//evil.example"})
    assert response.headers["Location"] == "/login"
    response = client.post("/lang/en", data={"csrf_token": token, "next": "/login?x=1"})
    assert response.headers["Location"] == "/login?x=1"
