"""A rubric author's day in real Chromium at desktop size (1280×800): upload a broken rubric,
see each problem beside its line, correct it in the editor, preview the inspectors' form for
two tiers, read what changed, publish. And on a tablet (820×1180): a certification rubric with
the part-2 rules, its YAML laid out left-to-right with Persian values and code each reading
right, its examples scored with their gates, and the changes of its second version."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.authoring.services import latest_version
from app.i18n import persian_digits
from tests.authoring.conftest import DEMO_V2_CHANGE_FA, DEMO_V2_LABEL, demo_v2
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
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
    head, tail = good.split('      - id: "12.3"\n', 1)
    broken = (head.replace('      - id: "7.2"\n', '      - id: 7.20\n', 1) + '      - id: "12.3"\n'
              + tail.replace("        weight: 30\n", "        wieght: 30\n", 1))
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
    assert "wieght: 30" in selected
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
    assert DEMO_V2_CHANGE_FA in publish_box
    assert "کهک" in publish_box  # an open evaluation that stays on the first version
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
    assert persian_digits(DEMO_V2_LABEL) in page.inner_text("h1")
    assert "از ۲۵ به ۳۰" in page.inner_text("#changes")
    page.screenshot(path=str(artifacts / "authoring-5-published.png"), full_page=False)
    with demo_app.app_context():
        assert latest_version("municipal-units").yaml_text == good
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert not errors, errors


# --- the part-2 rules on a tablet: a certification rubric checked, scored, compared -------------

CLEAN_CITY = ROOT / "rubrics" / "clean-city.yaml"
QUOTED_TITLE = '        title: "پوشش «درب منازل»: جمع‌آوری"'


def _char_x(page, selector: str, index: int) -> float:
    """The left edge, on screen, of character `index` of the text in `selector`."""
    return page.evaluate("""([selector, index]) => {
        const node = document.querySelector(selector).firstChild;
        const range = document.createRange();
        range.setStart(node, index); range.setEnd(node, index + 1);
        return range.getBoundingClientRect().left; }""", [selector, index])


def test_author_checks_a_certification_rubric_on_a_tablet_and_reads_its_changes(
        live_app, page, demo_app, artifacts):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    base = live_app.url
    good = CLEAN_CITY.read_text(encoding="utf-8")
    broken = (good.replace("        title: پوشش جمع‌آوری درب منازل", QUOTED_TITLE, 1)
              .replace("        type: percent\n        weight: 40\n",
                       "        type: percent\n        wieght: 40\n", 1)
              .replace('      - id: "1.2"\n', "      - id: 1.20\n", 1)
              .replace("formula: served / households * 100", "formula: served / househods * 100"))
    assert broken.count("wieght") == 1 and "househods" in broken and "id: 1.20" in broken

    log_in(page, demo_app, base, "author")
    page.goto(f"{base}/rubrics/draft")
    page.fill("#rubric-text", broken)
    page.click("#draft-form button[value=check]")
    page.wait_for_selector("#results.problems")
    title, wieght = _line_of(broken, QUOTED_TITLE), _line_of(broken, "wieght")
    bare, formula = _line_of(broken, "id: 1.20"), _line_of(broken, "househods")
    assert "R108" in page.inner_text(f"tr#line-{wieght} td.notes")
    assert "R201" in page.inner_text(f"tr#line-{bare} td.notes")
    assert "R702" in page.inner_text(f"tr#line-{formula} td.notes")
    assert "منظورتان «households» است؟" in page.inner_text(f"tr#line-{formula} td.notes")

    # the YAML reads left to right: the key first, then the Persian value in its own
    # right-to-left isolate, its opening quote on the right and its closing one on the left
    row = f"tr#line-{title} td.src"
    assert page.evaluate(f"getComputedStyle(document.querySelector('{row} code')).direction") \
        == "ltr"
    assert page.inner_text(f"{row} code") == QUOTED_TITLE
    key_x = page.locator(f"{row} code").bounding_box()["x"]
    value = page.locator(f"{row} bdi")
    assert value.count() == 1 and value.inner_text() == '"پوشش «درب منازل»: جمع‌آوری"'
    assert value.bounding_box()["x"] > key_x + 50  # after «title: », not before it
    text = value.inner_text()
    first = _char_x(page, f"{row} bdi", 0)
    last = _char_x(page, f"{row} bdi", len(text) - 1)
    assert first > last  # the opening quote sits at the right end, the closing at the left
    # in the Persian message the fix «id: "1.20"» stays one left-to-right piece
    fix = page.locator(f"tr#line-{bare} td.notes bdi[dir=ltr]", has_text='id: "1.20"')
    assert fix.count() == 1
    selector = f"tr#line-{bare} td.notes bdi[dir=ltr]:last-of-type"
    piece = page.inner_text(selector)
    assert piece == 'id: "1.20"'
    assert _char_x(page, selector, 0) < _char_x(page, selector, len(piece) - 1)
    assert page.evaluate("getComputedStyle(document.querySelector('td.notes')).direction") \
        == "rtl"
    page.locator(f"tr#line-{title}").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "authoring-6-part2-problems.png"), full_page=False)

    # corrected: the three worked examples are scored, with their gates
    page.fill("#rubric-text", good)
    page.click("#draft-form button[value=check]")
    page.wait_for_selector("#results.ok")
    runs = page.locator("#dry-runs [data-dry-run]")
    assert runs.count() == 3
    dumping = runs.nth(0)
    assert dumping.locator("[data-score]").inner_text() == "۸۹٫۹"
    assert dumping.locator("[data-gate=no-open-dumping]").get_attribute("data-met") == "no"
    assert "پیش از قواعد داوری: تعدیل‌شده ۹۱٫۴" in dumping.locator("[data-ungated]").inner_text()
    assert "گواهی دوستاره" in dumping.inner_text() and "agrees" in \
        dumping.locator(".agrees").get_attribute("class")
    false_claim = runs.nth(1)
    assert [false_claim.locator(f"[data-gate={gate}]").get_attribute("data-met")
            for gate in ("core-service", "true-declaration")] == ["no", "no"]
    assert false_claim.locator("[data-score]").inner_text() == "۴۷٫۹"
    runs.nth(0).scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "authoring-7-part2-gates.png"), full_page=False)

    # published, then a second version: the changes read as sentences about the new keys
    page.click("#publish button[value=publish]")
    page.wait_for_url(f"{base}/rubrics/versions/*")
    second = (good.replace('version: "1405.1"', 'version: "1405.2"')
              .replace("{min: 85, fraction: 0.7}, {min: 70, fraction: 0.4}]",
                       "{min: 80, fraction: 0.7}, {min: 60, fraction: 0.4}]", 1)
              .replace("    units: [collection, streets]\n    min: 60\n",
                       "    units: [collection, streets]\n    min: 50\n")
              .replace("formula: black_spots / population * 10000",
                       "formula: black_spots / population * 1000"))
    page.goto(f"{base}/rubrics/draft")
    page.fill("#rubric-text", second)
    page.click("#draft-form button[value=check]")
    page.wait_for_selector("#results")
    changes = page.locator("#publish li.change")
    kinds = [changes.nth(i).get_attribute("data-kind") for i in range(changes.count())]
    assert "criterion.brackets" in kinds and "criterion.formula" in kinds and "gate.rule" in kinds
    bracket = page.inner_text("#publish li[data-kind='criterion.brackets']")
    assert "پله‌های امتیاز شاخص ۱٫۱ «پوشش جمع‌آوری درب منازل» در ردهٔ S" in bracket
    assert "«از ۹۵: ۱۰۰٪؛ از ۸۰: ۷۰٪؛ از ۶۰: ۴۰٪»" in bracket
    gate = page.inner_text("#publish li[data-kind='gate.rule']")
    assert "قاعدهٔ داوری «core-service»" in gate and "کمتر از ۵۰" in gate
    pieces = page.locator("#publish li[data-kind='criterion.formula'] bdi[dir=ltr]")
    assert [pieces.nth(i).inner_text() for i in range(pieces.count())] == [
        "black_spots / population * 10000", "black_spots / population * 1000"]
    page.locator("#publish").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "authoring-8-part2-changes.png"), full_page=False)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert not errors, errors
