"""A rubric author's day in real Chromium at desktop size (1280×800): upload a broken rubric,
see each problem beside its line, correct it in the editor, preview the inspectors' form for
two tiers, read what changed, publish."""

from __future__ import annotations

import pytest

from app.authoring.services import latest_version
from tests.authoring.conftest import demo_v2
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1,
           "locale": "fa-IR"}


@pytest.fixture
def desk(browser):
    context = browser.new_context(**DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    yield page, errors
    context.close()


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), start=1) if needle in line)


def _beside(page, number: int) -> bool:
    """The problem's message sits on the same row as its line, to the side of the code."""
    code = page.locator(f"tr#line-{number} td.src").bounding_box()
    notes = page.locator(f"tr#line-{number} td.notes").bounding_box()
    same_row = notes["y"] < code["y"] + code["height"] and code["y"] < notes["y"] + notes["height"]
    return same_row and notes["x"] >= code["x"] + code["width"] - 1


def test_author_uploads_a_broken_rubric_fixes_it_previews_and_publishes(
        live_app, desk, demo_app, artifacts):
    page, errors = desk
    base = live_app.url
    good = demo_v2()
    broken = (good.replace('      - id: "7.2"\n', '      - id: 7.20\n', 1)
              .replace("        type: number\n        weight: 35\n",
                       "        type: number\n        wieght: 35\n", 1))
    assert broken.count("wieght") == 1 and "id: 7.20" in broken

    log_in(page, demo_app, base, "author")
    page.click("nav.topnav >> text=سنجه‌نامه‌ها")
    page.wait_for_url(f"{base}/rubrics/")
    page.screenshot(path=str(artifacts / "authoring-0-list.png"), full_page=False)
    page.click("text=بررسی و انتشار سنجه‌نامه")
    page.wait_for_url(f"{base}/rubrics/draft")

    # 1. the broken file, uploaded and checked
    page.set_input_files("input[name=upload]", files=[{
        "name": "municipal-units.yaml", "mimeType": "text/yaml",
        "buffer": broken.encode("utf-8")}])
    page.click("#draft-form button[value=check]")
    page.wait_for_selector("#results.problems")
    wieght, bare = _line_of(broken, "wieght"), _line_of(broken, "id: 7.20")
    assert "R108" in page.inner_text(f"tr#line-{wieght} td.notes")
    assert "منظورتان «weight» است؟" in page.inner_text(f"tr#line-{wieght} td.notes")
    assert "R201" in page.inner_text(f"tr#line-{bare} td.notes")
    assert _beside(page, wieght) and _beside(page, bare)
    assert page.locator("tr.bad").count() >= 2
    # the editor holds the uploaded text, numbered, with the problem lines marked
    assert page.input_value("#rubric-text") == broken
    gutter = page.locator("[data-gutter] span")
    assert gutter.count() == broken.count("\n") + 1
    marked = page.locator(f"[data-gutter] span.bad[data-line='{wieght}']")
    assert "R108" in marked.get_attribute("title")
    page.screenshot(path=str(artifacts / "authoring-1-problems.png"), full_page=False)

    # a line number in the listing takes the caret to that line of the editor
    page.click(f"tr#line-{wieght} th a")
    selected = page.evaluate("(() => { const a = document.getElementById('rubric-text');"
                             " return a.value.slice(a.selectionStart, a.selectionEnd); })()")
    assert "wieght: 35" in selected
    # the numbers scroll with the text and share its line height and padding
    aligned = page.evaluate("""(() => {
        const area = document.getElementById('rubric-text');
        const gutter = document.querySelector('[data-gutter]');
        const a = getComputedStyle(area), g = getComputedStyle(gutter);
        const line = getComputedStyle(gutter.querySelector('span'));
        return area.scrollTop > 0 && Math.abs(gutter.scrollTop - area.scrollTop) <= 1
            && a.lineHeight === line.lineHeight && a.paddingTop === g.paddingTop; })()""")
    assert aligned

    # 2. corrected in the editor and checked again
    page.fill("#rubric-text", good)
    assert page.locator("[data-gutter] span.bad").count() == 0  # old marks cleared on edit
    page.click("#draft-form button[value=check]")
    page.wait_for_selector("#results.ok")
    publish_box = page.inner_text("#publish")
    assert "وزن شاخص ۷٫۱ «سرانه فضای سبز عمومی» در همه رده‌ها از ۳۰ به ۳۵ تغییر کرد." in \
        publish_box
    assert "کهک" in publish_box  # an open evaluation that stays on 1404.1
    page.locator("#publish").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "authoring-2-before-publishing.png"), full_page=False)

    # 3. the inspectors' form for two tiers
    assert page.locator("[data-preview-tier=S]").count() == 1
    small = page.locator("#preview article.criterion").count()
    assert small > 40 and page.locator("#preview #unit-transport").count() == 0
    page.locator("#preview article.criterion").first.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "authoring-3-preview-S.png"), full_page=False)
    page.select_option("#preview-tier", "M")
    page.click("#preview button[value=check]")
    page.wait_for_selector("[data-preview-tier=M]")
    assert page.locator("#preview #unit-transport").count() == 1
    assert page.locator("#preview article.criterion").count() > small
    assert page.input_value("#rubric-text") == good  # the text came back with the page
    # the preview behaves like the form: a choice can be tapped
    choice = page.locator("#preview article.criterion[data-type=scale] label.choice").first
    choice.click()
    assert choice.locator("input").is_checked()
    page.screenshot(path=str(artifacts / "authoring-4-preview-M.png"), full_page=False)

    # 4. publish
    page.click("#publish button[value=publish]")
    page.wait_for_url(f"{base}/rubrics/versions/*")
    assert "منتشر شد" in page.inner_text(".flash-success")
    assert "۱۴۰۴٫۲" in page.inner_text("h1")
    assert "از ۳۰ به ۳۵" in page.inner_text("#changes")
    page.screenshot(path=str(artifacts / "authoring-5-published.png"), full_page=False)
    with demo_app.app_context():
        assert latest_version("municipal-units").yaml_text == good
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert not errors, errors
