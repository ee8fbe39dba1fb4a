"""Real PDFs from real WeasyPrint: pages, embedded fonts, a few phrases, byte-identical finals,
draft watermarks, hostile input, renderer limits, the command line.

PNGs of the Dastjerd report's first pages go to test-artifacts/ (git-ignored) to be looked at.
"""

import http.server
import re
import subprocess
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.evidence.services import store_photo
from app.extensions import db
from app.i18n import persian_digits
from app.models import AuditEvent, User
from app.reports import finals, services, settings
from app.reports.models import StoredReport
from app.reports.render import FetchPolicy, ReportError, render_pdf
from tests.helpers import login
from tests.reports.conftest import evaluation_of, normalise, pdf_fonts, pdf_pages, pdf_text
from tests.test_evidence import jpeg_with_exif

pytestmark = pytest.mark.pdf


def _images(path: Path) -> int:
    out = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True,
                         check=True)
    return len(out.stdout.splitlines()) - 2


def _attachments(path: Path) -> int:
    out = subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True, text=True,
                         check=True)
    return int(out.stdout.split()[0])


def test_final_report_of_dastjerd_is_issued_once_and_served_byte_identical(
        client, demo_app, tmp_path, artifacts):
    with demo_app.app_context():
        evaluation_id = evaluation_of("دستجرد", 1404).id
    login(client, "reviewer")
    with client.get(f"/evaluations/{evaluation_id}/report.pdf") as first:
        assert first.status_code == 200, first.text[:300]
        assert first.mimetype == "application/pdf"
        assert first.headers["Content-Disposition"].startswith("attachment;")
        assert "arzyab-1404-" in first.headers["Content-Disposition"]
        body = first.data
    with client.get(f"/evaluations/{evaluation_id}/report.pdf") as second:
        assert second.data == body

    pdf = tmp_path / "dastjerd.pdf"
    pdf.write_bytes(body)
    with demo_app.app_context():
        stored = db.session.scalar(select(StoredReport))
        assert db.session.scalar(select(func.count(StoredReport.id))) == 1
        assert stored.evaluation_id == evaluation_id
        snapshot = finals.snapshot_of(evaluation_id)
        assert stored.content_sha256 == snapshot.content_sha256
        assert finals.snapshot_by_code(snapshot.code.lower()) == snapshot
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "report.render")) == 1
        code, pages = finals.display_code(snapshot.code), stored.pages

    assert 5 <= pdf_pages(pdf) == pages <= 12
    fonts = pdf_fonts(pdf)
    assert fonts and all("Vazirmatn" in f["name"] and f["embedded"] and f["subset"]
                         for f in fonts)
    text = pdf_text(pdf)
    # (phrases without «لا»: pdftotext spells the lam-alef ligature «ال»)
    for phrase in ("بسمه تعالی", "گزارش ارزیابی عملکرد واحدهای شهرداری دستجرد", "۱۴۰۴",
                   "مشخصات شهرداری", "نمودار امتیاز واحدها", "مدیریت پسماند و نخاله",
                   "امتیاز مکتسبه", "نقاط قوت", "رونوشت", "مریم بختیاری", code):
        assert normalise(phrase) in text, phrase
    assert re.search(rf"صفحه ۱ ?از ?{persian_digits(pages)}", text)
    assert "پیشنویس" not in text

    for page in (1, 2):
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(page), "-l", str(page),
                        "-singlefile", str(pdf), str(artifacts / f"report-dastjerd-1404-p{page}")],
                       check=True)
        assert (artifacts / f"report-dastjerd-1404-p{page}.png").stat().st_size > 20_000


def test_a_stored_final_that_was_tampered_with_is_not_served(client, demo_app):
    with demo_app.app_context():
        evaluation = evaluation_of("دستجرد", 1404)
        stored = services.final_report(evaluation)
        path = settings.reports_dir() / stored.file_name
        path.write_bytes(path.read_bytes() + b"%tampered")
        evaluation_id = evaluation.id
    login(client, "reviewer")
    assert client.get(f"/evaluations/{evaluation_id}/report.pdf").status_code == 500


def test_a_draft_is_rendered_fresh_with_the_watermark_for_its_inspector(client, demo_app,
                                                                         tmp_path):
    with demo_app.app_context():
        evaluation_id = evaluation_of("کهک", 1404).id
    login(client, "inspector")
    response = client.get(f"/evaluations/{evaluation_id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert "-draft.pdf" in response.headers["Content-Disposition"]
    pdf = tmp_path / "draft.pdf"
    pdf.write_bytes(response.data)
    text = pdf_text(pdf)
    assert "پیشنویس" in text  # the watermark and the footer note
    assert "کد تصدیق" not in text
    with demo_app.app_context():
        assert db.session.scalar(select(func.count(StoredReport.id))) == 0


class _Trap(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        _Trap.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def trap():
    """A local HTTP server that records every request: the renderer must make none."""
    _Trap.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trap)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


def _photo(evaluation, user) -> int:
    criterion = evaluation.answers[0].criterion_id
    evidence = store_photo(evaluation, criterion, jpeg_with_exif(), "site.jpg", user=user)
    db.session.commit()
    return evidence.id


def test_hostile_urls_never_reach_the_pdf(demo_ctx, trap, tmp_path):
    inspector = db.session.scalar(select(User).where(User.username == "inspector"))
    mine = evaluation_of("کهک", 1404)
    theirs = evaluation_of("سلفچگان", 1404)
    my_photo, their_photo = _photo(mine, inspector), _photo(theirs, inspector)
    hostile = (f'<img src="file:///etc/passwd"><link rel="attachment" href="file:///etc/passwd">'
               f'<img src="{trap}/img.png"><link rel="stylesheet" href="{trap}/x.css">'
               f'<div style="background: url({trap}/bg.png)"></div>'
               f'<style>@import url("{trap}/imp.css"); @font-face {{ font-family: x; '
               f'src: url("{trap}/f.ttf") }}</style>'
               f'<svg><image href="{trap}/svg.png" width="9" height="9"/></svg>'
               f'<img src="arzyab:evidence/{their_photo}">'
               f'<img src="/evaluations/{theirs.id}/photos/{their_photo}/thumb">')

    # 1. typed by an inspector: escaped, shown as text, nothing fetched
    mine.answers[0].note = hostile
    db.session.commit()
    body, _name = services.report_pdf(mine)
    pdf = tmp_path / "escaped.pdf"
    pdf.write_bytes(body)
    assert _attachments(pdf) == 0
    assert _images(pdf) == 1  # this evaluation's own photo, and only it
    assert "passwd" in pdf_text(pdf)  # printed as the text the inspector typed

    # 2. straight into the HTML (as if a template let it through): the fetcher refuses
    html = "<html><body><p>سلام</p>" + hostile + "</body></html>"
    target = tmp_path / "raw.pdf"
    result = render_pdf(html, settings.fetch_policy(mine), target)
    assert _attachments(target) == 0 and _images(target) == 0
    refused = " ".join(result.refused)
    for url in ("file:///etc/passwd", f"{trap}/img.png", f"{trap}/x.css", f"{trap}/bg.png",
                f"arzyab:evidence/{their_photo}"):
        assert url in refused, url
    assert _Trap.hits == []

    # the same HTML may embed this evaluation's own photo (so the check above can fail)
    own = render_pdf(f'<img src="arzyab:evidence/{my_photo}">', settings.fetch_policy(mine),
                     tmp_path / "own.pdf")
    assert own.refused == () and _images(tmp_path / "own.pdf") == 1


def test_renderer_limits_end_in_a_clean_error_and_leave_no_file(tmp_path):
    policy = FetchPolicy()
    slow = "<table>" + "<tr><td>ردیف طولانی</td><td>۱۲۳</td></tr>" * 20_000 + "</table>"
    with pytest.raises(ReportError, match="longer than"):
        render_pdf(slow, policy, tmp_path / "slow.pdf", timeout=1)
    # out of memory (a MemoryError, or the child dies): the document must need fresh memory,
    # as a tiny one may fit in what the forkserver's warm-up left free
    with pytest.raises(ReportError):
        render_pdf("<p>سلام دنیا</p>" * 5000, policy, tmp_path / "big.pdf", memory_mb=64)
    assert list(tmp_path.iterdir()) == []


def test_cli_writes_every_approved_report_of_a_cycle_and_the_comparison(demo_app, tmp_path):
    runner = demo_app.test_cli_runner()
    out = tmp_path / "out"
    result = runner.invoke(args=["report", "--cycle", "۱۴۰۴", "--province", "قم",
                                 "-o", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    assert files == ["arzyab-1404-دستجرد.pdf", "arzyab-1404-قم-comparison.pdf",
                     "arzyab-1404-قم.pdf"]
    assert "2 final reports and the comparison" in result.output
    assert pdf_pages(out / "arzyab-1404-قم-comparison.pdf") == 2
    assert "مقایسه عملکرد شهرداری‌های استان قم".replace("\u200c", "") in \
        pdf_text(out / "arzyab-1404-قم-comparison.pdf")

    with demo_app.app_context():
        evaluation_id = evaluation_of("دستجرد", 1404).id
    single = tmp_path / "single.pdf"
    result = runner.invoke(args=["report", str(evaluation_id), "-o", str(single)])
    assert result.exit_code == 0, result.output
    assert single.read_bytes() == (out / "arzyab-1404-دستجرد.pdf").read_bytes()

    result = runner.invoke(args=["report", "-o", str(single), "--lang", "en"])
    assert result.exit_code != 0 and "either an evaluation number or --cycle" in result.output
    result = runner.invoke(args=["report", "۹۹۹۹", "-o", str(single), "--lang", "en"])
    assert result.exit_code == 1 and "No evaluation numbered ۹۹۹۹" in result.output


def test_reviewer_downloads_the_cycle_comparison(client, demo_app, tmp_path):
    login(client, "reviewer")
    response = client.get("/reports/cycle/۱۴۰۴.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    pdf = tmp_path / "cycle.pdf"
    pdf.write_bytes(response.data)
    assert pdf_pages(pdf) >= 2


def test_an_assigned_inspector_downloads_the_final(client, demo_app):
    with demo_app.app_context():
        evaluation_id = evaluation_of("دستجرد", 1404).id
        services.final_report(evaluation_of("دستجرد", 1404))
    login(client, "inspector")
    with client.get(f"/evaluations/{evaluation_id}/report.pdf") as response:
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
