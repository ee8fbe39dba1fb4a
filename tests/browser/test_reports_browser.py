"""Reports in real Chromium (issue 14): the public /verify page says "identical" for the issued
final and "not the issued file" for anything else; the dashboard prints whole (ranking on
landscape pages, no filters); the province comparison PDF is a click away; unfinished
evaluations are marked where ranked; the wide unit matrix scrolls by keyboard."""

from __future__ import annotations

import subprocess

import pytest

from app.demo import demo_certificate
from app.extensions import db
from app.reports import finals, services
from tests.browser.axe import assert_accessible
from tests.browser.conftest import log_in
from tests.reports.conftest import evaluation_of, pdf_pages

pytestmark = pytest.mark.browser


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fa-IR",
                                  accept_downloads=True, bypass_csp=True)
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def test_the_verify_page_tells_the_issued_file_from_any_other(live_server, demo_app, desktop,
                                                              tmp_path, artifacts):
    with demo_app.app_context():
        demo_certificate()
        dastjerd = evaluation_of("دستجرد", 1404)
        stored = services.final_report(dastjerd)
        issued = finals.stored_file(stored).read_bytes()
        code = finals.snapshot_of(dastjerd.id).code
        sha = stored.sha256
    good, bad = tmp_path / "issued.pdf", tmp_path / "edited.pdf"
    good.write_bytes(issued)
    edited = bytearray(issued)
    edited[len(edited) // 3] ^= 0x01
    bad.write_bytes(bytes(edited))

    page = desktop
    page.goto(f"{live_server}/verify")  # no login: type the code as printed, in groups
    page.fill("#verify-code", finals.display_code(code).lower())
    page.click("form.verify-code button[type=submit]")
    page.wait_for_url(f"**/verify/{code}")
    facts = page.locator("#verify-facts").inner_text()
    for fact in ("دستجرد", "۱۴۰۴", "علیرضا جواهر", sha):
        assert fact in facts, fact
    assert_accessible(page)

    page.set_input_files("#verify-pdf", str(good))
    page.click("#verify-upload button[type=submit]")
    page.wait_for_selector("#verdict")
    verdict = page.locator("#verdict")
    assert "یکسان با فایل صادرشده" in verdict.inner_text()
    assert "verdict-ok" in verdict.get_attribute("class")
    assert "امضای معتبر" in page.locator("#verdict-signatures").inner_text()
    page.screenshot(path=str(artifacts / "verify-identical.png"), full_page=True)

    page.set_input_files("#verify-pdf", str(bad))
    page.click("#verify-upload button[type=submit]")
    page.wait_for_selector("#verdict")
    assert "فایل صادرشده نیست" in page.locator("#verdict").inner_text()
    assert "verdict-bad" in page.locator("#verdict").get_attribute("class")
    assert_accessible(page)


def test_the_ranking_prints_whole_and_marks_unfinished_evaluations(live_server, demo_app,
                                                                   desktop, tmp_path,
                                                                   artifacts):
    with demo_app.app_context():
        kahak = evaluation_of("کهک", 1404)  # a draft with a third of its answers missing
        answered, applicable = kahak.answered_count, kahak.applicable_count
    assert answered < applicable
    page = desktop
    log_in(page, demo_app, live_server, "reviewer")
    page.goto(f"{live_server}/dashboard/ranking?pending=1")
    row = page.locator("#ranking tbody tr", has_text="کهک")
    marker = row.locator(".dash-unfinished")
    digits = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    assert marker.inner_text() == \
        f"ناتمام: {str(answered).translate(digits)} از {str(applicable).translate(digits)} پاسخ"
    assert page.locator("#unit-matrix tbody tr", has_text="کهک").locator(
        ".dash-unfinished").count() == 1
    assert page.locator("#ranking tbody tr", has_text="دستجرد").locator(
        ".dash-unfinished").count() == 0  # approved and complete

    # the unit matrix is wider than the screen: it scrolls by keyboard
    wrap = page.locator("#unit-matrix .dash-table-wrap")
    assert wrap.evaluate("e => e.scrollWidth > e.clientWidth")
    wrap.focus()
    before = wrap.evaluate("e => e.scrollLeft")
    page.keyboard.press("ArrowLeft")  # right to left: the hidden columns are to the left
    page.keyboard.press("End")
    page.wait_for_function("([e, x]) => e.scrollLeft !== x", arg=[wrap.element_handle(), before])

    # printed: no filters or buttons, the matrix whole, on landscape pages
    page.emulate_media(media="print")
    assert not page.locator("form.dash-filters").is_visible()
    assert not page.locator("#exports").is_visible()
    assert wrap.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    pdf = tmp_path / "ranking.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    width, height = (float(n) for n in info.split("Page size:")[1].split("pts")[0].split(" x "))
    assert width > height  # landscape
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile",
                    str(pdf), str(artifacts / "ranking-print")], check=True)
    page.emulate_media(media="screen")


def test_the_comparison_pdf_and_every_report_are_reachable(live_server, demo_app, desktop,
                                                           tmp_path):
    with demo_app.app_context():
        dastjerd = evaluation_of("دستجرد", 1404)
        town_id, dastjerd_id = dastjerd.municipality_id, dastjerd.id
    page = desktop
    log_in(page, demo_app, live_server, "reviewer")
    for where in ("/dashboard/", "/dashboard/ranking"):
        page.goto(live_server + where)
        with page.expect_download(timeout=120_000) as info:
            page.click("a[data-comparison]")
        download = info.value
        assert download.suggested_filename == "arzyab-1404-قم-comparison.pdf"
        path = tmp_path / f"comparison{where.replace('/', '-')}.pdf"
        download.save_as(path)
        assert pdf_pages(path) >= 2
    page.goto(f"{live_server}/dashboard/municipalities/{town_id}")
    assert page.locator(f"a[href='/evaluations/{dastjerd_id}/report.pdf']").count() == 1
    page.goto(f"{live_server}/evaluations/{dastjerd_id}")
    assert page.locator(f"a[href='/evaluations/{dastjerd_id}/report.pdf']").count() >= 1
    with demo_app.app_context():
        db.session.remove()
