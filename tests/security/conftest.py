"""Helpers of the security tests: each test replays one finding of issue 16 against the app."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.models import Evaluation, EvaluationCycle, Municipality, User, UserSession
from tests.conftest import _close, _make_app
from tests.helpers import csrf_token

SAVE = {"X-Arzyab-Save": "1"}
PERSIAN = set("ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی")


def is_persian(text: str) -> bool:
    return any(ch in PERSIAN for ch in text)


def post_login(client, username, password=DEMO_PASSWORD, *, remember=False, next_=None,
               **kwargs):
    """Post the login form like a browser (CSRF token from the page); the raw response."""
    page = client.get("/login", **kwargs)
    data = {"username": username, "password": password, "csrf_token": csrf_token(page.text)}
    if remember:
        data["remember"] = "y"
    url = "/login" if next_ is None else f"/login?next={next_}"
    return client.post(url, data=data, **kwargs)


def token_of(client, page="/evaluations/") -> str:
    return csrf_token(client.get(page).text)


def evaluation_id(app, town="جعفریه", year=1404) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Evaluation.id).join(Municipality).join(EvaluationCycle)
            .where(Municipality.name == town, EvaluationCycle.year == year))


def user_id(app, username) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def sessions_of(app, username) -> list[UserSession]:
    with app.app_context():
        rows = db.session.scalars(select(UserSession).join(User).where(
            User.username == username).order_by(UserSession.id)).all()
        db.session.expunge_all()
        return rows


@pytest.fixture
def new_client(demo_app):
    """A factory of fresh test clients (each a separate browser)."""
    return demo_app.test_client


@pytest.fixture
def another_app(demo_app):
    """Another app on the demo database (a second worker or server, or other settings); its
    database connections are closed after the test."""
    from app import limits

    made = []
    # the limiter is one per process and takes the storage of the app made last: the reused
    # demo app gets its own back afterwards (a Redis of this test may be gone by then)
    kept = (limits.limiter._storage, limits.limiter._limiter)

    def make(**config):
        app = _make_app(demo_app.config["SQLALCHEMY_DATABASE_URI"],
                        Path(demo_app.config["DATA_DIR"]), **config)
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            _close(app)
    limits.limiter._storage, limits.limiter._limiter = kept
