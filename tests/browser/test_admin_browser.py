"""The administrator's season start in real Chromium at desktop size (1280×800): import the
municipalities (a bad row first), create a cycle, plan it, assign in bulk; then the inspector
sees the new assignments."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Evaluation, EvaluationCycle, Municipality
from tests.admin.test_import import BAD_CSV, GOOD_CSV
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1,
           "locale": "fa-IR"}


@pytest.fixture
def desktop(browser):
    """A fresh browser context (own cookies) at 1280×800; call it for each person."""
    contexts = []

    def open_page():
        context = browser.new_context(**DESKTOP)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def _fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _upload(page, name: str, text: str) -> None:
    page.set_input_files("input[name=file]", files=[
        {"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8")}])
    page.click("button[name=action][value=preview]")


def test_admin_imports_plans_assigns_and_inspector_sees(live_server, desktop, demo_app,
                                                        artifacts):
    base = live_server
    page = desktop()
    log_in(page, demo_app, base, "admin")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.click("header a[href='/admin/']")
    page.wait_for_url(f"{base}/admin/")

    # 1. a file with one bad row: nothing imported, the row named
    page.goto(f"{base}/admin/municipalities/import")
    _upload(page, "towns.csv", BAD_CSV)
    problems = page.locator("#import-problems")
    problems.wait_for()
    rows = problems.locator("tbody tr")
    assert rows.count() == 1
    cells = rows.first.locator("td")
    assert "۵" in cells.nth(0).inner_text()
    assert cells.nth(1).inner_text() == "درجه" and cells.nth(2).inner_text() == "۱۵"
    assert "۱۲" in cells.nth(3).inner_text()
    assert page.locator("#confirm-import").count() == 0
    assert _fits_the_width(page)
    page.screenshot(path=str(artifacts / "admin-import-error.png"), full_page=True)
    with demo_app.app_context():
        assert db.session.scalar(select(Municipality).where(
            Municipality.name == "خلجستان")) is None

    # 2. fixed: the preview shows what changes, then the import
    _upload(page, "towns.csv", GOOD_CSV)
    preview = page.locator("#import-preview")
    preview.wait_for()
    assert preview.locator("tr.row-new").count() == 1
    assert preview.locator("tr.row-changed").count() == 1
    assert "۱۰٬۲۰۰" in preview.locator("tr.row-changed").inner_text()
    page.screenshot(path=str(artifacts / "admin-import-preview.png"), full_page=True)
    page.click("#confirm-import")
    page.locator(".flash-success").wait_for()
    assert page.locator("#confirm-import").count() == 0
    with demo_app.app_context():
        new = db.session.scalar(select(Municipality).where(Municipality.name == "خلجستان"))
        assert new is not None and new.grade == 2

    # 3. a new cycle, with the visit window typed in Persian digits
    page.goto(f"{base}/admin/cycles/new")
    page.fill("input[name=year]", "۱۴۰۵")
    page.fill("input[name=title]", "ارزیابی عملکرد شهرداری‌های استان قم — سال ۱۴۰۵")
    page.fill("input[name=visit_start]", "۱۴۰۵/۰۷/۰۱")
    page.fill("input[name=visit_end]", "۱۴۰۵/۰۹/۳۰")
    page.click("main button[type=submit].primary")
    page.wait_for_url("**/admin/cycles/*/plan**")

    # 4. plan every municipality of the province in one step
    page.click("#plan-all")
    page.locator(".flash-success").wait_for()
    table = page.locator("#plan-table")
    assert table.locator("tbody tr").count() == 7  # the six of the demo and the imported one

    # 5. assign two of them in bulk
    for town in ("کهک", "خلجستان"):
        table.locator(f"tr[data-municipality='{town}'] input[type=checkbox]").check()
    page.locator("fieldset.checks").get_by_label("مریم بختیاری").check()
    page.select_option("select[name=assign-reviewer]", label="علیرضا جواهر")
    page.fill("input[name=assign-due_date]", "۱۴۰۵/۰۸/۱۵")
    page.click("#assign-selected")
    page.locator(".flash-success").wait_for()
    table = page.locator("#plan-table")
    for town in ("کهک", "خلجستان"):
        row = table.locator(f"tr[data-municipality='{town}']")
        assert "مریم بختیاری" in row.inner_text() and "۱۴۰۵/۰۸/۱۵" in row.inner_text()
    assert "مریم بختیاری" not in table.locator("tr[data-municipality='قم']").inner_text()
    assert _fits_the_width(page)
    page.screenshot(path=str(artifacts / "admin-plan.png"), full_page=True)

    # 6. the inspector sees the new assignments
    with demo_app.app_context():
        ids = {name: db.session.scalar(
            select(Evaluation.id).join(Municipality).join(EvaluationCycle)
            .where(Municipality.name == name, EvaluationCycle.year == 1405))
            for name in ("کهک", "خلجستان", "قم")}
    inspector = desktop()
    log_in(inspector, demo_app, base, "inspector")
    for name in ("کهک", "خلجستان"):
        link = inspector.locator(f"a[href='/evaluations/{ids[name]}']")
        assert link.count() == 1 and "۱۴۰۵" in link.inner_text()
    assert inspector.locator(f"a[href='/evaluations/{ids['قم']}']").count() == 0
    assert inspector.locator("header a[href='/admin/']").count() == 0
    inspector.screenshot(path=str(artifacts / "admin-inspector-sees.png"), full_page=True)
    response = inspector.goto(f"{base}/admin/")
    assert response.status == 403
