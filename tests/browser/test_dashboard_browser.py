"""The managers' dashboard in real Chromium, at desktop (1280×800) and tablet (820×1180) widths:
filter, sort, open a municipality, export the list and the answers, download the ZIP of
approved reports — and open the downloaded files with openpyxl, csv and zipfile."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import Answer, Evaluation, EvaluationCycle
from app.reports.models import StoredReport
from tests.browser.conftest import TABLET, log_in

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1,
           "locale": "fa-IR"}
SIZES = {"desktop": DESKTOP, "tablet": TABLET}


@pytest.fixture(params=sorted(SIZES))
def sized(request, browser):
    context = browser.new_context(**SIZES[request.param], accept_downloads=True)
    context.set_default_timeout(15_000)
    yield request.param, context.new_page()
    context.close()


def _fits_the_width(page) -> bool:
    """Nothing pushes the page sideways: wide tables scroll inside their own box."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _names(page) -> list[str]:
    return page.locator("#overview tbody th a").all_inner_texts()


def _download(page, selector: str, timeout: float = 30_000):
    with page.expect_download(timeout=timeout) as info:
        page.click(selector, timeout=timeout)  # a ZIP of finals may render them first
    download = info.value
    assert download.failure() is None
    return download.suggested_filename, download.path().read_bytes()


def test_manager_filters_sorts_opens_and_exports(live_server, sized, demo_app, artifacts):
    size, page = sized
    base = live_server
    log_in(page, demo_app, base, "reviewer")
    page.click("header a[href='/dashboard/']")
    page.wait_for_url(f"{base}/dashboard/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("#overview tbody tr").count() == 6
    assert "۱۴۰۴" in page.locator("h1").inner_text()
    assert _fits_the_width(page)

    # filter: signed-off (final) evaluations only (a plain GET form)
    page.select_option("select[name=status]", "signed")
    page.click("form.dash-filters button[type=submit]")
    page.wait_for_url("**status=signed**")
    assert sorted(_names(page)) == sorted(["قم", "دستجرد"])

    # sort by the adjusted score: the first click puts the best first
    page.click("#overview thead a[data-sort=score]")
    page.wait_for_url("**sort=score**")
    assert _names(page) == ["قم", "دستجرد"]
    assert page.locator("#overview thead th[aria-sort=descending]").count() == 1
    page.click("#overview thead a[data-sort=score]")
    page.wait_for_url("**sort=score**")
    assert _names(page) == ["دستجرد", "قم"]
    page.screenshot(path=str(artifacts / f"dashboard-overview-{size}.png"), full_page=True)

    # the list as XLSX: the same rows, in the same order, sheet right to left
    name, data = _download(page, "#export-overview-xlsx")
    assert name == "arzyab-1404-overview.xlsx"
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.sheet_view.rightToLeft is True and sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    town = header.index("شهرداری")
    assert [row[town] for row in rows] == ["دستجرد", "قم"]
    assert all(row[header.index("آخرین تغییر (تاریخ میلادی)")].year >= 2020 for row in rows)

    # every answer of the approved evaluations, as CSV (UTF-8 with a BOM)
    name, data = _download(page, "#export-answers-csv")
    assert data.startswith(b"\xef\xbb\xbf")
    answers = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    with demo_app.app_context():
        expected = db.session.scalar(
            select(func.count()).select_from(Answer).join(Evaluation).join(EvaluationCycle)
            .where(EvaluationCycle.year == 1404, Evaluation.status == "approved"))
    assert len(answers) - 1 == expected
    assert {row[1] for row in answers[1:]} == {"قم", "دستجرد"}

    # the approved reports of the cycle, as stored, in one ZIP
    name, data = _download(page, "#export-reports", timeout=180_000)
    assert name == "arzyab-1404-reports.zip"
    archive = zipfile.ZipFile(io.BytesIO(data))
    pdfs = sorted(n for n in archive.namelist() if n.endswith(".pdf"))
    assert pdfs == sorted(["arzyab-1404-دستجرد.pdf", "arzyab-1404-قم.pdf"])
    with demo_app.app_context():
        stored = set(db.session.scalars(select(StoredReport.sha256)))
    assert {hashlib.sha256(archive.read(n)).hexdigest() for n in pdfs} <= stored
    assert "manifest.csv" in archive.namelist()

    # open a municipality: its evaluations over the years, trend, units that moved
    page.click("#overview tbody th a:text-is('دستجرد')")
    page.wait_for_url("**/dashboard/municipalities/**")
    assert page.locator("#evaluations tbody tr").count() == 2
    assert page.locator("#trend table.dash-chart tbody tr").count() == 2
    assert page.locator("#improved li").count() == 3
    assert page.locator("#recommendations li").count() == 3
    assert _fits_the_width(page)
    page.screenshot(path=str(artifacts / f"dashboard-municipality-{size}.png"), full_page=True)

    # the peer ranking: ranks within each tier, with the tier and province averages
    page.click("nav.dash-nav a[href^='/dashboard/ranking']")
    page.wait_for_url("**/dashboard/ranking**")
    page.check("input[name=pending]")
    page.click("form.dash-filters button[type=submit]")
    page.wait_for_url("**pending=1**")
    small = page.locator("#ranking tbody tr[data-tier=S]")
    assert small.count() == 4
    assert small.first.locator("th a").inner_text() == "قنوات"
    assert small.first.locator("td").first.inner_text().startswith("۱")
    assert page.locator("#unit-matrix tbody tr").count() == 5
    assert _fits_the_width(page)
    page.screenshot(path=str(artifacts / f"dashboard-ranking-{size}.png"), full_page=True)
