"""Who may see and change what: every role against every kind of object.

Roles: nobody logged in, an outsider (inspector and reviewer, assigned to nothing), the rubric
author, the assigned inspector, the assigned reviewer, the admin. A refusal must be 403 or
404 (never the object), and a guessed id gives nothing away.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from app.db import writing
from app.extensions import db
from app.models import Evaluation, EvaluationCycle, Municipality, RubricVersion, User
from tests.helpers import csrf_token, login

SAVE = {"X-Arzyab-Save": "1"}
ROLES = ["anonymous", "outsider", "author", "inspector", "reviewer", "admin"]
DENIED = {403, 404}


@pytest.fixture
def world(demo_app):
    """Ids of the objects, an outsider account and a photo on the draft evaluation."""
    with demo_app.app_context():
        def evaluation(town):
            return db.session.scalar(
                select(Evaluation.id).join(Municipality).join(EvaluationCycle)
                .where(Municipality.name == town, EvaluationCycle.year == 1404))

        ids = {"draft": evaluation("جعفریه"), "approved": evaluation("دستجرد"),
               "submitted": evaluation("قنوات"),
               "version": db.session.scalar(select(RubricVersion.id))}
        with writing():
            outsider = User(username="outsider", full_name="بیرونی")
            outsider.set_password("outsider-password")
            outsider.set_roles(["inspector", "reviewer"])
            db.session.add(outsider)
    client = demo_app.test_client()
    login(client, "inspector")
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (9, 99, 9)).save(out, "JPEG")
    response = client.post(f"/evaluations/{ids['draft']}/photos", headers=SAVE,
                           content_type="multipart/form-data",
                           data={"criterion": "1.1", "photo": (io.BytesIO(out.getvalue()),
                                                               "a.jpg")})
    ids["photo"] = response.json["id"]
    return ids


def client_for(app, role):
    client = app.test_client()
    if role == "outsider":
        login(client, "outsider")
    elif role != "anonymous":
        login(client, role)
    return client


# GET routes on an evaluation: allowed roles see them, everyone else gets 403/404
VIEW = ["inspector", "reviewer", "admin"]
GETS = [
    ("/evaluations/{draft}", VIEW),
    ("/evaluations/{draft}/state", VIEW),
    ("/evaluations/{draft}/photos/{photo}", VIEW),
    ("/evaluations/{draft}/photos/{photo}/thumb", VIEW),
    ("/evaluations/{approved}", VIEW),
    ("/evaluations/{approved}/report.pdf", VIEW),
    ("/evaluations/{approved}/photos/{photo}", []),  # a photo of another evaluation
    ("/rubrics/", ["author", "admin"]),
    ("/rubrics/versions/{version}", ["author", "admin"]),
    ("/rubrics/draft", ["author", "admin"]),
    ("/admin/", ["admin"]),
    ("/admin/users", ["admin"]),
    ("/admin/audit.csv", ["admin"]),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url, allowed", GETS, ids=[u for u, _ in GETS])
def test_reading(demo_app, world, role, url, allowed):
    client = client_for(demo_app, role)
    with client.get(url.format(**world)) as response:
        status = response.status_code
    if role == "anonymous":
        assert status in (302, 401), status
    elif role in allowed:
        assert status == 200, status
    else:
        assert status in DENIED, status


# changes to an evaluation: (method, url, body kind, roles that may)
CHANGES = [
    ("/evaluations/{draft}/answers", "json", ["inspector"]),
    ("/evaluations/{draft}/photos", "photo", ["inspector"]),
    ("/evaluations/{draft}/photos/{photo}/delete", "form", ["inspector"]),
    ("/evaluations/{draft}/submit", "form", ["inspector"]),
    ("/evaluations/{draft}", "form", ["inspector"]),
    ("/evaluations/{submitted}/return", "form", ["reviewer"]),
    ("/evaluations/{submitted}/approve", "form", ["reviewer"]),
    ("/evaluations/{approved}/answers", "json", []),  # approved: nobody
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url, kind, allowed", CHANGES, ids=[u for u, *_ in CHANGES])
def test_changing(demo_app, world, role, url, kind, allowed):
    client = client_for(demo_app, role)
    target = url.format(**world)
    if kind == "json":
        response = client.post(target, headers=SAVE, json={"changes": {"1.1": {"value": "1"}}})
    elif kind == "photo":
        out = io.BytesIO()
        Image.new("RGB", (32, 32)).save(out, "JPEG")
        response = client.post(target, headers=SAVE, content_type="multipart/form-data",
                               data={"criterion": "1.1", "photo": (io.BytesIO(out.getvalue()),
                                                                   "b.jpg")})
    else:
        token = csrf_token(client.get("/", follow_redirects=True).text)
        response = client.post(target, data={"csrf_token": token,
                                             "comment-c1_2e_1": "نظر"})
    status = response.status_code
    if role == "anonymous":
        assert status in (302, 401), status
    elif role in allowed:
        assert status not in DENIED and status < 500, status
    else:
        assert status in DENIED, status
