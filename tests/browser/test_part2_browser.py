"""An inspector fills part-2 criteria in real Chromium at tablet size: a computed per-capita
value, step points, a checklist and site samples, partly offline, in Persian digits; the live
score and the verdict rules follow; the PDF prints the inputs, the sites and the rules."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import select

from app.authoring.services import publish_rubric
from app.db import writing
from app.evaluations import services
from app.extensions import db
from app.models import Evaluation, EvaluationCycle, Municipality, User
from tests.browser.conftest import log_in, wait_saved
from tests.rubric.base2 import BASE2

pytestmark = pytest.mark.browser


def _plan(app) -> int:
    with app.app_context(), writing():
        version, _created = publish_rubric(BASE2.replace('version: "1"', 'version: "p2-b"'))
        cycle = EvaluationCycle(year=1405, title="ارزیابی ۱۴۰۵", is_open=True)
        db.session.add(cycle)
        town = db.session.scalar(select(Municipality).where(Municipality.name == "دستجرد"))
        people = {u.username: u for u in db.session.scalars(select(User))}
        evaluation = services.create_evaluation(town, cycle, version,
                                                inspectors=[people["inspector"]],
                                                reviewer=people["reviewer"])
        return evaluation.id


def _card(page, cid):
    return page.locator(f"article.criterion[data-criterion='{cid}']")


def test_inspector_fills_part2_criteria_and_the_report_shows_them(
        live_app, context, demo_app, artifacts, tmp_path):
    eid = _plan(demo_app)
    base = live_app.url
    page = context.new_page()
    log_in(page, demo_app, base, "inspector")
    page.goto(f"{base}/evaluations/{eid}")

    computed = _card(page, "1.1")
    assert "جمعیت ۱٬۶۰۰ نفر" in computed.inner_text()
    computed.locator("input[data-input=green_area]").fill("۱۴٬۴۰۰")
    assert computed.locator("[data-computed]").inner_text() == "۹"  # 14,400 m² / 1,600
    steps = _card(page, "1.2")
    assert steps.locator("table.brackets tbody tr").count() == 2
    steps.locator("input.num").fill("۸۵")
    wait_saved(page)

    # the link drops: the checklist, the sites and the yes/no are kept on the device
    context.set_offline(True)
    checklist = _card(page, "2.2")
    checklist.locator("label.check-item", has_text="برنامه").tap()
    sites = _card(page, "2.1")
    rows = sites.locator("[data-row]")
    assert rows.count() == 2  # as many rows as the rubric's minimum of sites
    rows.nth(0).locator("[data-part=site]").fill("بوستان ملت")
    rows.nth(0).locator("[data-part=value]").select_option(label="کامل")
    rows.nth(1).locator("[data-part=site]").fill("میدان امام")
    rows.nth(1).locator("[data-part=value]").select_option(label="ناقص")
    sites.locator("[data-add-row]").tap()
    rows.nth(2).locator("[data-part=site]").fill("بازار")
    rows.nth(2).locator("[data-part=value]").select_option(label="کامل")
    _card(page, "3.1").locator("label.choice", has_text="خیر").tap()
    # offline is said plainly (kept on this device), not as an error
    page.wait_for_selector("#save-state[data-state=offline]", timeout=20_000)
    page.screenshot(path=str(artifacts / "part2-offline.png"), full_page=False)
    # the live score is computed in the page, offline too: the gate follows the answer
    assert page.locator("li[data-gate=permit]").get_attribute("data-met") == "no"
    offline_no = page.locator("#live [data-live=score]").inner_text()
    _card(page, "3.1").locator("label.choice", has_text="بله").tap()
    page.wait_for_function(
        "() => document.querySelector('li[data-gate=permit]').dataset.met === 'yes'")
    assert page.locator("#live [data-live=score]").inner_text() != offline_no
    _card(page, "3.1").locator("label.choice", has_text="خیر").tap()
    page.wait_for_function(
        "() => document.querySelector('li[data-gate=permit]').dataset.met === 'no'")
    assert page.locator("#live [data-live=score]").inner_text() == offline_no

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_saved(page)
    permit = page.locator("li[data-gate=permit]")
    assert permit.get_attribute("data-met") == "no"
    before = page.locator("#live [data-live=score]").inner_text()
    _card(page, "3.1").locator("label.choice", has_text="بله").tap()
    wait_saved(page)
    page.wait_for_function(
        "() => document.querySelector('li[data-gate=permit]').dataset.met === 'yes'")
    after = page.locator("#live [data-live=score]").inner_text()
    assert before != after  # the factor no longer halves the score
    page.locator("section.gates").screenshot(path=str(artifacts / "part2-gates.png"))

    with demo_app.app_context():
        card = services.scorecard(db.session.get(Evaluation, eid))
        assert card.complete and card.criterion("1.1").value == 9
        assert [r["site"] for r in card.criterion("2.1").details["samples"]] == [
            "بوستان ملت", "میدان امام", "بازار"]
        assert card.criterion("2.2").value == ("plan",)

    # a reload shows exactly what was entered
    page.reload()
    assert _card(page, "2.1").locator("[data-row]").count() == 3
    assert _card(page, "1.1").locator("input[data-input=green_area]").input_value() in (
        "14400", "۱۴۴۰۰")
    page.screenshot(path=str(artifacts / "part2-form.png"), full_page=True)

    page.get_by_role("button", name="ارسال برای بررسی").click()
    page.wait_for_url(f"{base}/evaluations/")

    # the report: the inputs, the per-site table and the verdict rules
    response = page.request.get(f"{base}/evaluations/{eid}/report.pdf")
    assert response.status == 200 and response.body()[:5] == b"%PDF-"
    pdf = tmp_path / "part2.pdf"
    pdf.write_bytes(response.body())
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(artifacts / "part2-report")],
                   check=True)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "۱۴٬۴۰۰" in text or "۱۴۴۰۰" in text
