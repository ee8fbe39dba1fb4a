"""The reader's digits and directions, checked in real Chromium on the demo.

- Persian pages: the reports' HTML, which the PDFs are printed from, is walked text node by
  text node; a Latin digit in text laid out right to left fails the test
  (tests/browser/language.py; every page each role reaches is checked the same way by
  tests/browser/test_every_page_browser.py, in the same walk as axe).
- English pages: the office's name in English, photo times in Latin digits, the Persian tier
  title and rubric paragraphs laid out right to left inside the English page.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.extensions import db
from app.reports import services as reports
from tests.browser.conftest import log_in
from tests.browser.language import latin_digits_in_persian
from tests.reports.conftest import evaluation_of

pytestmark = pytest.mark.browser

def test_no_latin_digit_in_persian_text_of_the_reports(context, demo_app):
    """The reports' HTML, as WeasyPrint receives it: the final of Dastjerd (from its frozen
    snapshot), a draft, and the province comparison."""
    with demo_app.app_context():
        documents = {
            "final": reports.evaluation_html(evaluation_of("دستجرد", 1404))[0],
            "draft": reports.evaluation_html(evaluation_of("کهک", 1404))[0],
        }
        cycle = evaluation_of("دستجرد", 1404).cycle
        province = evaluation_of("دستجرد", 1404).municipality.province
        documents["comparison"] = reports.comparison_html(cycle, province)[0]
    page = context.new_page()
    for name, html in documents.items():
        page.set_content(html, wait_until="domcontentloaded")
        found = latin_digits_in_persian(page)
        assert not found, (name, found[:8])


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def test_the_english_interface_says_persian_things_the_right_way(live_app, context, demo_app):
    from sqlalchemy import select

    from app.db import writing
    from app.evidence.services import store_photo
    from app.models import User

    with demo_app.app_context():
        evaluation = evaluation_of("جعفریه", 1404)
        eid = evaluation.id
        inspector = db.session.scalar(select(User).where(User.username == "inspector"))
        with writing():
            store_photo(evaluation_of("جعفریه", 1404), "1.1", _jpeg(), "site.jpg",
                        user=inspector)
        office_en = demo_app.config["OFFICE_NAME_EN"]
    page = context.new_page()
    log_in(page, demo_app, live_app.url, "inspector")
    page.goto(f"{live_app.url}/evaluations/{eid}?lang=en")
    assert page.locator("html").get_attribute("dir") == "ltr"
    # the office's name in English in the header
    assert page.locator(".topbar .office").inner_text() == office_en
    # photo times in Latin digits
    when = page.locator("[data-photos-for='1.1'] figcaption .muted").first.inner_text()
    assert any(ch.isdigit() and ch.isascii() for ch in when), when
    assert not any("۰" <= ch <= "۹" for ch in when), when
    # the Persian tier title keeps its own direction: «(درجه ۱ تا ۴)» is not scrambled
    tier = page.locator(".eval-head p.muted bdi[dir=rtl]", has_text="شهرهای").first
    assert tier.evaluate("el => getComputedStyle(el).direction") == "rtl"
    # a Persian rubric paragraph is laid out right to left: its full stop ends on the left
    guidance = page.locator("p.guidance").first
    assert guidance.evaluate("el => getComputedStyle(el).direction") == "rtl"
    first_x, last_x = guidance.evaluate("""el => {
        const text = el.textContent.trim();
        const node = [...el.childNodes].find(n => n.nodeType === 3 && n.nodeValue.trim());
        const range = document.createRange();
        const start = node.nodeValue.indexOf(node.nodeValue.trim()[0]);
        range.setStart(node, start); range.setEnd(node, start + 1);
        const first = range.getBoundingClientRect().right;
        const last = el.lastChild.nodeType === 3 ? el.lastChild : node;
        const end = last.nodeValue.trimEnd().length;
        range.setStart(last, end - 1); range.setEnd(last, end);
        return [first, range.getBoundingClientRect().left];
    }""")
    assert last_x < first_x  # read from the right, ending on the left
    page.screenshot(path="test-artifacts/english-form.png", full_page=False)
