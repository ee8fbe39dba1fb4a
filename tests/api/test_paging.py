"""Lists of the API: every row exactly once while rows are added between pages, filters,
ETags (304 when nothing changed), refused cursors and messages in the caller's language."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from app import workflow
from app.db import writing
from app.extensions import db
from app.models import Answer, Evaluation, EvaluationCycle, Municipality

_added = iter(range(1, 10_000))


def _add_evaluation(app) -> int:
    """A new municipality of Qom and its draft evaluation in 1404, as planning makes them."""
    n = next(_added)
    with app.app_context(), writing():
        model = db.session.scalar(select(Evaluation).order_by(Evaluation.id))
        town = Municipality(province_id=model.municipality.province_id, name=f"تازه {n}",
                            name_key=f"tazeh {n}", county="قم", grade=2, population=1500 + n)
        db.session.add(town)
        db.session.flush()
        cycle = db.session.scalar(select(EvaluationCycle).where(EvaluationCycle.year == 1404))
        evaluation = Evaluation(municipality_id=town.id, cycle_id=cycle.id,
                                rubric_version_id=model.rubric_version_id,
                                tier_id=model.tier_id, tier_basis=town.tier_basis())
        db.session.add(evaluation)
        db.session.flush()
        db.session.add(Answer(evaluation_id=evaluation.id, criterion_id="1.1", value=50.0))
        return evaluation.id


def _walk(api, url, between, **params):
    """Every row of `url`, page by page, calling `between()` after each page."""
    rows, cursor = [], None
    while True:
        response = api.get(url, query_string={**params, **({"cursor": cursor} if cursor
                                                            else {})})
        assert response.status_code == 200, response.json
        rows += [row["id"] for row in response.json["data"]]
        cursor = response.json["next"]
        if cursor is None:
            return rows
        between()


def test_every_row_exactly_once_while_rows_are_added_between_pages(demo_app, api_for):
    api = api_for("admin")
    with demo_app.app_context():
        before = set(db.session.scalars(select(Evaluation.id)))
        town_ids = set(db.session.scalars(select(Municipality.id)))
    added = []

    def add_and_touch():
        added.append(_add_evaluation(demo_app))
        with demo_app.app_context(), writing():  # and a row already passed changes
            first = db.session.scalar(select(Evaluation).where(
                workflow.in_states([workflow.DRAFT], Evaluation)).order_by(Evaluation.id))
            first.visit_dates = f"change {len(added)}"

    seen = _walk(api, "/api/v1/evaluations", add_and_touch, limit=2)
    assert len(seen) == len(set(seen)), "a row came twice"
    assert len(added) >= 4
    with demo_app.app_context():
        now = set(db.session.scalars(select(Evaluation.id)))
    assert set(seen) == now == before | set(added)  # nothing missed, the new ones included

    towns = _walk(api, "/api/v1/municipalities", lambda: _add_evaluation(demo_app), limit=2)
    assert len(towns) == len(set(towns)) and town_ids <= set(towns)
    with demo_app.app_context():
        assert set(towns) == set(db.session.scalars(select(Municipality.id)))

    eid = sorted(before)[0]
    with demo_app.app_context():
        criteria = set(db.session.scalars(select(Answer.criterion_id).where(
            Answer.evaluation_id == eid)))
    answers = []
    response = api.get(f"/api/v1/evaluations/{eid}/answers", query_string={"limit": 7})
    while True:
        answers += [row["criterion"] for row in response.json["data"]]
        if response.json["next"] is None:
            break
        response = api.get(f"/api/v1/evaluations/{eid}/answers",
                           query_string={"limit": 7, "cursor": response.json["next"]})
    assert sorted(answers) == sorted(criteria)


def test_a_nightly_refresh_moves_only_what_changed(demo_app, api_for):
    api = api_for("manager")
    first = api.get("/api/v1/evaluations")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = api.get("/api/v1/evaluations", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    start = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    changed = _add_evaluation(demo_app)
    after = api.get("/api/v1/evaluations", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    since = api.get("/api/v1/evaluations", query_string={
        "updated_since": start.isoformat() + "Z"})
    assert [row["id"] for row in since.json["data"]] == [changed]
    # an offset is understood (Tehran is +03:30)
    tehran = (start + dt.timedelta(hours=3, minutes=30)).isoformat() + "+03:30"
    assert [row["id"] for row in api.get("/api/v1/evaluations", query_string={
        "updated_since": tehran}).json["data"]] == [changed]
    one = api.get(f"/api/v1/evaluations/{changed}")
    assert api.get(f"/api/v1/evaluations/{changed}",
                   headers={"If-None-Match": one.headers["ETag"]}).status_code == 304


def test_filters(demo_app, api_for):
    api = api_for("admin")
    every = api.all("/api/v1/evaluations")
    with demo_app.app_context():
        first = db.session.scalar(select(Evaluation).order_by(Evaluation.id))
        province, tier = first.municipality.province_id, first.tier_id
        by_status = {state: db.session.scalar(select(func.count(Evaluation.id)).where(
            workflow.in_states([state], Evaluation))) for state in workflow.ordered()}
    for state, count in by_status.items():
        rows = api.all("/api/v1/evaluations", status=state)
        assert len(rows) == count and {r["status"] for r in rows} <= {state}
    assert sum(by_status.values()) == len(every)
    cycle = api.all("/api/v1/evaluations", cycle=1403)
    assert cycle and {r["cycle"] for r in cycle} == {1403}
    tiered = api.all("/api/v1/evaluations", tier=tier, province=province)
    assert tiered and {r["tier"]["id"] for r in tiered} == {tier}
    assert api.all("/api/v1/evaluations", province=999) == []
    town = api.all("/api/v1/evaluations", municipality=first.municipality_id)
    assert {r["municipality"]["id"] for r in town} == {first.municipality_id}
    recommendations = api.all("/api/v1/recommendations", cycle=1403)
    assert recommendations and {r["cycle"] for r in recommendations} == {1403}
    ranked = api.all("/api/v1/rankings", cycle=1403)
    assert ranked and all(r["rank"] >= 1 and r["peers"] >= r["rank"] for r in ranked)


def test_a_cursor_of_another_list_or_other_filters_is_refused(demo_app, api_for):
    api = api_for("admin")
    cursor = api.get("/api/v1/evaluations", query_string={"limit": 1}).json["next"]
    assert api.get("/api/v1/evaluations", query_string={
        "limit": 1, "cursor": cursor}).status_code == 200
    for url, query in (("/api/v1/evaluations", {"cycle": 1404}),
                       ("/api/v1/municipalities", {}), ("/api/v1/recommendations", {})):
        refused = api.get(url, query_string={**query, "cursor": cursor}, headers={
            "Accept-Language": "en"})
        assert refused.status_code == 400, url
        assert refused.json["error"].startswith("This cursor does not belong")
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    assert api.get("/api/v1/evaluations", query_string={"cursor": tampered}).status_code == 400


def test_messages_and_titles_in_the_callers_language(demo_app, api_for):
    api = api_for("admin")
    persian = api.get("/api/v1/evaluations?limit=0")
    assert persian.status_code == 400 and persian.json["error"] == "تعداد (limit) عددی صحیح " \
        "از ۱ تا ۵۰۰ است."
    english = api.get("/api/v1/evaluations?limit=0", headers={"Accept-Language": "en-GB,en"})
    assert english.json["error"] == "The limit is a whole number from 1 to 500."
    chosen = api.get("/api/v1/evaluations?limit=0&lang=en", headers={"Accept-Language": "fa"})
    assert chosen.json["error"] == english.json["error"]
    missing = api.get("/api/v1/nothing-here", headers={"Accept-Language": "en"})
    assert missing.status_code == 404 and missing.is_json
    row_fa = api.get("/api/v1/evaluations").json["data"][0]
    row_en = api.get("/api/v1/evaluations?lang=en").json["data"][0]
    assert row_en["status_title"] == workflow.STATES[row_en["status"]].title
    assert row_fa["status_title"] != row_en["status_title"]
    # the user's own language setting does not override what the caller asks for
    with demo_app.app_context(), writing():
        from app.models import User
        db.session.execute(update(User).where(User.username == "admin").values(locale="en"))
    assert api.get("/api/v1/evaluations?limit=0").json["error"] == persian.json["error"]
