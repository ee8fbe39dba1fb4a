"""The inspector's whole evaluation in real Chromium at tablet size (820×1180, touch)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.config import ROOT
from app.extensions import db
from app.factory import WEB_FONT
from app.models import Answer, Evaluation, EvaluationCycle, Municipality
from tests.browser.conftest import (
    TABLET,
    card_error,
    fill_criterion,
    log_in,
    log_in_with_password,
    scrolled_to,
    wait_saved,
)

pytestmark = pytest.mark.browser

PERSIAN_VALUES = {"percent": "۹۵", "number": "۱۲٫۵"}


def _evaluation_id(app, town: str, year: int = 1404) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Evaluation.id).join(Municipality).join(EvaluationCycle)
            .where(Municipality.name == town, EvaluationCycle.year == year))


def _fill(card) -> None:
    fill_criterion(card, PERSIAN_VALUES, "بررسی شد؛ مستندات موجود است")


def _assert_subset_font(page, base: str) -> None:
    """The page's Vazirmatn is the subset built by scripts/setup.sh, it is loaded, and Persian
    letters join with it (a joined word is narrower than its letters apart)."""
    page.evaluate("() => document.fonts.ready.then(() => true)")
    faces = page.evaluate("() => [...document.fonts].map(f => [f.family.replace(/\"/g, ''), "
                          "f.status])")
    assert ["Vazirmatn", "loaded"] in faces, faces
    assert page.evaluate("() => document.fonts.check('16px Vazirmatn', 'ارزیابی ۱۲٫۵٪')")
    size = (ROOT / "generated" / "fonts" / WEB_FONT).stat().st_size
    url = f"{base}/assets/fonts/{WEB_FONT}"
    loaded = page.evaluate("(url) => performance.getEntriesByName(url)"
                           ".map(e => e.decodedBodySize)", url)
    served = page.evaluate("(url) => fetch(url).then(r => r.arrayBuffer())"
                           ".then(b => b.byteLength)", url)
    assert served == size and size in loaded, (served, loaded, size)
    joined, apart = page.evaluate("""() => {
        const canvas = document.createElement("canvas").getContext("2d");
        canvas.font = "32px Vazirmatn";
        return [canvas.measureText("بببب").width,
                canvas.measureText("ب\u200cب\u200cب\u200cب").width];
    }""")
    assert joined < 0.8 * apart, (joined, apart)


def test_inspector_fills_offline_midway_submits_and_reviewer_approves(
        live_app, context, browser, demo_app, artifacts):
    base = live_app.url
    eid = _evaluation_id(demo_app, "جعفریه")
    page = context.new_page()
    log_in_with_password(page, base, "inspector")  # the login form, in a real browser
    page.goto(f"{base}/evaluations/{eid}")
    assert page.locator("html").get_attribute("dir") == "rtl"
    _assert_subset_font(page, base)
    page.screenshot(path=str(artifacts / "inspector-form-subset-font.png"), full_page=False)
    cards = page.locator("article.criterion")
    count = cards.count()
    assert count > 40
    half = count // 2
    # a card far below is not laid out until the inspector nears it (app.css:
    # content-visibility: a 50-card form costs the tablet a third less to draw), and is then
    laid_out = "el => el.checkVisibility({contentVisibilityAuto: true})"  # what it holds
    first_title, last_title = (cards.first.locator("header"), cards.last.locator("header"))
    assert first_title.evaluate(laid_out) and not last_title.evaluate(laid_out)
    cards.last.scroll_into_view_if_needed()
    page.wait_for_function(laid_out, arg=last_title.element_handle(), timeout=10_000)
    page.evaluate("window.scrollTo(0, 0)")

    for index in range(half):
        _fill(cards.nth(index))
    wait_saved(page)

    # values the server refuses: the bar says so, the cards keep them with the reason, also
    # after a reload; nothing of them is stored
    percent = page.locator("article[data-type=percent]").first
    number = page.locator("article[data-type=number]").first
    percent.locator("input.num").fill("۱۰۵")
    number.locator("input.num").fill("1,2,3")
    page.wait_for_selector("#save-state[data-refused='2']", timeout=20_000)
    wait_saved(page)
    assert "۲" in page.locator("#save-state [data-refused]").inner_text()
    page.reload()
    cards = page.locator("article.criterion")
    page.wait_for_selector("#save-state[data-refused='2']", timeout=20_000)
    for card, typed, words in ((percent, "۱۰۵", "۱۰۰"), (number, "1,2,3", "دو جور خوانده")):
        assert card.locator("input.num").input_value() == typed
        assert words in card_error(card)
        assert "is-refused" in card.get_attribute("class")
    page.screenshot(path=str(artifacts / "inspector-refused-after-reload.png"), full_page=False)
    with demo_app.app_context():
        kept = db.session.scalars(select(Answer.value).where(
            Answer.evaluation_id == eid, Answer.criterion_id.in_(
                [percent.get_attribute("data-criterion"),
                 number.get_attribute("data-criterion")]))).all()
    assert sorted(kept) == [12.5, 95.0]  # what was typed before, not the refused values
    _fill(percent)
    _fill(number)
    page.wait_for_selector("#save-state[data-refused='0']", timeout=20_000)
    wait_saved(page)

    # the link drops: answers keep being typed, the indicator says they are not saved
    context.set_offline(True)
    for index in range(half, count):
        _fill(cards.nth(index))
    page.wait_for_selector("#save-state[data-state=offline]", timeout=20_000)
    page.screenshot(path=str(artifacts / "inspector-offline.png"), full_page=False)
    # the inspector sees what waits on the device
    queue = page.locator("#queue")
    assert queue.is_visible()
    assert queue.locator("[data-queue-count]").inner_text() not in ("", "۰")

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_saved(page)

    # a reload restores exactly what was typed, from the server
    page.reload()
    cards = page.locator("article.criterion")
    first_number = page.locator("article[data-type=number] input.num").first
    assert first_number.input_value() in ("12.5", "۱۲٫۵")
    assert page.locator("#live [data-live=score]").inner_text() not in ("", "—")
    assert re.search(r"[۰-۹]", page.locator("#live [data-live=score]").inner_text())
    page.screenshot(path=str(artifacts / "inspector-form.png"), full_page=False)

    with demo_app.app_context():
        answered = db.session.scalar(select(db.func.count(Answer.id)).where(
            Answer.evaluation_id == eid,
            Answer.value.is_not(None) | Answer.data.is_not(None)))
    assert answered == count

    page.get_by_role("button", name="ارسال برای بررسی").click()
    page.wait_for_url(f"{base}/evaluations/")
    assert "برای بررسی ارسال شد" in page.content()

    # the reviewer returns it with a comment on one criterion
    reviewer = browser.new_context(**TABLET)
    rpage = reviewer.new_page()
    log_in(rpage, demo_app, base, "reviewer")
    rpage.goto(f"{base}/evaluations/{eid}")
    rpage.locator("textarea[name^=comment-]").first.fill("عدد را با صورتجلسه تطبیق دهید")
    scrolled_to(rpage.get_by_role("button", name="برگشت با توضیحات")).click()
    rpage.wait_for_url(f"{base}/evaluations/")

    # the inspector sees the comment, corrects, resubmits
    page.goto(f"{base}/evaluations/{eid}")
    assert "عدد را با صورتجلسه تطبیق دهید" in page.content()
    first = page.locator("article.criterion").first
    _fill(first)
    wait_saved(page)
    page.get_by_role("button", name="ارسال برای بررسی").click()
    page.wait_for_url(f"{base}/evaluations/")

    rpage.goto(f"{base}/evaluations/{eid}")
    # approving is irreversible: a page first shows what it locks
    scrolled_to(rpage.locator("[data-approve]")).click()
    rpage.wait_for_url(f"{base}/evaluations/{eid}/approve")
    rpage.locator("[data-confirm-step=approve]").click()
    rpage.wait_for_url(f"{base}/evaluations/{eid}")
    assert "تأییدشده" in rpage.content()
    rpage.screenshot(path=str(artifacts / "reviewer-approved.png"), full_page=False)
    reviewer.close()

    with demo_app.app_context():
        assert db.session.get(Evaluation, eid).status == "approved"


def test_inspector_cannot_open_another_towns_evaluation(live_app, page, demo_app):
    base = live_app.url
    log_in(page, demo_app, base, "inspector")
    other = 99999
    response = page.goto(f"{base}/evaluations/{other}")
    assert response.status == 404
    assert "وجود ندارد" in page.content()


def test_next_unanswered_jumps_to_a_card_left_open_and_is_gone_once_all_are_answered(
        live_app, page, demo_app):
    """Kahak's draft has 34 of its 51 criteria answered: «next unanswered» is there and takes
    the inspector to one of the others. Salafchegan's (returned) has every one answered: the
    button is not shown (hidden means hidden, whatever a button's own display says)."""
    base = live_app.url
    log_in(page, demo_app, base, "inspector")
    with demo_app.app_context():
        kahak = _evaluation_id(demo_app, "کهک")
        answered = set(db.session.scalars(select(Answer.criterion_id).where(
            Answer.evaluation_id == kahak)))
    page.goto(f"{base}/evaluations/{kahak}")
    button = page.locator("[data-next-unanswered]")
    assert button.is_visible()
    button.tap()
    page.wait_for_function("() => document.activeElement.closest('article.criterion')")
    focused = page.evaluate(
        "() => document.activeElement.closest('article.criterion').dataset.criterion")
    assert focused not in answered
    card = page.locator(f"article[data-criterion='{focused}']")
    assert page.evaluate("(el) => { const r = el.getBoundingClientRect(); "
                         "return r.bottom > 0 && r.top < window.innerHeight; }",
                         card.element_handle())

    page.goto(f"{base}/evaluations/{_evaluation_id(demo_app, 'سلفچگان')}")
    assert "۵۱ از ۵۱" in page.locator("[data-answered]").inner_text()
    assert page.locator("[data-next-unanswered]").is_hidden()
