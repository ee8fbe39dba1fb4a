"""The answers export of a whole cycle: the CSV streamed in constant memory with the same
content as when it was built whole, the XLSX built in the background with its progress shown
and its file kept for the one who asked."""

from __future__ import annotations

import csv
import gc
import io
import tracemalloc

from openpyxl import load_workbook
from sqlalchemy import func, insert, select

from app.dashboard import queries
from app.dashboard.exports import answer_text
from app.dashboard.presentation import status_titles
from app.db import writing
from app.extensions import db
from app.i18n import jalali_datetime, local_time
from app.models import Answer, Evaluation, EvaluationCycle, Municipality, Province, User
from tests.dashboard.test_exports import answers_xlsx
from tests.helpers import login


def _expected_rows(lang: str = "en") -> list[list[str]]:
    """Every answer of ۱۴۰۴ as the export has always listed them, computed here on its own:
    all rows read at once and sorted by province, municipality, evaluation and the
    criterion's place in its rubric."""
    statuses = status_titles()
    rows = db.session.execute(
        select(Province.name, Municipality.name, Municipality.county, Evaluation, Answer)
        .select_from(Answer).join(Evaluation, Evaluation.id == Answer.evaluation_id)
        .join(Municipality, Municipality.id == Evaluation.municipality_id)
        .join(Province, Province.id == Municipality.province_id)
        .join(EvaluationCycle, EvaluationCycle.id == Evaluation.cycle_id)
        .where(EvaluationCycle.year == 1404)).all()
    expected = []
    for province, name, county, evaluation, answer in rows:
        rubric = queries.rubrics_of([evaluation.rubric_version_id])[evaluation.rubric_version_id]
        order = [c.id for c in rubric.criteria()]
        criterion = rubric.criterion(answer.criterion_id)
        unit = rubric.unit(criterion.unit_id)
        tier = next(t for t in rubric.tiers if t.id == evaluation.tier_id)
        moment = local_time(answer.updated_at).strftime("%Y-%m-%d %H:%M")
        value = "" if answer.na or answer.value is None else (
            str(int(answer.value)) if float(answer.value).is_integer() else str(answer.value))
        expected.append(((province, name, evaluation.id, order.index(answer.criterion_id)), [
            province, name, county, tier.title or tier.id, statuses[evaluation.state],
            unit.title, f'="{answer.criterion_id}"', criterion.title, value,
            "Not applicable" if answer.na else answer_text(criterion, answer.value, answer.data,
                                                           lang),
            "Yes" if answer.na else "", answer.na_reason or "", answer.note or "",
            jalali_datetime(answer.updated_at, lang), moment]))
    return [row for _key, row in sorted(expected, key=lambda item: item[0])]


def test_the_streamed_csv_holds_what_the_whole_one_held(reviewer, demo_app):
    response = reviewer.get("/dashboard/export/answers.csv?year=1404&lang=en")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert "arzyab-1404-answers.csv" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf") and response.data.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    with demo_app.test_request_context("/?lang=en"):
        expected = _expected_rows("en")
    assert rows[0][:3] == ["Province", "Municipality", "County"]
    assert len(rows) - 1 == len(expected) > 200
    assert rows[1:] == expected


def _more_evaluations(demo_app, count: int) -> int:
    """`count` more towns, each with a submitted ۱۴۰۴ evaluation holding a copy of a demo
    evaluation's answers (with a long note each); returns the answers now in ۱۴۰۴."""
    with demo_app.app_context(), writing():
        source = db.session.scalar(
            select(Evaluation).join(EvaluationCycle).where(EvaluationCycle.year == 1404)
            .order_by(func.length(Evaluation.tier_id), Evaluation.id).limit(1))
        answers = list(db.session.scalars(select(Answer).where(
            Answer.evaluation_id == source.id)))
        province = db.session.scalar(select(Province.id))
        first = (db.session.scalar(select(func.max(Municipality.id))) or 0) + 1
        db.session.execute(insert(Municipality), [
            {"id": first + n, "province_id": province, "name": f"شهر نمونه {n:04d}",
             "name_key": f"shahr {n:04d}", "county": "قم", "grade": 3, "population": 5_000}
            for n in range(count)])
        start = (db.session.scalar(select(func.max(Evaluation.id))) or 0) + 1
        columns = ("cycle_id", "rubric_version_id", "tier_id", "tier_basis", "score",
                   "raw_score", "band", "answered_count", "applicable_count")
        db.session.execute(insert(Evaluation), [
            {"id": start + n, "municipality_id": first + n, "status": "submitted",
             **{c: getattr(source, c) for c in columns}} for n in range(count)])
        db.session.execute(insert(Answer), [
            {"evaluation_id": start + n, "criterion_id": a.criterion_id, "value": a.value,
             "data": a.data, "na": a.na, "na_reason": a.na_reason,
             "note": "یادداشت بازرس درباره‌ی این معیار " * 4, "revision": 1,
             "review_comment": "", "updated_at": a.updated_at}
            for n in range(count) for a in answers])
    with demo_app.app_context():
        return db.session.scalar(select(func.count()).select_from(Answer).join(Evaluation)
                                 .join(EvaluationCycle).where(EvaluationCycle.year == 1404))


def test_the_csv_of_many_answers_streams_in_bounded_memory(reviewer, demo_app, monkeypatch):
    login(reviewer, "admin")  # the national admin may open every evaluation made below
    # eighteen chunks of evaluations (smaller chunks than the real 50 keep the test quick
    # under tracemalloc, which slows every allocation)
    monkeypatch.setattr(queries, "ANSWER_CHUNK", 20)
    total = _more_evaluations(demo_app, 360)
    assert total > 15_000
    # one small export first: what a first request loads once (translations, statements)
    assert reviewer.get("/dashboard/export/answers.csv?year=1404&county=خلجستان").data
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        # (the response's first piece is made before get() returns: counted from here)
        response = reviewer.get("/dashboard/export/answers.csv?year=1404", buffered=False)
        assert response.status_code == 200
        size = lines = 0
        for chunk in response.response:
            size += len(chunk)
            lines += chunk.count(b"\r\n")
        peak = tracemalloc.get_traced_memory()[1] - baseline
        response.close()
    finally:
        tracemalloc.stop()
    assert lines == total + 1  # the header and every answer
    # the file is ~10 MB; what is held at any moment is one chunk of evaluations' answers
    # (~3.5 MB here, whether there are 240 towns or 480; read all at once, as before
    # streaming, the rows alone took twice the file's size)
    assert size > 8_000_000
    assert peak < size / 2, (peak, size)


def test_the_xlsx_is_built_in_the_background_and_kept_for_who_asked(reviewer, demo_app,
                                                                    client):
    xlsx = answers_xlsx(reviewer, "year=1404&lang=en")
    assert xlsx.status_code == 200
    assert "arzyab-1404-answers.xlsx" in xlsx.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.sheet_view.rightToLeft is True and sheet.freeze_panes == "A2"
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    csv_rows = list(csv.reader(io.StringIO(reviewer.get(
        "/dashboard/export/answers.csv?year=1404&lang=en").data.decode("utf-8-sig"))))
    assert cells[0] == csv_rows[0]
    assert len(cells) == len(csv_rows)
    # the same answers in the same order (numbers and dates typed in the XLSX)
    # (the CSV writes a criterion id as ="1.10" so that a spreadsheet keeps it as text; the
    # XLSX has a text cell)
    for row in csv_rows[1:]:
        assert row[6].startswith('="') and row[6].endswith('"')
        row[6] = row[6][2:-1]
    assert [row[:8] for row in cells[1:]] == [row[:8] for row in csv_rows[1:]]
    assert [row[9] or "" for row in cells[1:]] == [row[9] for row in csv_rows[1:]]

    # someone else cannot see the job or its file, even with its address
    job_page = xlsx.request.path.rsplit("/file", 1)[0]
    with demo_app.app_context(), writing():
        other = User(username="other-manager", full_name="مدیر دیگر")
        other.set_password("arzyab-demo")
        other.set_roles(["reviewer"])
        db.session.add(other)
    login(client, "other-manager")
    assert client.get(job_page).status_code == 404
    assert client.get(job_page + "/file").status_code == 404
    assert client.get("/dashboard/exports/not-a-token").status_code == 404


def test_the_xlsx_job_page_shows_progress_then_the_download(reviewer, demo_app):
    """The page of a job in progress says how far it got and refreshes itself."""
    from app.dashboard import jobs

    with demo_app.test_request_context("/"):
        reviewer_id = db.session.scalar(select(User.id).where(User.username == "reviewer"))
        path = jobs.folder() / "runningjobtoken0123456789.json"
        jobs._write(path, {"user_id": reviewer_id, "filename": "x.xlsx", "state": "running",
                           "done": 120, "total": 1500})
    page = reviewer.get("/dashboard/exports/runningjobtoken0123456789?lang=en")
    assert page.status_code == 200
    assert 'data-state="running"' in page.text and 'http-equiv="refresh"' in page.text
    assert 'max="1500" value="120"' in page.text
    assert "120 of 1,500 evaluations written" in page.text
    assert reviewer.get("/dashboard/exports/runningjobtoken0123456789/file").status_code == 404
