"""axe-core on every page of the app, as each role sees it, in real Chromium: no serious or
critical violation anywhere (issue 14; the ranking's unit matrix could not be scrolled by
keyboard before its wrapper became a focusable region)."""

from __future__ import annotations

import pytest

from app.reports import finals, services
from tests.browser.axe import assert_accessible
from tests.browser.conftest import log_in
from tests.reports.conftest import evaluation_of

pytestmark = pytest.mark.browser


@pytest.fixture
def axe_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fa-IR",
                                  bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _ids(app):
    with app.app_context():
        dastjerd = evaluation_of("دستجرد", 1404)
        final = services.final_report(dastjerd)
        return {"final": dastjerd.id, "draft": evaluation_of("کهک", 1404).id,
                "submitted": evaluation_of("قنوات", 1404).id,
                "town": dastjerd.municipality_id,
                "code": finals.snapshot_of(dastjerd.id).code, "sha": final.sha256}


PAGES = {
    None: ["/login", "/verify", "/verify/{code}", "/no-such-page"],
    "inspector": ["/", "/evaluations/", "/evaluations/{draft}"],
    "reviewer": ["/evaluations/", "/evaluations/{submitted}", "/evaluations/{final}",
                 "/dashboard/", "/dashboard/ranking?pending=1",
                 "/dashboard/municipalities/{town}"],
    "author": ["/rubrics/", "/rubrics/draft"],
    "admin": ["/admin/", "/admin/users", "/admin/users/new", "/admin/municipalities",
              "/admin/cycles", "/admin/cycles/new", "/admin/audit"],
}


@pytest.mark.parametrize("role", list(PAGES), ids=lambda r: r or "anonymous")
def test_no_serious_accessibility_violation_on_any_page(live_server, demo_app, axe_page, role):
    ids = _ids(demo_app)
    if role is not None:
        log_in(axe_page, demo_app, live_server, role)
    for path in PAGES[role]:
        response = axe_page.goto(live_server + path.format(**ids))
        assert response is not None and response.status < 500, path
        assert_accessible(axe_page)
