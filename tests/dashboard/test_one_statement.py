"""The dashboard's pages read in fewer statements (each statement is a round trip to
PostgreSQL): the filter's choices in one, the overview's rows with their count, inspectors and
what the user may open in one, the ranking's rows with their count and previous scores in
one, the recommendations' follow-up counts in one, and the tables' rows written as HTML in
Python. Each is checked here against the separate queries (or the template loop) it replaces,
on the data set of test_reference.py (two provinces, ties, every state, towns not planned)
with inspectors added, for users who see every province and one who sees only theirs."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import replace

import pytest
from flask_login import login_user
from sqlalchemy import select

from app import access
from app.dashboard import presentation, queries
from app.db import writing
from app.extensions import db
from app.models import (
    Assignment,
    Evaluation,
    EvaluationCycle,
    Municipality,
    Recommendation,
    RecommendationResponse,
    User,
)
from app.recommendations import services as recommendations
from tests.dashboard.conftest import as_user
from tests.dashboard.test_reference import peers  # noqa: F401 - the data set, a fixture

USERS = ["admin", "reviewer", "manager", "tehran-manager", "inspector"]


@pytest.fixture
def inspected(demo_app, peers):  # noqa: F811 - the fixture imported above
    """The data set with two or three inspectors on some evaluations of ۱۴۰۴ (and the
    reviewer assigned to a few of them, so that a reviewer may open some rows only)."""
    with demo_app.app_context(), writing():
        people = []
        for index, name in enumerate(["ژاله نیک", "بهرام امینی", ""]):
            person = User(username=f"inspector-{index}", full_name=name)
            person.set_password("arzyab-demo")
            person.set_roles(["inspector"])
            db.session.add(person)
            people.append(person)
        db.session.flush()
        reviewer = db.session.scalar(select(User.id).where(User.username == "reviewer"))
        cycle = db.session.scalar(select(EvaluationCycle.id).where(EvaluationCycle.year == 1404))
        ids = db.session.scalars(  # the data set's own evaluations (not the demo's)
            select(Evaluation.id).join(Municipality)
            .where(Evaluation.cycle_id == cycle, Municipality.name.startswith("شهرک "))
            .order_by(Evaluation.id)).all()
        for index, evaluation_id in enumerate(ids):
            for person in people[:index % 4]:
                db.session.add(Assignment(evaluation_id=evaluation_id, user_id=person.id,
                                          role="inspector"))
            if index % 5 == 0:
                db.session.add(Assignment(evaluation_id=evaluation_id, user_id=reviewer,
                                          role="reviewer"))
    return peers


# --- the filter's choices ----------------------------------------------------------------------

@pytest.mark.parametrize("user", ["admin", "tehran-manager"])
def test_choices_are_what_the_separate_queries_give(read, inspected, user):
    f, _legend = read(user=user)
    scope = queries.province_scope(as_user(user))
    offered = queries.choices(scope)
    assert offered.cycles == queries.cycles()
    assert offered.provinces == queries.provinces(scope)
    for province_ids in [None, scope, *((pid,) for pid, _name in offered.provinces)]:
        assert offered.counties(province_ids) == queries.counties(
            province_ids if province_ids is not None else scope)
    if user == "tehran-manager":
        assert [pid for pid, _name in offered.provinces] == [inspected["tehran"]]
        assert offered.counties(None) == ["بخش 0", "بخش 1", "بخش 2"]


def test_the_legend_read_with_the_choices(read, inspected, demo_app):
    """The rubric version of the cycle asked for (else of the newest cycle) comes with the
    choices; a cycle without evaluations falls back to legend()'s own query."""
    with demo_app.app_context(), writing():
        db.session.add(EvaluationCycle(year=1405, title="ارزیابی ۱۴۰۵", is_open=True))
    read(user="admin")
    cycles = dict((year, cycle_id) for cycle_id, year in queries.cycles())
    for year, expected_cycle in [(1403, cycles[1403]), (1404, cycles[1404]),
                                 (None, cycles[1405]), (1399, cycles[1405]),
                                 (2**31 - 1, cycles[1405])]:
        offered = queries.choices(None, year)
        if expected_cycle == cycles[1405]:  # the newest cycle has no evaluation yet
            assert offered.newest_version is None
        else:
            assert offered.newest_version[0] == expected_cycle
        for cycle_id in cycles.values():
            assert offered.legend(cycle_id) == queries.legend(cycle_id)
    assert queries.choices(None, 1404).legend(cycles[1404]).rubric is not None


def test_the_previous_cycle_from_the_cycles_read(read, inspected):
    f, _legend = read(user="admin")
    cycles = queries.cycles()
    for _cycle_id, year in cycles:
        f = replace(f, year=year)
        assert queries.previous_cycle(f, cycles) == queries.previous_cycle(f)


# --- the overview ------------------------------------------------------------------------------

def _pages(f, legend, user, per_page=7) -> list[dict]:
    rows, page = [], 1
    while True:
        found = queries.overview(replace(f, page=page), legend, per_page=per_page, user=user)
        assert len(found.rows) <= per_page
        rows += found.rows
        if page >= found.pages:
            assert len(rows) == found.total
            return rows
        page += 1


@pytest.mark.parametrize("args", [
    {}, {"sort": "inspectors"}, {"sort": "inspectors", "dir": "desc"},
    {"sort": "score", "dir": "desc"}, {"sort": "band"}, {"sort": "status"},
    {"year": "1403", "sort": "updated"}, {"status": "none", "year": "1404"},
    {"q": "شهرک 3", "sort": "county"}, {"province": "tehran", "sort": "tier"},
])
@pytest.mark.parametrize("user", USERS)
def test_overview_rows_match_the_separate_queries(read, inspected, args, user):
    args = {k: str(inspected[v]) if k == "province" else v for k, v in args.items()}
    f, legend = read(args, user=user)
    person = as_user(user)
    rows = _pages(f, legend, person)
    # the order of every page together is the order of the whole list (one statement, as the
    # exports read it), and the same rows
    everything = queries.overview_all(f, legend)
    assert [r["municipality_id"] for r in rows] == [r["municipality_id"] for r in everything]
    assert rows and all(row == {**whole, "viewable": row["viewable"]}
                        for row, whole in zip(rows, everything, strict=True))
    # the inspectors, by name, as inspectors_of gives them; what the user may open, as
    # app.access decides for the evaluation's own page
    ids = [r["evaluation_id"] for r in rows if r["evaluation_id"]]
    names, viewable = queries.inspectors_of(ids), access.visible_ids(person, ids)
    for row in rows:
        assert row["inspectors"] == names.get(row["evaluation_id"], [])
        assert row["viewable"] == (row["evaluation_id"] in viewable)
    if f.cycle_id and f.year == 1404 and not f.status:
        assert any(len(row["inspectors"]) == 3 for row in rows)
    if user == "tehran-manager":
        assert {row["province_id"] for row in rows} == {inspected["tehran"]}


@pytest.mark.parametrize("descending", [False, True])
def test_the_inspectors_sort_is_by_the_first_inspectors_name(read, inspected, descending):
    """Sorted by inspectors: by each row's first inspector (alphabetically) in the direction
    asked, rows without one last, equal names by the municipality's name; the pages in the
    same order as the whole list."""
    args = {"year": "1404", "sort": "inspectors", **({"dir": "desc"} if descending else {})}
    f, legend = read(args, user="admin")
    rows = queries.overview_all(f, legend)
    firsts = [row["inspectors"][0] if row["inspectors"] else None for row in rows]
    named = [first for first in firsts if first is not None]
    assert len(set(named)) > 1 and len(named) < len(firsts)
    assert named == sorted(named, reverse=descending)
    assert firsts[len(named):] == [None] * (len(firsts) - len(named))
    for before, after in itertools.pairwise(rows):
        if (before["inspectors"] or [None])[0] == (after["inspectors"] or [None])[0]:
            assert before["name"] <= after["name"]
    paged = _pages(f, legend, as_user("admin"))
    assert [r["municipality_id"] for r in paged] == [r["municipality_id"] for r in rows]


def test_who_may_open_which_row(read, inspected):
    """The admin opens every evaluation; the reviewer the ones assigned to them; the
    province manager (a reviewer assigned to nothing) sees their province's rows and opens
    none."""
    for user, expected in [("admin", "all"), ("reviewer", "some"), ("tehran-manager", "none")]:
        f, legend = read({"year": "1404"}, user=user)
        rows = [r for r in _pages(f, legend, as_user(user)) if r["evaluation_id"]]
        opened = [r["viewable"] for r in rows]
        assert rows
        assert {"all": all(opened), "none": not any(opened),
                "some": any(opened) and not all(opened)}[expected], user
        if user == "tehran-manager":
            assert {r["province_id"] for r in rows} == {inspected["tehran"]}


def test_overview_past_the_last_page_shows_the_last_page(read, inspected):
    f, legend = read({"year": "1404", "sort": "score"}, user="admin")
    person = as_user("admin")
    last = queries.overview(f, legend, per_page=7, user=person)
    last = queries.overview(replace(f, page=last.pages), legend, per_page=7, user=person)
    far = queries.overview(replace(f, page=999), legend, per_page=7, user=person)
    assert (far.page, far.total, far.rows) == (last.page, last.total, last.rows)
    assert far.page > 1 and far.rows
    none = queries.overview(replace(f, q="هیچ‌کجا", key="هیچ‌کجا", page=3), legend, user=person)
    assert (none.page, none.total, none.rows) == (1, 0, [])


# --- the ranking -------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [{"year": "1404"}, {"year": "1404", "pending": "1"},
                                  {"year": "1403", "pending": "1", "q": "شهرک 1"}])
def test_ranking_counts_and_the_last_page(read, inspected, args):
    f, legend = read(args, user="admin")
    first = queries.ranking(f, legend, per_page=5)
    ranked = [r for r in queries.ranked_by_id(f, 0, 1000)
              if not f.key or f.q in r["name"]]
    assert first.total == len(ranked) > 5
    last = queries.ranking(replace(f, page=first.pages), legend, per_page=5)
    far = queries.ranking(replace(f, page=999), legend, per_page=5, cycles=queries.cycles())
    assert (far.page, far.total) == (last.page, last.total) == (first.pages, first.total)
    assert [r["evaluation_id"] for r in far.rows] == [r["evaluation_id"] for r in last.rows]


def test_the_first_cycle_has_no_previous_scores(read, inspected):
    f, legend = read({"year": "1403", "pending": "1"}, user="admin")
    rows = queries.ranking(f, legend, cycles=queries.cycles()).rows
    assert rows and all(r["previous_score"] is None and r["change"] is None for r in rows)


# --- the recommendations' follow-up counts ----------------------------------------------------

def _counts_reference(province_ids, on) -> list[dict]:
    """The counts the plain way: every recommendation of a final as an object, its latest
    response and latest finding read by their own queries (as the service did)."""
    statement = (select(Recommendation, Municipality.id, Municipality.name)
                 .join(Evaluation, Evaluation.id == Recommendation.evaluation_id)
                 .join(Municipality, Municipality.id == Evaluation.municipality_id)
                 .where(recommendations.workflow.final_condition(Evaluation))
                 .order_by(Municipality.name))
    if province_ids is not None:
        statement = statement.where(Municipality.province_id.in_(list(province_ids)))
    found = db.session.execute(statement).all()
    responses = recommendations.latest_responses(r.id for r, *_ in found)
    findings = recommendations._latest_outcomes(r.id for r, *_ in found)
    table: dict[int, dict] = {}
    for recommendation, town_id, name in found:
        row = table.setdefault(town_id, {"municipality_id": town_id, "name": name, "total": 0,
                                         "answered": 0, "done": 0, "partly": 0,
                                         "not_done": 0, "open": 0, "overdue": 0})
        response, finding = responses.get(recommendation.id), findings.get(recommendation.id)
        row["total"] += 1
        row["answered"] += response is not None
        if finding is not None:
            row[finding.outcome] += 1
        if finding is None or finding.outcome != "done":
            row["open"] += 1
        row["overdue"] += recommendations.is_overdue(recommendation, response, finding, on)
    return list(table.values())


def test_follow_up_counts_match_the_plain_way(demo_app):
    with demo_app.app_context(), writing():
        ids = db.session.scalars(select(Recommendation.id).order_by(Recommendation.id)).all()
        assert len(ids) >= 6
        when = dt.datetime(2025, 6, 1, 9, 0)
        # several responses, the latest deciding (a tie in time goes to the later row): one
        # carried out after an unfinished one, one unfinished after a carried-out one
        for recommendation_id, progresses in [(ids[0], [30, 100]), (ids[1], [100, 20]),
                                              (ids[2], [50]), (ids[3], [100, 100, 0])]:
            for progress in progresses:
                db.session.add(RecommendationResponse(
                    recommendation_id=recommendation_id, action_taken="اقدام",
                    progress=progress, created_at=when))
    with demo_app.app_context():
        deadlines = [d for d in db.session.scalars(select(Recommendation.deadline)) if d]
        assert deadlines
        dates = [min(deadlines) - dt.timedelta(days=1), max(deadlines) + dt.timedelta(days=1),
                 None]
        provinces = [None, *((p,) for p in db.session.scalars(
            select(Municipality.province_id).distinct()))]
        seen = set()
        for on in dates:
            for province_ids in provinces:
                found = recommendations.counts(province_ids, on)
                assert found == _counts_reference(province_ids, on)
                seen.update((r["answered"] > 0, r["overdue"] > 0, r["done"] > 0)
                            for r in found)
        # the data mean something: answered, overdue and done rows all occur
        assert any(a for a, _o, _d in seen) and any(o for _a, o, _d in seen)
        assert any(d for _a, _o, d in seen)


# --- the tables' rows, written in Python ------------------------------------------------------

#: the template loops the rows replaced (templates/dashboard/overview.html, ranking.html)
OVERVIEW_LOOP = """{% for row in page.rows %}
  <tr data-municipality="{{ row['municipality_id'] }}">
    <th scope="row"><a href="{{ row['href'] }}">{{ row['name'] }}</a></th>
    {% if several %}<td>{{ row['province'] }}</td>{% endif %}
    <td>{{ row['county'] or "—" }}</td>
    <td class="dash-tier">{{ row['tier_title'] or "—" }}</td>
    <td><span class="badge status-{{ row['status'] or 'none' }}">{{ statuses[row['status'] or 'none'] }}</span>{% if row['progress'] %}<span class="muted dash-progress">{{ row['progress'] }}</span>{% endif %}</td>
    <td class="num heat {{ row['heat']['class'] }}">{{ row['heat']['text'] }}{% if row['gated'] %} {{ row['gated_mark'] }}{% endif %}</td>
    <td class="num">{{ row['raw_text'] }}</td>
    <td>{{ row['band'] or "—" }}</td>
    <td>{{ row['inspectors']|join(comma) or "—" }}</td>
    <td class="num">{{ row['updated_text'] }}</td>
    <td class="dash-links">{% if row['viewable'] %}<a href="{{ row['evaluation_href'] }}">{{ t_evaluation }}</a> <a href="{{ row['pdf_href'] }}">{{ t_pdf }}</a>{% endif %}</td>
  </tr>
  {% endfor %}"""  # noqa: E501 - the template's own lines

RANKING_LOOP = """{% set ns = namespace(group="") %}
  {% for row in page.rows %}
  {% set group = row['province'] ~ "|" ~ row['tier_id'] %}
  {% if group != ns.group %}{% set ns.group = group %}
  <tr class="dash-group"><th scope="rowgroup" colspan="9">{{ row['tier_title'] }}{% if several %} — {{ row['province'] }}{% endif %} <span class="muted">({{ _("%(n)s in this tier", n=row['peers']|digits) }})</span></th></tr>
  {% endif %}
  <tr data-municipality="{{ row['municipality_id'] }}" data-tier="{{ row['tier_id'] }}">
    <td class="num"><strong>{{ row['texts']['rank'] }}</strong> <span class="muted">{{ row['of_text'] }}</span></td>
    <th scope="row"><a href="{{ row['href'] }}">{{ row['name'] }}</a>{% if not final_state(row['status']) %} <span class="badge status-{{ row['status'] }}">{{ statuses[row['status']] }}</span>{% endif %}{{ row['unfinished_badge'] }}</th>
    <td class="num heat heat-{{ row['colour_class'] }}"><strong>{{ row['texts']['score'] }}</strong>{% if row['gated_mark'] %} {{ row['gated_mark'] }}{% endif %}</td>
    <td>{{ row['band'] or "—" }}</td>
    <td class="num">{{ row['texts']['raw_score'] }}</td>
    <td class="num">{{ row['texts']['raw_rank'] }}</td>
    <td class="num">{{ row['texts']['tier_average'] }}</td>
    <td class="num">{{ row['texts']['province_average'] }}</td>
    <td class="num">{% if row['change'] is not none %}<span class="dash-change {{ 'up' if row['change'] > 0 else 'down' if row['change'] < 0 else 'same' }}">{{ row['change_text'] }}</span> <span class="muted">({{ row['texts']['previous_score'] }})</span>{% else %}—{% endif %}</td>
  </tr>
  {% endfor %}"""  # noqa: E501 - the template's own lines


def _tags(html) -> str:
    """HTML with the whitespace between tags taken out."""
    return re.sub(r">\s+<", "><", str(html)).strip()


HOSTILE = '<b class="x">&amp; \'ده\' "بالا"</b>'


def _rename(demo_app, old: str, **changes) -> None:
    with demo_app.app_context(), writing():
        town = db.session.scalar(select(Municipality).where(Municipality.name == old))
        for key, value in changes.items():
            setattr(town, key, value)


@pytest.mark.parametrize("lang", ["fa", "en"])
@pytest.mark.parametrize("user", ["admin", "reviewer"])
def test_overview_rows_are_what_the_template_wrote(demo_app, inspected, lang, user):
    from app.dashboard import views

    _rename(demo_app, "شهرک 33", name=HOSTILE, county="<i>بخش</i>")  # in قم
    with demo_app.test_request_context(f"/dashboard/?year=1404&lang={lang}"):
        login_user(as_user(user))
        f, legend, _choices = views._filters()
        page = queries.overview(f, legend, per_page=100, user=as_user(user))
        views._overview_texts(page.rows, legend)
        assert any(r["name"] == HOSTILE for r in page.rows)
        statuses = presentation.status_titles()
        texts = {"t_evaluation": "Evaluation & <PDF>", "t_pdf": "گزارش"}
        for several, comma in [(True, "، "), (False, ", ")]:
            expected = demo_app.jinja_env.from_string(OVERVIEW_LOOP).render(
                page=page, several=several, comma=comma, statuses=statuses, **texts)
            written = presentation.overview_rows(page.rows, statuses, several=several,
                                                 comma=comma, **texts)
            assert _tags(written) == _tags(expected)
            assert HOSTILE not in written and "&lt;b class=&#34;x&#34;&gt;&amp;amp;" in written


@pytest.mark.parametrize("lang", ["fa", "en"])
@pytest.mark.parametrize("args", ["year=1404&pending=1", "year=1403"])
def test_ranking_rows_are_what_the_template_wrote(demo_app, inspected, lang, args):
    from app.dashboard import views
    from app.i18n import _

    _rename(demo_app, "شهرک 7", name=HOSTILE)
    with demo_app.test_request_context(f"/dashboard/ranking?{args}&lang={lang}"):
        login_user(as_user("admin"))
        f, legend, _choices = views._filters()
        page = queries.ranking(f, legend, per_page=100, cycles=queries.cycles())
        views._ranking_texts(page.rows, legend,
                             queries.unit_scores(r["evaluation_id"] for r in page.rows))
        assert len(page.rows) > 10
        statuses = presentation.status_titles()
        for several in (True, False):
            expected = demo_app.jinja_env.from_string(RANKING_LOOP).render(
                page=page, several=several, statuses=statuses)
            written = presentation.ranking_rows(page.rows, statuses, several=several,
                                                in_tier=_("%(n)s in this tier"))
            assert _tags(written) == _tags(expected)
            assert HOSTILE not in written
