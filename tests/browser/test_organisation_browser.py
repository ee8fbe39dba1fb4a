"""The whole organisation in the loop, in real Chromium at tablet size (820×1180, touch): the
municipality declares its figures, the inspector confirms some and corrects another (with the
reason) and judges the previous cycle's recommendations, the reviewer approves, the
director-general signs; the municipality then sees the report and answers a recommendation;
the next cycle's inspector marks it done; the report and the dashboard show declared against
verified and the follow-up. Screenshots and the report's pages go to test-artifacts/."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from sqlalchemy import select

from app.db import writing
from app.declarations.services import rows
from app.evaluations import services
from app.extensions import db
from app.models import (
    Evaluation,
    EvaluationCycle,
    FollowUp,
    Municipality,
    Recommendation,
    RecommendationResponse,
    RubricVersion,
    User,
)
from app.reports.finals import snapshot_of
from tests.browser.conftest import fill_criterion, log_in, scrolled_to, wait_saved
from tests.reports.conftest import normalise, pdf_text

pytestmark = pytest.mark.browser

NUMBERS = {"percent": "۹۵", "number": "۱۲٫۵", "input": "۱۴۰۰۰۰"}
NOTE = "با اسناد و بازدید بررسی شد"


def _plan(app, year: int) -> int:
    """An open cycle `year` with Dastjerd's draft, assigned to the demo's inspector and
    reviewer (as an administrator's planning would leave it)."""
    with app.app_context(), writing():
        today = dt.date.today()
        cycle = EvaluationCycle(year=year, title=f"ارزیابی {year}", is_open=True,
                                visit_start=today + dt.timedelta(days=20),
                                visit_end=today + dt.timedelta(days=80))
        db.session.add(cycle)
        db.session.flush()
        user = {u.username: u for u in db.session.scalars(select(User))}
        town = db.session.scalar(select(Municipality).where(Municipality.name == "دستجرد"))
        version = db.session.scalar(select(RubricVersion).order_by(RubricVersion.id.desc()))
        evaluation = services.create_evaluation(town, cycle, version,
                                                inspectors=[user["inspector"]],
                                                reviewer=user["reviewer"])
        db.session.flush()
        return evaluation.id


def test_declare_verify_approve_sign_answer_and_follow_up(live_app, browser, demo_app,
                                                          artifacts, tmp_path):
    from tests.browser.conftest import TABLET

    base = live_app.url
    eid = _plan(demo_app, 1405)

    def person(username):
        context = browser.new_context(**TABLET)
        context.set_default_timeout(30_000)
        page = context.new_page()
        log_in(page, demo_app, base, username)
        return context, page

    # --- the municipality declares --------------------------------------------------------
    town_context, town = person("dastjerd")
    assert town.url.endswith("/municipality/")
    town.locator(f"a[href='/evaluations/{eid}/declaration']").tap()
    town.wait_for_url(f"{base}/evaluations/{eid}/declaration")
    town.wait_for_selector("#save-declaration")
    articles = town.locator("article.declared-criterion")
    declared = articles.count()
    assert declared >= 3
    for index in range(declared):
        article = articles.nth(index)
        choices = article.locator("label.choice")
        if choices.count():
            choices.last.tap()
        for box in article.locator("input.num").all():
            box.fill("۶۰")
        article.locator("textarea").first.fill("از تفریغ بودجه سال گذشته")
    town.screenshot(path=str(artifacts / "org-1-declaration.png"), full_page=False)
    town.locator("#save-declaration").tap()
    town.wait_for_selector(".flash-success")
    with demo_app.app_context():
        evaluation = db.session.get(Evaluation, eid)
        found = [r for r in rows(evaluation) if r.declaration is not None]
    assert len(found) == declared

    # --- the inspector verifies, answers and follows up -----------------------------------
    inspector_context, inspector = person("inspector")
    inspector.goto(f"{base}/evaluations/{eid}")
    boxes = inspector.locator("[data-declared]")
    assert boxes.count() == declared
    corrected = boxes.nth(1).get_attribute("data-declared")
    for card in inspector.locator("article.criterion").all():
        box = card.locator("[data-declared]")
        if box.count() and box.get_attribute("data-declared") != corrected:
            box.locator("[data-confirm-declared]").tap()  # one tap
            card.locator("textarea[name$=_note]").fill(NOTE)
        else:
            fill_criterion(card, NUMBERS, NOTE)
    wait_saved(inspector)
    card = inspector.locator(f"article.criterion[data-criterion='{corrected}']")
    card.locator("textarea[name^=reason-]").fill("اسناد مالی رقم دیگری نشان می‌دهد")
    card.locator("[data-save-reason]").tap()
    inspector.wait_for_function(
        "(el) => el.textContent.trim() !== ''",
        arg=card.locator("[data-org-state]").element_handle())
    follow_ups = inspector.locator("[data-follow-up]")
    assert follow_ups.count() == 3  # the 1404 final's recommendations, on their units
    for index in range(3):
        item = follow_ups.nth(index)
        item.locator(f"input[value={('done', 'partly', 'not_done')[index]}]").check()
        if index:
            item.locator("textarea").fill("هنوز کامل نشده است")
        item.locator("[data-save-follow-up]").tap()
        inspector.wait_for_function("(el) => el.textContent.trim() !== ''",
                                    arg=item.locator("[data-org-state]").element_handle())
    inspector.screenshot(path=str(artifacts / "org-2-inspector.png"), full_page=False)
    wait_saved(inspector)
    inspector.get_by_role("button", name="ارسال برای بررسی").tap()
    inspector.wait_for_url(f"{base}/evaluations/")
    with demo_app.app_context():
        evaluation = db.session.get(Evaluation, eid)
        verdicts = {r.criterion.id: r.verdict for r in rows(evaluation)}
    assert evaluation.status == "submitted"
    assert verdicts[corrected] == "corrected"
    assert sum(v == "confirmed" for v in verdicts.values()) == declared - 1

    # --- the reviewer approves the content ------------------------------------------------
    reviewer_context, reviewer = person("reviewer")
    reviewer.goto(f"{base}/evaluations/{eid}")
    texts = reviewer.locator("#report-texts")
    texts.locator("textarea").nth(0).fill("مستندسازی منظم درآمدها")
    texts.locator("textarea").nth(1).fill("اظهار ارقام درآمدی دقیق‌تر شود")
    texts.locator("select").first.select_option("revenue")
    texts.locator("input[name$='-text']").first.fill(
        "تطبیق ارقام اظهارشده با اسناد مالی پیش از ارسال")
    texts.locator("input[name$='-responsible']").first.fill("واحد درآمد")
    texts.locator("input[name$='-deadline']").first.fill("۱۴۰۶/۰۳/۳۱")
    texts.get_by_role("button").tap()
    reviewer.wait_for_selector(".flash-success")
    scrolled_to(reviewer.locator("[data-approve]")).tap()
    reviewer.wait_for_url(f"{base}/evaluations/{eid}/approve")
    reviewer.screenshot(path=str(artifacts / "org-3-approve-confirm.png"), full_page=False)
    reviewer.locator("[data-confirm-step=approve]").tap()
    reviewer.wait_for_url(f"{base}/evaluations/{eid}")
    with demo_app.app_context():
        assert snapshot_of(eid) is None  # approved, not yet a final

    # --- the director-general signs it off ------------------------------------------------
    manager_context, manager = person("manager")
    manager.goto(f"{base}/evaluations/{eid}")
    manager.locator("[data-sign]").tap()
    manager.wait_for_url(f"{base}/evaluations/{eid}/sign")
    manager.locator("[data-confirm-step=sign]").tap()
    manager.wait_for_url(f"{base}/evaluations/{eid}")
    assert "امضاشده (نهایی)" in manager.content()
    with demo_app.app_context():
        assert snapshot_of(eid) is not None
        recommendation_id = db.session.scalar(select(Recommendation.id).where(
            Recommendation.evaluation_id == eid))

    # --- the municipality sees its report and answers the recommendation ------------------
    town.goto(f"{base}/municipality/")
    town.wait_for_selector(f"a[href='/evaluations/{eid}/report.pdf']")
    # the final renders after the sign-off's response: while it does, 503 and Retry-After
    for _attempt in range(60):
        response = town.request.get(f"{base}/evaluations/{eid}/report.pdf", timeout=180_000)
        if response.status != 503:
            break
        town.wait_for_timeout(1000 * int(response.headers.get("retry-after", "2")))
    assert response.status == 200 and response.body().startswith(b"%PDF")
    pdf = tmp_path / "final-1405.pdf"
    pdf.write_bytes(response.body())
    text = pdf_text(pdf)
    for heading in ("خوداظهاری و راستی‌آزمایی", "پیگیری توصیه‌های دوره پیشین"):
        assert normalise(heading) in text
    pages = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True,
                           text=True).stdout.split("\f")
    for number, content in enumerate(pages, 1):
        if normalise("خوداظهاری") in normalise(content) or normalise("پیگیری توصیه") in \
                normalise(content):
            subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", str(number), "-l",
                            str(number), "-singlefile", str(pdf),
                            str(artifacts / f"org-report-1405-{number}")], check=True)
    town.goto(f"{base}/recommendations/{recommendation_id}")
    town.locator("textarea[name=action_taken]").fill("جلسه تطبیق ارقام با امور مالی برگزار شد")
    town.locator("input[name=progress]").fill("۸۰")
    town.locator("#respond-form button[type=submit]").tap()
    town.wait_for_selector(".flash-success")
    town.screenshot(path=str(artifacts / "org-4-municipality-answer.png"), full_page=False)
    with demo_app.app_context():
        answer = db.session.scalar(select(RecommendationResponse).where(
            RecommendationResponse.recommendation_id == recommendation_id))
        assert answer.progress == 80

    # --- the next cycle's inspector marks it done -----------------------------------------
    next_id = _plan(demo_app, 1406)
    inspector.goto(f"{base}/evaluations/{next_id}")
    item = inspector.locator(f"[data-follow-up='{recommendation_id}']")
    assert "جلسه تطبیق ارقام" in item.inner_text()  # the municipality's answer beside it
    item.locator("input[value=done]").check()
    item.locator("[data-save-follow-up]").tap()
    inspector.wait_for_function("(el) => el.textContent.trim() !== ''",
                                arg=item.locator("[data-org-state]").element_handle())
    inspector.screenshot(path=str(artifacts / "org-5-next-cycle.png"), full_page=False)
    with demo_app.app_context():
        finding = db.session.scalar(select(FollowUp).where(FollowUp.evaluation_id == next_id))
        assert (finding.recommendation_id, finding.outcome) == (recommendation_id, "done")

    # --- the dashboard shows declared against verified and the follow-up ------------------
    manager.goto(f"{base}/dashboard/")
    row = manager.locator("#organisation tr[data-organisation]", has_text="دستجرد")
    assert "۱۴۰۵" in row.inner_text()
    row.scroll_into_view_if_needed()
    manager.screenshot(path=str(artifacts / "org-6-dashboard.png"), full_page=False)
    for context in (town_context, inspector_context, reviewer_context, manager_context):
        context.close()
