"""Numbers an inspector types through the real form (Chromium, tablet, touch): each is stored
exactly as meant or refused with a message that says why; a refusal is reported by the status
bar, marks its card, keeps the typed value and survives a reload; nothing is stored silently
wrong."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Answer, Evaluation, EvaluationCycle, Municipality
from tests.browser.conftest import card_error, log_in, wait_saved

pytestmark = pytest.mark.browser

#: what is typed into a number criterion → the stored value, or words of the refusal
NUMBER_CASES = [
    ("12,5", "دو جور خوانده"),   # comma: decimal mark or thousands? refused, not 125
    ("1,2,3", "دو جور خوانده"),
    ("-5", "۰"),                 # below the default min 0: the message names the bound
    ("abc", "عدد"),
    ("1e308", "بزرگ"),           # too large, not "not a number"
    ("۱۲٫۵", 12.5),
    ("1,200", "۳۶۵"),            # read as 1200 (not 1.2): above this criterion's max 365
    ("۷", 7.0),
]


def _evaluation_id(app, town: str, year: int = 1404) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Evaluation.id).join(Municipality).join(EvaluationCycle)
            .where(Municipality.name == town, EvaluationCycle.year == year))


def _stored(app, eid: int, criterion: str):
    with app.app_context():
        answer = db.session.scalar(select(Answer).where(
            Answer.evaluation_id == eid, Answer.criterion_id == criterion))
        return None if answer is None else answer.value


def test_typed_numbers_are_stored_as_meant_or_refused_and_refusals_survive_a_reload(
        live_app, context, demo_app, artifacts):
    base = live_app.url
    eid = _evaluation_id(demo_app, "جعفریه")
    page = context.new_page()
    log_in(page, demo_app, base, "inspector")
    page.goto(f"{base}/evaluations/{eid}")
    number = page.locator("article[data-type=number]").first
    percent = page.locator("article[data-type=percent]").first
    number_id = number.get_attribute("data-criterion")
    percent_id = percent.get_attribute("data-criterion")
    bar = page.locator("#save-state")

    last_stored = None
    for typed, expected in NUMBER_CASES:
        number.locator("input.num").fill(typed)
        wait_saved(page)
        error = card_error(number)
        if isinstance(expected, float):
            assert error == "", (typed, error)
            assert _stored(demo_app, eid, number_id) == expected, typed
            assert bar.get_attribute("data-refused") == "0", typed
            last_stored = expected
        else:
            # refused: the reason on the card, the value kept in the field, nothing stored
            assert expected in error, (typed, error)
            assert number.locator("input.num").input_value() == typed
            assert "is-refused" in number.get_attribute("class")
            assert bar.get_attribute("data-refused") == "1", typed
            assert _stored(demo_app, eid, number_id) == last_stored, typed

    # grouped thousands are read as such where the rubric allows them (12.1: max 2,000)
    grouped = page.locator("article[data-criterion='12.1']")
    for typed in ("1,200", "۱٬۲۰۰"):
        grouped.locator("input.num").fill("")
        wait_saved(page)
        grouped.locator("input.num").fill(typed)
        wait_saved(page)
        assert card_error(grouped) == "", typed
        assert _stored(demo_app, eid, "12.1") == 1200.0, typed

    # a percent above 100 is refused; the bar says how many were not accepted, and a tap
    # on it jumps to the card
    percent.locator("input.num").fill("۱۰۵")
    wait_saved(page)
    message = card_error(percent)
    assert "۱۰۰" in message and "۱۰۵" in message, message
    assert _stored(demo_app, eid, percent_id) is None
    assert bar.get_attribute("data-refused") == "1"
    refused_button = bar.locator("[data-refused]")
    assert refused_button.is_visible()
    assert "۱" in refused_button.inner_text()
    page.evaluate("window.scrollTo(0, 0)")
    refused_button.tap()
    # the jump scrolls smoothly: the card comes into view (or the wait fails)
    page.wait_for_function(
        "(el) => { const r = el.getBoundingClientRect(); return r.bottom > 0 && "
        "r.top < window.innerHeight; }", arg=percent.element_handle(), timeout=10_000)
    page.screenshot(path=str(artifacts / "typed-numbers-refused.png"), full_page=False)

    # after a reload the refused value and its reason are still there (kept on the device)
    page.reload()
    percent = page.locator("article[data-type=percent]").first
    page.wait_for_function(
        "() => document.querySelector('#save-state').dataset.refused === '1'", timeout=10_000)
    assert percent.locator("input.num").input_value() == "۱۰۵"
    assert "۱۰۰" in card_error(percent)
    assert "is-refused" in percent.get_attribute("class")
    assert _stored(demo_app, eid, number_id) == last_stored
    page.screenshot(path=str(artifacts / "typed-numbers-after-reload.png"), full_page=False)

    # fixed, the refusal goes away and the value is stored
    percent.locator("input.num").fill("۹۵")
    page.wait_for_function(
        "() => document.querySelector('#save-state').dataset.refused === '0'", timeout=20_000)
    wait_saved(page)
    assert card_error(percent) == ""
    assert _stored(demo_app, eid, percent_id) == 95.0
