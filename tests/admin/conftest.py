"""Fixtures of the administration tests: a client logged in as the demo admin, and small
look-ups on the demo data."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Evaluation, EvaluationCycle, Municipality, User
from tests.helpers import login


@pytest.fixture
def admin_client(client):
    login(client, "admin")
    return client


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def town(name: str) -> Municipality:
    return db.session.scalar(select(Municipality).where(Municipality.name == name))


def cycle(year: int) -> EvaluationCycle:
    return db.session.scalar(select(EvaluationCycle).where(EvaluationCycle.year == year))


def evaluation(name: str, year: int) -> Evaluation:
    return db.session.scalar(
        select(Evaluation).join(Municipality).join(EvaluationCycle)
        .where(Municipality.name == name, EvaluationCycle.year == year))
