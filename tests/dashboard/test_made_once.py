"""The dashboard's statements made once per shape (which filters are set, the sort, the
user's access condition) with every value a bound parameter, and its links written without a
``url_for`` each: the same rows and the same URLs as made afresh, for values that differ
between requests of one shape, for users whose access differs, and for search texts that
hold LIKE's own characters."""

from __future__ import annotations

from dataclasses import replace

from flask import url_for
from sqlalchemy import select

from app import access
from app.dashboard import presentation, queries
from app.db import writing
from app.extensions import db
from app.i18n import search_key
from app.models import Assignment, Evaluation, EvaluationCycle, Municipality, User
from tests.dashboard.conftest import as_user
from tests.dashboard.test_reference import peers  # noqa: F401 - the data set, a fixture


def _everything(f, legend, user) -> list[dict]:
    rows, page = [], 1
    while True:
        found = queries.overview(replace(f, page=page), legend, per_page=9, user=user)
        rows += found.rows
        if page >= found.pages:
            return rows
        page += 1


def test_one_shape_many_values(read, peers):  # noqa: F811 - the fixture imported above
    """Counties, tiers and years asked for one after the other: one statement made for the
    shape, and each time the rows the statement made afresh (the export's) gives."""
    f, legend = read({"year": "1404"}, user="admin")
    person = as_user("admin")
    seen = []
    for county in ["بخش 0", "بخش 1", "بخش 2", "هیچ‌جا"]:
        for year, tier in [(1404, legend.tier_ids[0]), (1403, legend.tier_ids[-1])]:
            cycle = db.session.scalar(select(EvaluationCycle.id)
                                      .where(EvaluationCycle.year == year))
            asked = replace(f, county=county, tier=tier, year=year, cycle_id=cycle)
            rows = _everything(asked, legend, person)
            whole = queries.overview_all(asked, legend)
            assert [r["municipality_id"] for r in rows] == [
                r["municipality_id"] for r in whole]
            assert all(r["county"] == county and r["tier_id"] == tier for r in rows)
            seen.append(len(rows))
            counts = queries.status_counts(asked)
            assert sum(counts.values()) == len(whole)
    assert sum(seen) > 0 and seen.count(0) >= 2  # some found rows, «هیچ‌جا» none
    shapes = [key for key in queries._made if key and key[0] == queries._shape(asked)]
    assert len(shapes) == 1


def test_users_of_one_shape_open_their_own_rows(read, peers, demo_app):  # noqa: F811
    """Two reviewers assigned to different evaluations, the same filters: each may open
    the rows app.access gives them, not the other's (the access condition is part of what
    a statement is kept by)."""
    with demo_app.app_context(), writing():
        cycle = db.session.scalar(select(EvaluationCycle.id).where(EvaluationCycle.year == 1404))
        ids = db.session.scalars(select(Evaluation.id).join(Municipality).where(
            Evaluation.cycle_id == cycle, Municipality.name.startswith("شهرک "))
            .order_by(Evaluation.id)).all()
        for index, name in enumerate(["reviewer-a", "reviewer-b"]):
            person = User(username=name, full_name=name)
            person.set_password("arzyab-demo")
            person.set_roles(["reviewer"])
            db.session.add(person)
            db.session.flush()
            for evaluation_id in ids[index::3]:
                db.session.add(Assignment(evaluation_id=evaluation_id, user_id=person.id,
                                          role="reviewer"))
    opened = {}
    for name in ["reviewer-a", "reviewer-b", "reviewer-a"]:
        f, legend = read({"year": "1404", "sort": "score"}, user=name)
        person = as_user(name)
        rows = [r for r in _everything(f, legend, person) if r["evaluation_id"]]
        visible = access.visible_ids(person, [r["evaluation_id"] for r in rows])
        assert [r["viewable"] for r in rows] == [r["evaluation_id"] in visible for r in rows]
        opened.setdefault(name, {r["evaluation_id"] for r in rows if r["viewable"]})
        assert opened[name] == {r["evaluation_id"] for r in rows if r["viewable"]}
    assert opened["reviewer-a"] and opened["reviewer-b"]
    assert not opened["reviewer-a"] & opened["reviewer-b"]


def test_search_texts_with_like_characters_match_literally(read, peers, demo_app):  # noqa: F811
    """%, _ and the escape character / in a search are letters, as they were with
    SQLAlchemy's autoescape: on the overview, its counts and the ranking."""
    names = ["شهرک 1", "شهرک 2", "شهرک 3", "شهرک 4"]
    new = ["بازار ۵۰%", "بازار_نو", "راه/آهن", "بازار%_/"]
    with demo_app.app_context(), writing():
        for old, name in zip(names, new, strict=True):
            town = db.session.scalar(select(Municipality).where(Municipality.name == old))
            town.name, town.name_key = name, search_key(name)
    every = set(new)
    for text in ["%", "_", "/", "%_", "%_/", "ر%", "ا_ن", "۵۰%"]:
        for pending in ["", "1"]:
            f, legend = read({"year": "1404", "q": text, "pending": pending}, user="admin")
            expected = {name for name in every if text in name}
            rows = _everything(f, legend, as_user("admin"))
            assert {r["name"] for r in rows} == expected, text
            assert [r["municipality_id"] for r in rows] == [
                r["municipality_id"] for r in queries.overview_all(f, legend)]
            assert sum(queries.status_counts(f).values()) == len(expected)
            ranked = queries.ranking(f, legend, per_page=100).rows
            assert {r["name"] for r in ranked} <= expected
            if pending:  # every evaluation of 1404 is ranked with pending ones
                assert {r["name"] for r in ranked} == {
                    r["name"] for r in rows if r["score"] is not None}


def test_links_are_what_url_for_writes(demo_app):
    texts = ["", "کوه", "آذربایجان شرقی", "a&b=c?d#e", "50% _/+", "<i>'\"", "۱۴۰۴ ی ک"]
    with demo_app.test_request_context("/dashboard/?year=1404"):
        for endpoint in ["dashboard.overview", "dashboard.ranking",
                         "dashboard.export_answers_csv", "dashboard.export_reports"]:
            for text in texts:
                args = {"year": 1404, "q": text, "county": text[::-1], "page": 3,
                        "sort": "score", "dir": "desc", "province": 7, "pending": 1}
                for picked in [{}, {"year": 1404}, args, {k: args[k] for k in ("q", "page")},
                               {"pending": True, "page": 1}, {"pending": 1, "page": True}]:
                    assert presentation.query_url(endpoint, picked) == url_for(
                        endpoint, **picked)
        for fmt in ["csv", "xlsx"]:
            assert presentation.query_url("dashboard.export_overview", {"q": "a b"},
                                          fmt=fmt) == url_for(
                "dashboard.export_overview", fmt=fmt, q="a b")
        f = queries.Filters(year=1404)
        provinces = list(enumerate(texts[1:], start=1))
        links = presentation.comparison_links(f, provinces)
        assert [link["href"] for link in links] == [
            url_for("reports.cycle_pdf", year=1404, province=name) for _pid, name in provinces]
