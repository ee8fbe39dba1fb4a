"""The access matrix, extended to the API: a token of each kind of user sees exactly what that
user's pages show — the evaluations of the dashboard's rows (as its overview export holds
them) and those whose page opens, answers only of those whose page opens, the
recommendations whose page opens, the ranking only for those who see the dashboard, and the
municipalities whose pages (dashboard, administration) or evaluations they see."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from app.db import writing
from app.extensions import db
from app.models import Evaluation, EvaluationCycle, Municipality, Province, Recommendation, User
from tests.api.conftest import ApiClient, make_token
from tests.helpers import login

USERS = ["inspector", "reviewer", "manager", "dastjerd", "author", "admin", "outsider",
         "tehran-admin"]


@pytest.fixture
def world(demo_app):
    """Every evaluation, recommendation and municipality id; an outsider (inspector and
    reviewer, assigned to nothing) and the admin of another province."""
    with demo_app.app_context():
        with writing():
            tehran = Province(name="تهران")
            db.session.add(tehran)
            db.session.flush()
            for username, roles, province in (("outsider", ["inspector", "reviewer"], None),
                                              ("tehran-admin", ["admin"], tehran.id)):
                user = User(username=username, full_name=username, province_id=province)
                user.set_password("a-long-password-1")
                user.set_roles(roles)
                db.session.add(user)
        return {
            "evaluations": {e.id: (e.municipality.name, e.cycle.year) for e in
                            db.session.scalars(select(Evaluation))},
            "recommendations": list(db.session.scalars(select(Recommendation.id))),
            "municipalities": {m.id: m.name for m in db.session.scalars(select(Municipality))},
            "years": list(db.session.scalars(select(EvaluationCycle.year))),
        }


def _page_client(app, username):
    client = app.test_client()
    login(client, username)
    return client


def _dashboard_rows(client, world) -> dict[int, str]:
    """Evaluation id → adjusted score as the dashboard's overview export shows it."""
    by_place = {place: eid for eid, place in world["evaluations"].items()}
    found = {}
    for year in world["years"]:
        response = client.get(f"/dashboard/export/overview.csv?year={year}&lang=en")
        if response.status_code != 200:
            return {}
        for row in csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))):
            if row["Status"] != "Not planned":
                found[by_place[(row["Municipality"], year)]] = row["Adjusted score"]
    return found


@pytest.mark.parametrize("username", USERS)
def test_a_token_sees_what_its_user_pages_show(demo_app, world, username):
    pages = _page_client(demo_app, username)
    api = ApiClient(demo_app, make_token(demo_app, username))

    opens = {eid for eid in world["evaluations"]
             if pages.get(f"/evaluations/{eid}").status_code == 200}
    dashboard = _dashboard_rows(pages, world)
    listed = {row["id"]: row for row in api.all("/api/v1/evaluations", limit=2)}
    assert set(listed) == opens | set(dashboard), username
    for eid, shown in dashboard.items():  # the same figures as the export
        score = listed[eid]["scores"]["adjusted"]
        assert (shown == "" and score is None) or float(shown) == score, (eid, shown, score)
    for eid in world["evaluations"]:
        detail = api.get(f"/api/v1/evaluations/{eid}")
        assert detail.status_code == (200 if eid in listed else 404), (username, eid)
        answers = api.get(f"/api/v1/evaluations/{eid}/answers")
        assert answers.status_code == (200 if eid in opens else 404), (username, eid)

    recommendation_pages = {rid for rid in world["recommendations"]
                            if pages.get(f"/recommendations/{rid}").status_code == 200}
    assert {r["id"] for r in api.all("/api/v1/recommendations")} == recommendation_pages

    ranking_page = pages.get("/dashboard/ranking")
    ranking = api.get("/api/v1/rankings")
    assert ranking.status_code == (200 if ranking_page.status_code == 200 else 403)
    if ranking.status_code == 200:
        for row in ranking.json["data"]:
            assert row["evaluation_id"] in dashboard
            assert row["municipality"]["name"] in ranking_page.text

    with demo_app.app_context():  # the town a municipality account's portal is about
        own = db.session.scalar(select(User.municipality_id).where(User.username == username))
    assert (pages.get("/municipality/").status_code == 200) == (own is not None)
    seen = {mid for mid in world["municipalities"]
            if pages.get(f"/dashboard/municipalities/{mid}").status_code == 200
            or pages.get(f"/admin/municipalities/{mid}").status_code == 200
            or any(world["evaluations"][eid][0] == world["municipalities"][mid]
                   for eid in listed)
            or mid == own}
    municipalities = api.all("/api/v1/municipalities")
    assert {m["id"] for m in municipalities} == seen, username
    for mid in world["municipalities"]:
        status = api.get(f"/api/v1/municipalities/{mid}").status_code
        assert status == (200 if mid in seen else 404), (username, mid)
    # a municipality's tiers come only from evaluations the token sees
    for town in municipalities:
        assert {t["evaluation_id"] for t in town["tiers"]} <= set(listed)


def test_the_matrix_covers_every_kind_of_user(demo_app, world):
    """Each role the access module knows has a token in the matrix above."""
    from app.models import ROLES

    with demo_app.app_context():
        covered = set()
        for username in USERS:
            user = db.session.scalar(select(User).where(User.username == username))
            covered |= user.role_set
    assert covered == set(ROLES)


def test_what_each_sees_in_the_demo(demo_app, world):
    """The matrix is not empty: the expected shape of the demo, role by role."""
    counts = {}
    for username in ("inspector", "manager", "dastjerd", "admin", "outsider", "tehran-admin",
                     "author"):
        api = ApiClient(demo_app, make_token(demo_app, username))
        counts[username] = len(api.all("/api/v1/evaluations"))
    total = len(world["evaluations"])
    assert counts["admin"] == counts["manager"] == total
    assert 0 < counts["dastjerd"] < counts["inspector"] <= total
    # a reviewer of no province sees the national dashboard's rows, assigned or not
    assert counts["outsider"] == total
    assert counts["tehran-admin"] == counts["author"] == 0
