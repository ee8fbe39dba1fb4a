"""The dashboard's files: CSV and XLSX of the overview and of every answer of a cycle, and the
ZIP of the approved reports; each opened the way a manager's program would open it."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import time
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.db import writing
from app.extensions import db
from app.i18n import jalali_datetime, local_time
from app.models import Answer, Evaluation, EvaluationCycle, Municipality
from app.reports.models import StoredReport
from tests.helpers import csrf_token

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def _sheet(response):
    assert response.status_code == 200 and response.mimetype == XLSX
    return load_workbook(io.BytesIO(response.data)).active


def answers_xlsx(client, query: str):
    """The answers XLSX as a manager gets it: the button on the page starts the job, its
    page shows the progress until the file is ready, then the download (the response)."""
    start = client.get(f"/dashboard/export/answers.xlsx?{query}")
    assert start.status_code == 200 and 'id="start-answers-xlsx"' in start.text
    posted = client.post(f"/dashboard/export/answers.xlsx?{query}",
                         data={"csrf_token": csrf_token(start.text)})
    assert posted.status_code == 302 and "/dashboard/exports/" in posted.location
    deadline = time.monotonic() + 60
    while True:
        page = client.get(posted.location)
        assert page.status_code == 200
        if 'data-state="done"' in page.text:
            break
        assert 'data-state="failed"' not in page.text
        assert time.monotonic() < deadline, "the export never finished"
        assert 'http-equiv="refresh"' in page.text and "<progress" in page.text
        time.sleep(0.05)
    link = re.search(r'id="export-download" href="([^"]+)"', page.text).group(1)
    with client.get(link) as response:
        response.get_data()  # read before the file closes
    return response


def _evaluations(year: int, **where) -> list[Evaluation]:
    statement = select(Evaluation).join(EvaluationCycle).where(EvaluationCycle.year == year)
    for key, value in where.items():
        statement = statement.where(getattr(Evaluation, key) == value)
    return list(db.session.scalars(statement))


def test_overview_csv(reviewer):
    response = reviewer.get("/dashboard/export/overview.csv?year=1404&sort=score&dir=desc"
                            "&lang=en")
    assert "attachment" in response.headers["Content-Disposition"]
    assert "arzyab-1404-overview.csv" in response.headers["Content-Disposition"]
    rows = _csv(response)
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Province", "Municipality", "County"]
    assert [row[1] for row in body] == ["قم", "قنوات", "دستجرد", "کهک", "سلفچگان", "جعفریه"]
    qom = dict(zip(header, body[0], strict=True))
    assert qom["Adjusted score"] == "82.9" and qom["Status"] == "Signed off (final)"
    assert qom["Inspectors"] == "مریم بختیاری"
    assert qom["Last change (Jalali)"].startswith("14")
    assert dt.datetime.strptime(qom["Last change (date)"], "%Y-%m-%d %H:%M")


def test_overview_export_follows_the_filters(reviewer):
    rows = _csv(reviewer.get("/dashboard/export/overview.csv?year=1404&status=signed"))
    assert sorted(row[1] for row in rows[1:]) == ["دستجرد", "قم"]
    rows = _csv(reviewer.get("/dashboard/export/overview.csv?year=1403&status=none"))
    assert sorted(row[1] for row in rows[1:]) == sorted(["کهک", "جعفریه", "سلفچگان"])


def test_overview_xlsx(reviewer, demo_app):
    sheet = _sheet(reviewer.get("/dashboard/export/overview.xlsx?year=1404&sort=name&lang=en"))
    assert sheet.sheet_view.rightToLeft is True
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    assert header[1] == "Municipality" and sheet["A1"].font.bold
    body = [dict(zip(header, [c.value for c in row], strict=True))
            for row in sheet.iter_rows(min_row=2)]
    assert [row["Municipality"] for row in body] == [
        "جعفریه", "دستجرد", "سلفچگان", "قم", "قنوات", "کهک"]
    with demo_app.app_context():
        stored = {e.municipality.name: e for e in _evaluations(1404)}
        dastjerd = stored["دستجرد"]
        expected_text = jalali_datetime(dastjerd.updated_at, "en")
        expected_date = local_time(dastjerd.updated_at).replace(tzinfo=None, second=0,
                                                                microsecond=0)
        expected_score = dastjerd.score
    row = body[1]
    assert row["Adjusted score"] == expected_score  # a number, not text
    assert row["Last change (Jalali)"] == expected_text
    assert isinstance(row["Last change (date)"], dt.datetime)  # a real date cell
    assert row["Last change (date)"] == expected_date
    date_cell = sheet.cell(row=3, column=header.index("Last change (date)") + 1)
    assert date_cell.is_date and "yy" in date_cell.number_format


def test_answers_exports_hold_every_answer_of_the_cycle(reviewer, demo_app):
    with demo_app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Answer).join(Evaluation)
                                  .join(EvaluationCycle).where(EvaluationCycle.year == 1404))
        dastjerd = db.session.scalar(select(func.count()).select_from(Answer).join(Evaluation)
                                     .join(EvaluationCycle).join(Municipality)
                                     .where(EvaluationCycle.year == 1404,
                                            Municipality.name == "دستجرد"))
    assert count > 200 and dastjerd > 40
    rows = _csv(reviewer.get("/dashboard/export/answers.csv?year=1404&lang=en"))
    header, body = rows[0], rows[1:]
    assert len(body) == count
    record = [dict(zip(header, row, strict=True)) for row in body]
    mine = [r for r in record if r["Municipality"] == "دستجرد"]
    assert len(mine) == dastjerd
    # in the rubric's order, with titles and readable answers
    # criterion ids as text a spreadsheet keeps («1.10» is not read as 1.1)
    assert [r["Criterion number"] for r in mine][:3] == ['="1.1"', '="1.2"', '="1.3"']
    assert all(r["Criterion number"].startswith("=\"") for r in mine)
    assert all(r["Criterion"] and r["Unit"] for r in mine)
    assert {"Yes", "No"} & {r["Answer"] for r in mine}

    sheet = _sheet(answers_xlsx(reviewer, "year=1404&county=خلجستان"))
    assert sheet.sheet_view.rightToLeft is True and sheet.freeze_panes == "A2"
    assert sheet.max_row - 1 == dastjerd  # خلجستان county: دستجرد only
    number = 6  # the criterion number column
    ids = [row[number] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in ids)  # text cells, "10.1" stays "10.1"
    assert "10.2" in {cell.value for cell in ids}


def test_text_that_looks_like_a_formula_stays_text(reviewer, demo_app):
    with demo_app.app_context(), writing():
        draft = next(e for e in _evaluations(1404, status="draft") if e.answers)
        answer = draft.answers[0]
        answer.note = '=HYPERLINK("http://example.invalid","click")'
    rows = _csv(reviewer.get("/dashboard/export/answers.csv?year=1404&status=draft"))
    assert "'=HYPERLINK(\"http://example.invalid\",\"click\")" in [c for r in rows for c in r]
    sheet = _sheet(answers_xlsx(reviewer, "year=1404&status=draft"))
    cells = [c for row in sheet.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")]
    assert cells and all(c.data_type == "s" for c in cells)


@pytest.mark.pdf
def test_zip_holds_the_approved_reports_as_stored(reviewer, demo_app):
    with reviewer.get("/dashboard/export/reports.zip?year=1404") as response:
        assert response.status_code == 200 and response.mimetype == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    pdfs = [n for n in names if n.endswith(".pdf")]
    assert "manifest.csv" in names and len(pdfs) == 2
    assert sorted(pdfs) == sorted(["arzyab-1404-دستجرد.pdf", "arzyab-1404-قم.pdf"])
    with demo_app.app_context():
        approved = _evaluations(1404, status="approved")
        stored = {s.evaluation_id: s.sha256 for s in db.session.scalars(select(StoredReport))}
    assert {e.id for e in approved} <= set(stored)
    digests = {hashlib.sha256(archive.read(name)).hexdigest() for name in pdfs}
    assert digests == {stored[e.id] for e in approved}  # the stored finals, byte for byte
    assert all(archive.read(name).startswith(b"%PDF") for name in pdfs)
    manifest = list(csv.reader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert len(manifest) == 3 and {row[0] for row in manifest[1:]} == set(pdfs)
    # a second download serves the same stored files
    with reviewer.get("/dashboard/export/reports.zip?year=1404") as response:
        again = zipfile.ZipFile(io.BytesIO(response.data))
    assert {hashlib.sha256(again.read(n)).hexdigest() for n in pdfs} == digests


def test_zip_without_approved_reports_says_so(reviewer):
    response = reviewer.get("/dashboard/export/reports.zip?year=1404&status=draft")
    assert response.status_code == 302
    page = reviewer.get(response.headers["Location"]).text
    assert 'class="flash flash-info"' in page
