"""Who may download which report (nothing here renders a PDF)."""

from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.models import User
from tests.helpers import login
from tests.reports.conftest import evaluation_of


def _ids(app):
    with app.app_context():
        return evaluation_of("دستجرد", 1404).id, evaluation_of("کهک", 1404).id


def _add_inspector(app, username="inspector2"):
    with app.app_context():
        user = User(username=username, full_name="کارشناس دیگر")
        user.set_password(DEMO_PASSWORD)
        user.set_roles(["inspector"])
        db.session.add(user)
        db.session.commit()


def test_anonymous_visitors_are_sent_to_the_login_page(client, demo_app):
    final, _draft = _ids(demo_app)
    response = client.get(f"/evaluations/{final}/report.pdf")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_inspector_not_assigned_gets_404(client, demo_app):
    final, draft = _ids(demo_app)
    _add_inspector(demo_app)
    login(client, "inspector2")
    assert client.get(f"/evaluations/{final}/report.pdf").status_code == 404
    assert client.get(f"/evaluations/{draft}/report.pdf").status_code == 404


def test_an_author_gets_404_and_no_cycle_report(client, demo_app):
    final, _draft = _ids(demo_app)
    login(client, "author")
    assert client.get(f"/evaluations/{final}/report.pdf").status_code == 404
    assert client.get("/reports/cycle/1404.pdf").status_code == 403


def test_an_inspector_gets_no_cycle_report(client, demo_app):
    login(client, "inspector")
    assert client.get("/reports/cycle/۱۴۰۴.pdf").status_code == 403


def test_unknown_evaluation_cycle_or_province_is_404(client, demo_app):
    login(client, "reviewer")
    assert client.get("/evaluations/999999/report.pdf").status_code == 404
    assert client.get("/reports/cycle/1390.pdf").status_code == 404
    assert client.get("/reports/cycle/abcd.pdf").status_code == 404
    assert client.get("/reports/cycle/1404.pdf?province=تهران").status_code == 404


def test_the_evaluation_pages_link_to_the_report(client, demo_app):
    final, _draft = _ids(demo_app)
    login(client, "reviewer")
    assert f'href="/evaluations/{final}/report.pdf"' in client.get("/evaluations/").text
    assert f'href="/evaluations/{final}/report.pdf"' in client.get(f"/evaluations/{final}").text
