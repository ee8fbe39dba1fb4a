"""The dashboard pages through HTTP: who may reach them, what they show, and that a junk query
never makes a 500."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from app.dashboard.trends import ADDRESSED_GAIN
from app.db import writing
from app.demo import REPORT_TEXTS
from app.extensions import db
from app.models import Evaluation, EvaluationCycle, Municipality, Province, UnitResult, User
from app.reports import charts
from tests.dashboard.conftest import town
from tests.helpers import login

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["/dashboard/", "/dashboard/ranking", "/dashboard/municipalities/1",
         "/dashboard/export/overview.csv", "/dashboard/export/overview.xlsx",
         "/dashboard/export/answers.csv", "/dashboard/export/answers.xlsx",
         "/dashboard/export/reports.zip"]


@pytest.mark.parametrize("username", ["inspector", "author"])
def test_inspectors_and_authors_are_refused(client, username):
    login(client, username)
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    assert 'href="/dashboard/"' not in client.get("/evaluations/").text  # no nav link


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("username", ["reviewer", "admin"])
def test_managers_and_admins_get_the_pages(client, username):
    login(client, username)
    home = client.get("/evaluations/" if username == "reviewer" else "/admin/")
    assert 'href="/dashboard/"' in home.text  # the one nav link
    for url in PAGES[:3]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Type"].startswith("text/html")


def test_overview_page(reviewer, demo_app):
    with demo_app.app_context():
        dastjerd = db.session.scalar(select(Evaluation.id).join(Municipality).join(
            EvaluationCycle).where(Municipality.name == "دستجرد", EvaluationCycle.year == 1404))
    page = reviewer.get("/dashboard/?year=1404&sort=score&dir=desc").text
    assert 'dir="rtl"' in page
    names = re.findall(r'<th scope="row"><a href="/dashboard/municipalities/\d+">([^<]+)</a>',
                       page)
    assert names == ["قم", "قنوات", "دستجرد", "کهک", "سلفچگان", "جعفریه"]
    assert 'aria-sort="descending"' in page
    assert "۸۲٫۹" in page and "۱۴۰۴" in page  # Persian digits
    # the reviewer is assigned to every demo evaluation: its page and PDF are linked
    assert f'href="/evaluations/{dastjerd}"' in page
    assert f'href="/evaluations/{dastjerd}/report.pdf"' in page
    # filters and exports keep the query; sorting links reset the page
    assert 'href="/dashboard/export/reports.zip?year=1404&amp;sort=score&amp;dir=desc"' in page


def test_overview_in_english(reviewer):
    page = reviewer.get("/dashboard/?lang=en").text
    assert "Province overview" in page and "Adjusted score" in page


@pytest.mark.parametrize("query", [
    "sort=../../etc/passwd&dir=x", "sort=score%27%20OR%201=1--", "page=abc&year=xyz",
    "year=1404&page=99999999999999999999", "tier=%00&band=%3C%3E&county=" + "ک" * 500,
    "status[]=1&q=" + "%" * 300, "province=-1&pending=maybe",
])
def test_junk_queries_never_break_a_page(reviewer, query):
    for path in ("/dashboard/", "/dashboard/ranking", "/dashboard/export/overview.csv"):
        assert reviewer.get(f"{path}?{query}").status_code == 200, (path, query)


def test_unknown_or_out_of_scope_municipality_is_not_found(client, demo_app):
    login(client, "reviewer")
    assert client.get("/dashboard/municipalities/999999").status_code == 404
    assert client.get("/dashboard/municipalities/99999999999999").status_code == 404
    with demo_app.app_context(), writing():
        tehran = Province(name="تهران")
        db.session.add(tehran)
        db.session.flush()
        manager = User(username="tehran-manager", province_id=tehran.id)
        manager.set_password("arzyab-demo")
        manager.set_roles(["reviewer"])
        db.session.add(manager)
        dastjerd = town("دستجرد").id
    assert client.get(f"/dashboard/municipalities/{dastjerd}").status_code == 200
    other = demo_app.test_client()
    login(other, "tehran-manager")
    assert other.get(f"/dashboard/municipalities/{dastjerd}").status_code == 404
    assert "دستجرد" not in other.get("/dashboard/").text


def test_ranking_page(reviewer):
    page = reviewer.get("/dashboard/ranking?year=1403").text
    table = page.split('id="ranking"')[1].split("</table>")[0]
    assert table.index("قنوات") < table.index("دستجرد") < table.index("قم")
    assert 'id="tier-averages"' in page and 'id="unit-matrix"' in page
    # a heat colour for each evaluated unit, from the rubric's bands
    assert re.search(r'class="num heat heat-c\d"', page)
    # charts are bars sized by class: nothing in a style attribute (the CSP forbids it)
    assert re.search(r'class="dash-bar w-\d+ c\d"', page)
    assert "style=" not in page


def test_municipality_page(reviewer, demo_app):
    with demo_app.app_context():
        dastjerd = town("دستجرد").id
    page = reviewer.get(f"/dashboard/municipalities/{dastjerd}").text
    assert page.count('<tr data-year="') == 2  # 1403 and 1404
    assert 'id="trend"' in page and 'id="unit-trend"' in page
    # units that moved: the demo's دستجرد did better in 1404
    improved = page.split('id="improved"')[1].split('id="fell"')[0]
    assert improved.count("<li>") == 3
    # the last report (1404) has three recommendations and nothing after it yet
    recommendations = page.split('id="recommendations"')[1]
    assert recommendations.count('class="rec-open"') == 3
    assert "style=" not in page


def test_recommendations_followed_up_by_the_next_evaluation(reviewer, demo_app):
    """قنوات: approved in 1403 with recommendations; its 1404 evaluation (submitted, not yet
    approved) shows whether each recommendation's unit improved."""
    with demo_app.app_context():
        qanavat = town("قنوات").id
        before, after = (db.session.scalar(
            select(Evaluation.id).join(EvaluationCycle).where(
                Evaluation.municipality_id == qanavat, EvaluationCycle.year == year))
            for year in (1403, 1404))
        units = {(r.evaluation_id, r.unit_id): r.score for r in db.session.scalars(
            select(UnitResult).where(UnitResult.evaluation_id.in_([before, after])))}
    expected = []
    for unit_id, _text, _who, _deadline in REPORT_TEXTS["قنوات"][2]:
        gain = units[(after, unit_id)] - units[(before, unit_id)]
        expected.append("addressed" if gain >= ADDRESSED_GAIN else
                        "partly" if gain > 0 else "not_addressed")
    page = reviewer.get(f"/dashboard/municipalities/{qanavat}?lang=en").text
    section = page.split('id="recommendations"')[1]
    assert re.findall(r'<li class="rec-(\w+)">', section) == expected
    assert "Followed up with the evaluation of 1404" in section
    assert "(The 1404 evaluation is not signed off yet.)" in section
    assert "rose from" in section or "went from" in section


def test_links_only_where_the_user_may(client, demo_app):
    """A manager not assigned to an evaluation sees its figures but gets no link to its page
    or PDF (the evaluation and report pages would refuse them)."""
    with demo_app.app_context(), writing():
        manager = User(username="manager2", full_name="مدیر دوم")
        manager.set_password("arzyab-demo")
        manager.set_roles(["reviewer"])
        db.session.add(manager)
    login(client, "manager2")
    page = client.get("/dashboard/").text
    assert "دستجرد" in page and not re.search(r'href="/evaluations/\d', page)
    assert 'report.pdf"' not in page


def test_stylesheet_colours_are_the_report_palette():
    """The classes the dashboard draws with must carry the palette of app.reports.charts."""
    css = (ROOT / "app" / "static" / "css" / "app.css").read_text()
    for index, colour in enumerate(charts.PALETTE):
        assert f".dash-bar.c{index}, .dash-swatch.c{index} {{ background: {colour}; }}" in css
        assert f".heat-c{index} {{ background: {charts.tint(colour)}; }}" in css
    assert f".dash-bar.craw, .dash-swatch.craw {{ background: {charts.RAW_COLOUR}; }}" in css
    for width in range(101):
        assert f".dash-bar.w-{width} {{ inline-size: {width}%; }}" in css


def test_a_fresh_installation_shows_empty_pages(app):
    """No province, no cycle, no rubric yet: every page and export still answers."""
    with app.app_context(), writing():
        admin = User(username="first-admin")
        admin.set_password("arzyab-demo")
        admin.set_roles(["admin"])
        db.session.add(admin)
    client = app.test_client()
    login(client, "first-admin")
    page = client.get("/dashboard/")
    assert page.status_code == 200 and 'id="overview"' not in page.text
    assert client.get("/dashboard/ranking").status_code == 200
    lines = client.get("/dashboard/export/overview.csv").data.decode("utf-8-sig").splitlines()
    assert len(lines) == 1  # the header only
    assert client.get("/dashboard/export/answers.xlsx").status_code == 200
    assert client.get("/dashboard/export/reports.zip").status_code == 302
