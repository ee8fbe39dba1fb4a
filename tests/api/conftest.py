"""Fixtures of the API tests: a personal token for any demo user, made through the service
(as the profile page does), and a client that sends it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.api import tokens
from app.db import writing
from app.extensions import db
from app.models import User


def make_token(app, username: str, days: int | None = None) -> str:
    with app.app_context():
        with writing():
            user = db.session.scalar(select(User).where(User.username == username))
            _row, token = tokens.create(user, name=f"test {username}", days=days)
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class ApiClient:
    """A test client that shows `token` on every request (and no cookie)."""

    def __init__(self, app, token: str):
        self.client = app.test_client(use_cookies=False)
        self.token = token

    def get(self, url: str, headers: dict | None = None, **kwargs):
        return self.client.get(url, headers={**bearer(self.token), **(headers or {})},
                               **kwargs)

    def all(self, url: str, **params) -> list[dict]:
        """Every row of a paged list, following `next`."""
        rows, cursor = [], None
        while True:
            query = {**params, **({"cursor": cursor} if cursor else {})}
            response = self.get(url, query_string=query)
            assert response.status_code == 200, response.json
            rows += response.json["data"]
            cursor = response.json["next"]
            if cursor is None:
                return rows


@pytest.fixture
def api_for(demo_app):
    """api_for("manager") → an ApiClient with a new token of that demo user."""
    def make(username: str) -> ApiClient:
        return ApiClient(demo_app, make_token(demo_app, username))

    return make
