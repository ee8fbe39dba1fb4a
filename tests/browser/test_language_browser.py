"""The reader's digits and directions, checked in real Chromium on the demo.

- Persian pages: every page each role reaches from the home page (and the reports' HTML, which
  the PDFs are printed from) is walked text node by text node; a Latin digit in text laid out
  right to left fails the test. Codes, dates and numbers people typed stay as typed inside a
  left-to-right isolate (``<bdi dir="ltr">``, ``<code>``): those are not Persian text.
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
from tests.reports.conftest import evaluation_of

pytestmark = pytest.mark.browser

#: text nodes with a Latin digit, laid out right to left, outside code and LTR isolates
LATIN_DIGITS_IN_PERSIAN = """() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    // runs isolated with LRI…PDI in plain text count as isolated too
    const text = node.nodeValue.replace(/\\u2066[^\\u2069]*\\u2069/g, "");
    if (!/[0-9]/.test(text)) continue;
    const element = node.parentElement;
    if (!element || element.closest("script, style, noscript, code, pre, kbd, samp")) continue;
    if (getComputedStyle(element).direction !== "rtl") continue;
    found.push(text.trim().slice(0, 80) + "   ⟵ " + element.outerHTML.slice(0, 160));
  }
  return found;
}"""

#: links not to follow: files, downloads, and what changes state or the language
NOT_PAGES = (".pdf", ".csv", ".xlsx", ".zip", ".yaml", "/photos/", "/sw.js", "/lang/",
             "/logout", "/export/", "manifest", "/assets/", "/static/")
PAGES_PER_ROLE = 60


def _walk(page, base: str) -> dict[str, list[str]]:
    """Every page reached from the home page by links (breadth first), with its findings."""
    found, seen, todo = {}, set(), ["/"]
    while todo and len(seen) < PAGES_PER_ROLE:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(base + path)
        assert response.status < 500, (path, response.status)
        problems = page.evaluate(LATIN_DIGITS_IN_PERSIAN)
        if problems:
            found[path] = problems
        for href in page.eval_on_selector_all(
                "a[href]", "links => links.map(a => a.getAttribute('href'))"):
            href = href.split("#")[0]
            if href.startswith("/") and not any(part in href for part in NOT_PAGES) \
                    and href not in seen:
                todo.append(href)
    return found, seen


@pytest.mark.parametrize("role", ["inspector", "reviewer", "author", "admin"])
def test_no_latin_digit_in_persian_text_on_any_page(role, live_app, context, demo_app):
    page = context.new_page()
    log_in(page, demo_app, live_app.url, role)
    found, seen = _walk(page, live_app.url)
    assert len(seen) >= 3, seen
    assert not found, "\n".join(f"{path}: {line}" for path, lines in found.items()
                                for line in lines[:5])


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
        found = page.evaluate(LATIN_DIGITS_IN_PERSIAN)
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
