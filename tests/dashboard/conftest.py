"""Helpers for the dashboard tests: clients logged in by role, the demo's cycles, and the
filters a page would read from its query string."""

from __future__ import annotations

import pytest
from flask_login import login_user
from sqlalchemy import select

from app.dashboard import filters, queries
from app.extensions import db
from app.models import EvaluationCycle, Municipality, User
from tests.helpers import login


@pytest.fixture
def reviewer(client):
    """A test client logged in as the demo's reviewer (a manager with no province: sees all).

    Requests run in their own app contexts: read the database in ``with demo_app.app_context()``
    blocks, never around a request (a request would share that context's ``g``).
    """
    login(client, "reviewer")
    return client


def as_user(username: str):
    return db.session.scalar(select(User).where(User.username == username))


def town(name: str) -> Municipality:
    return db.session.scalar(select(Municipality).where(Municipality.name == name))


def cycle_id(year: int) -> int:
    return db.session.scalar(select(EvaluationCycle.id).where(EvaluationCycle.year == year))


@pytest.fixture
def read(demo_app):
    """`read(args, user="reviewer")` → (filters, legend), as a dashboard page would read them,
    inside a request of the demo app."""
    contexts = []

    def _read(args: dict | None = None, user: str = "reviewer"):
        context = demo_app.test_request_context("/dashboard/", query_string=args or {})
        context.push()
        contexts.append(context)
        person = as_user(user)
        login_user(person)
        scope = queries.province_scope(person)
        f = filters.parse(args or {}, scope=scope, cycles=queries.cycles(),
                          provinces=[pid for pid, _name in queries.provinces(scope)],
                          legend_for=queries.legend)
        return f, queries.legend(f.cycle_id)

    yield _read
    for context in reversed(contexts):
        context.pop()
