"""The report's sections of issue 15: the self-declaration beside the verified values with
the share confirmed, and «پیگیری توصیه‌های دوره پیشین» (the previous final's
recommendations, the municipality's answers and the inspectors' findings). On the demo:
Dastjerd declares every year and answers every other recommendation; the 1404 inspectors
judged the 1403 recommendations done, in part and not done."""

import json

from app.reports import services, settings
from app.reports.context import evaluation_context
from app.reports.finals import snapshot_of
from tests.reports.conftest import evaluation_of


def _context(evaluation):
    with settings.report_locale():
        return evaluation_context(evaluation)


def test_declared_beside_verified_with_the_share_confirmed(demo_ctx):
    context = _context(evaluation_of("دستجرد", 1404))
    declared = context["declarations"]
    assert declared["criteria"] == declared["declared"] == len(declared["rows"]) > 0
    assert declared["verified"] == declared["confirmed"] + declared["corrected"]
    assert declared["corrected"] >= 1 and declared["confirmed"] >= 1
    assert declared["share"] == round(100 * declared["confirmed"] / declared["verified"], 1)
    corrected = [i for i in declared["rows"] if i["verdict"] == "corrected"]
    assert all(i["declared"] != i["verified"] and i["reason"] for i in corrected)
    assert all(i["declared"] == i["verified"] and not i["reason"]
               for i in declared["rows"] if i["verdict"] == "confirmed")
    assert {i["verdict_title"] for i in declared["rows"]} == {"تأییدشده", "اصلاح‌شده"}
    # a municipality without an account declared nothing: the section says so row by row
    qom = _context(evaluation_of("قم", 1404))["declarations"]
    assert qom["declared"] == 0 and {i["verdict"] for i in qom["rows"]} == {"missing"}


def test_the_follow_up_of_the_previous_cycle(demo_ctx):
    context = _context(evaluation_of("دستجرد", 1404))
    follow = context["follow_up"]
    assert follow["year"] == "۱۴۰۳"
    assert [i["outcome"] for i in follow["rows"]] == ["done", "partly", "not_done"]
    assert [i["outcome_title"] for i in follow["rows"]] == ["انجام شد", "تا حدی انجام شد",
                                                              "انجام نشد"]
    assert [bool(i["answer"]) for i in follow["rows"]] == [True, False, True]
    assert follow["rows"][1]["note"]  # «in part» says what is missing
    assert follow["done"] == "۱ از ۳ انجام‌شده"
    # the first cycle has nothing to follow up
    assert _context(evaluation_of("دستجرد", 1403))["follow_up"] is None


def test_both_sections_are_printed_and_frozen_in_the_final(demo_ctx):
    evaluation = evaluation_of("دستجرد", 1404)
    html, _context_ = services.evaluation_html(evaluation)
    assert "پیگیری توصیه‌های دوره پیشین" in html and "خوداظهاری و راستی‌آزمایی" in html
    frozen = json.loads(snapshot_of(evaluation.id).context_json)
    assert frozen["follow_up"]["done"] == "۱ از ۳ انجام‌شده"
    assert frozen["declarations"]["share"] == _context(evaluation)["declarations"]["share"]


def test_the_final_pdf_prints_both_sections(client, demo_app, tmp_path, artifacts):
    """The municipality downloads its final; the pages of the two sections are rendered to
    PNG (test-artifacts/org-report-*.png) for a person to look at."""
    import subprocess

    from tests.helpers import login
    from tests.reports.conftest import normalise, pdf_text

    with demo_app.app_context():
        evaluation_id = evaluation_of("دستجرد", 1404).id
    login(client, "dastjerd")
    with client.get(f"/evaluations/{evaluation_id}/report.pdf") as response:
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
        pdf = tmp_path / "dastjerd.pdf"
        pdf.write_bytes(response.data)
    text = pdf_text(pdf)
    for heading in ("پیگیری توصیه‌های دوره پیشین", "خوداظهاری و راستی‌آزمایی"):
        assert normalise(heading) in text
    pages = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True,
                           text=True).stdout.split("\f")
    wanted = [n for n, page in enumerate(pages, 1)
              if normalise("پیگیری توصیه") in normalise(page)
              or normalise("خوداظهاری") in normalise(page)]
    assert wanted
    for page in wanted:
        subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", str(page), "-l", str(page),
                        "-singlefile", str(pdf), str(artifacts / f"org-report-{page}")],
                       check=True)
