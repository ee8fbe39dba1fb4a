"""Text people typed keeps its order wherever it is shown: the ``bidi`` filter (app.bidi) on
the reviewer's page, in the report's HTML and in the PDF itself, where a date «2024-11-05» and
a phone number «021-8888-1234» inside a Persian note used to print as «05-11-2024» and
«1234-8888-021».

The PDF is checked through its words as poppler places them on the page (pdftotext
-bbox-layout: a reversed run comes out reversed), and its page image is written to
test-artifacts/ to be looked at."""

from __future__ import annotations

import html
import re
import subprocess

import pytest
from markupsafe import Markup
from sqlalchemy import select

from app.bidi import direction, isolate
from app.db import writing
from app.evaluations import moves, services
from app.extensions import db
from app.models import User
from app.reports import services as reports
from tests.helpers import login
from tests.reports.conftest import evaluation_of

NOTE = "بازدید در تاریخ 2024-11-05 با تلفن 021-8888-1234 انجام شد."
MIXED = {
    "1.1": NOTE,
    "1.2": "نامه شماره AB-12/345 به info@qom-municipality.ir فرستاده شد؛ "
           "پیوند https://arzyab.example.ir/verify/K7M2 را ببینید.",
    "1.3": "صورتجلسه ۱۴۰۳-۰۸-۱۵ و پرونده «Green Space Plan v2» ضمیمه است.",
}
#: the runs each note must keep, in the order typed
RUNS = {"1.1": ["2024-11-05", "021-8888-1234"],
        "1.2": ["AB-12/345", "info@qom-municipality.ir", "https://arzyab.example.ir/verify/K7M2"],
        "1.3": ["۱۴۰۳-۰۸-۱۵", "Green Space Plan v2"]}


def test_runs_of_latin_and_numbers_are_isolated_in_persian_text():
    shown = isolate(NOTE, "rtl")
    assert isinstance(shown, Markup)
    assert shown == ('بازدید در تاریخ <bdi dir="ltr">2024-11-05</bdi> با تلفن '
                     '<bdi dir="ltr">021-8888-1234</bdi> انجام شد.')
    for cid, text in MIXED.items():
        assert _isolated(isolate(text, "rtl")) == RUNS[cid]
        # the characters are never changed: what is copied is what was typed
        assert html.unescape(re.sub(r"</?bdi[^>]*>", "", isolate(text, "rtl"))) == text
    # a Persian number alone keeps its place without help; the full stop is not in the run
    assert isolate("۱۲ مورد", "rtl") == "۱۲ مورد"
    assert isolate("تلفن 021-8888-1234.", "rtl").endswith("</bdi>.")


def test_text_of_the_other_direction_gets_its_own_isolate():
    # Persian in the English interface, English in the Persian one
    assert isolate(NOTE, "ltr").startswith('<bdi dir="rtl">بازدید')
    assert isolate("Checked on 2024-11-05 with the mayor.", "rtl") == \
        '<bdi dir="ltr">Checked on 2024-11-05 with the mayor.</bdi>'
    assert isolate("Checked on 2024-11-05.", "ltr") == "Checked on 2024-11-05."
    assert direction("۱۲۳ abc") == "ltr" and direction("۱۲۳") == "rtl"
    assert direction("123", default="ltr") == "ltr"


def test_typed_markup_stays_text():
    shown = isolate('<img src=x onerror="alert(1)"> یادداشت', "rtl")
    assert "<img" not in shown and "&lt;img" in shown


def _isolated(markup: str) -> list[str]:
    return [html.unescape(run) for run in re.findall(r'<bdi dir="ltr">(.*?)</bdi>', markup)]


def _write_notes(app, town: str, notes: dict, *, user="inspector") -> int:
    """Save `notes` (criterion id → text) on the demo evaluation of `town`, as the form does."""
    with app.app_context():
        evaluation = evaluation_of(town, 1404)
        inspector = db.session.scalar(select(User).where(User.username == user))
        with writing():
            services.save_answers(evaluation, {cid: {"note": text} for cid, text in
                                               notes.items()}, user=inspector)
        return evaluation.id


def test_the_reviewers_page_isolates_the_runs_of_the_notes(demo_app, client):
    # the returned evaluation, noted and submitted again
    eid = _write_notes(demo_app, "سلفچگان", MIXED)
    with demo_app.app_context():
        inspector = db.session.scalar(select(User).where(User.username == "inspector"))
        with writing():
            moves.submit(evaluation_of("سلفچگان", 1404), user=inspector)
    login(client, "reviewer")
    page = client.get(f"/evaluations/{eid}").text
    for cid, text in MIXED.items():
        shown = str(isolate(text, "rtl"))
        assert shown in page, cid
        assert _isolated(shown) == RUNS[cid]
    # and in English: the Persian note is laid out right to left, its runs still in order
    page = client.get(f"/evaluations/{eid}?lang=en").text
    assert str(isolate(NOTE, "ltr")) in page


@pytest.mark.pdf
def test_the_report_prints_dates_phone_numbers_and_codes_in_order(demo_app, artifacts):
    eid = _write_notes(demo_app, "کهک", MIXED)
    with demo_app.app_context():
        evaluation = db.session.get(type(evaluation_of("کهک", 1404)), eid)
        report_html, _context = reports.evaluation_html(evaluation)
        pdf = reports.draft_pdf(evaluation)
    # the rendered HTML: each note's runs isolated, in the order typed
    for cid, text in MIXED.items():
        shown = str(isolate(text, "rtl"))
        assert shown in report_html, cid
    path = artifacts / "report-mixed-direction-notes.pdf"
    path.write_bytes(pdf)
    # the PDF: poppler reads each isolated run left to right as printed
    words = _pdf_words(path)
    for expected in ("2024-11-05", "021-8888-1234", "AB-12/345", "۱۴۰۳-۰۸-۱۵"):
        assert expected in words, (expected, [w for w in words if re.search("[0-9]", w)])
    assert "05-11-2024" not in words and "1234-8888-021" not in words
    # runs too long for the narrow remarks column wrap, each line in order
    assert words.index("info@qom-") < words.index("municipality.ir")
    assert words.index("Green") < words.index("Plan") < words.index("v2")
    page = _page_with(path, "021-8888-1234")
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", str(page), "-l", str(page),
                    str(path), str(artifacts / "report-mixed-direction-notes")], check=True)


def _pdf_words(path) -> list[str]:
    out = subprocess.run(["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True,
                         check=True, text=True).stdout
    return [html.unescape(word) for word in re.findall(r"<word [^>]*>([^<]*)</word>", out)]


def _page_with(path, word: str) -> int:
    out = subprocess.run(["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True,
                         check=True, text=True).stdout
    for number, body in enumerate(out.split("<page ")[1:], start=1):
        if word in body:
            return number
    return 1
