"""The report content, checked on the plain-dict context and the rendered HTML (fast: no PDF).

PDF text extraction of Persian is lossy, so the content of the report is tested here; the
PDF tests (test_pdf.py) check pages, fonts and a few phrases.
"""

import datetime as dt
import json
import re
from pathlib import Path

from app.evaluations.services import rubric_for
from app.extensions import db
from app.i18n import format_number
from app.models import Answer, Recommendation
from app.reports import charts, services, settings
from app.reports.context import (
    NOTE_LIMIT,
    comparison_context,
    evaluation_context,
    previous_evaluation,
)
from tests.reports.conftest import evaluation_of

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "reports"


def _context(evaluation):
    with settings.report_locale():
        return evaluation_context(evaluation)


def _visible_text(html: str) -> str:
    """The text a reader sees: no head/style, no tags, no Latin codes (hashes, tier ids)."""
    html = re.sub(r"<head>.*?</head>", "", html, flags=re.S)
    html = re.sub(r'<bdi dir="ltr" class="code">.*?</bdi>', "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_context_is_plain_json_with_every_section(dastjerd):
    context = _context(dastjerd)
    assert json.loads(json.dumps(context, ensure_ascii=False)) == context  # no ORM objects

    assert set(context) >= {"letterhead", "title", "method", "profile", "summary", "chart",
                            "units", "highlights", "recommendations", "signatures", "copies"}
    assert context["title"] == "گزارش ارزیابی عملکرد واحدهای شهرداری دستجرد — سال ۱۴۰۴"
    head = context["letterhead"]
    assert head["invocation"] == "بسمه تعالی"
    assert head["authority"] == "استانداری قم"
    assert head["number"] == "۱۴۰۴/" + "".join("۰۱۲۳۴۵۶۷۸۹"[int(d)] for d in f"{dastjerd.id:04d}")
    assert re.fullmatch(r"[۰-۹]{4}/[۰-۹]{2}/[۰-۹]{2}", head["date"])

    assert context["method"]["inspectors"] == ["مریم بختیاری"]
    assert context["method"]["reviewers"] == ["علیرضا جواهر"]
    assert context["profile"]["grade"] == 2 and context["profile"]["population"] == 1600
    assert context["profile"]["tier_id"] == "S"
    assert context["profile"]["tier_description"]

    summary = context["summary"]
    assert (summary["score"], summary["raw"], summary["band"]) == \
        (dastjerd.score, dastjerd.raw_score, dastjerd.band)
    assert "با توجه به امکانات موجود در شهرهای هم‌رده استان" in summary["statement"]
    assert f"«{dastjerd.band}»" in summary["statement"]
    assert summary["rank"] == {"position": 1, "of": 1, "tier": "شهرهای کوچک (درجه ۱ تا ۴)"}
    before = previous_evaluation(dastjerd)
    assert summary["change"]["year"] == 1403
    assert summary["change"]["delta"] == round(dastjerd.score - before.score, 1)

    assert len(context["units"]) == len(context["chart"]["rows"]) == 12
    for unit in context["units"]:
        for row in unit["criteria"]:
            assert set(row) >= {"title", "target", "value", "max_points", "points",
                                "documents", "photos", "note"}
    assert context["highlights"]["best"] and context["highlights"]["weakest"]
    assert context["highlights"]["strengths_text"].startswith("همکاری خوب")
    roles = [s["role"] for s in context["signatures"]]
    assert roles == ["کارشناس ارزیاب", "تأیید محتوا: کارشناس مسئول",
                     "تأیید: مدیرکل دفتر امور شهری و شوراها"]
    # the reviewer approved the content, the director-general (another person) signed it off
    assert [s["name"] for s in context["signatures"][1:]] == ["علیرضا جواهر", "محمدحسین صالحی"]
    assert context["copies"][0].startswith("شهرداری دستجرد")


def test_rendered_html_has_every_section_in_persian(dastjerd):
    html, context = services.evaluation_html(dastjerd)
    for section in ("method", "profile", "summary", "chart", "units", "highlights",
                    "recommendations", "signatures", "copies"):
        assert f'id="{section}"' in html
    for phrase in ("بسمه تعالی", "شماره", "تاریخ", "پیوست", "روش و تیم ارزیابی",
                   "مشخصات شهرداری", "خلاصه مدیریتی", "نمودار امتیاز واحدها",
                   "ارزیابی واحدها", "نقاط قوت و نقاط قابل بهبود", "پیشنهادها", "امضاها",
                   "رونوشت", "شاخص", "هدف این رده", "مقدار", "سقف امتیاز", "امتیاز مکتسبه",
                   "مستندات", "ملاحظات", "امتیاز تعدیل‌شده", "امتیاز خام", "رتبه در رده",
                   "تغییر نسبت به ۱۴۰۳", "مدیریت پسماند و نخاله", "مریم بختیاری", "کد تصدیق"):
        assert phrase in html, phrase
    # the final (from its snapshot) carries its verification code, its QR code, no watermark
    assert context["verification"]["display"] in html and '<svg viewBox=' in html
    assert 'class="watermark"' not in html
    # every number a reader sees is in Persian digits
    visible = _visible_text(html)
    assert not re.search(r"[0-9]", visible), re.findall(r".{20}[0-9].{20}", visible)[:5]
    assert format_number(dastjerd.score) in visible


def test_print_templates_follow_the_typography_rules():
    css = (TEMPLATES / "report.css").read_text()
    sources = css + "".join(p.read_text() for p in TEMPLATES.glob("*.html"))
    assert not re.search(r"letter-spacing\s*:", sources)
    assert not re.search(r"display:\s*(inline-)?grid|grid-template", sources)
    assert "counter(page, persian)" in css and "counter(pages, persian)" in css
    assert re.findall(r"url\(\"?([^\")]+)", css) == [
        "arzyab:fonts/ttf/Vazirmatn-Regular.ttf", "arzyab:fonts/ttf/Vazirmatn-Bold.ttf"]
    assert "http" not in sources


def test_inspector_text_is_escaped_and_shortened_and_drafts_are_watermarked(demo_ctx):
    draft = evaluation_of("کهک", 1404)
    answer = draft.answers[0]
    answer.note = '<img src="file:///etc/passwd"><script>x</script>' + "ب" * 5000
    db.session.commit()
    html, context = services.evaluation_html(draft)
    assert '<img src="file:///etc/passwd">' not in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;&lt;script&gt;" in html
    note = next(row["note"] for unit in context["units"] for row in unit["criteria"]
                if row["id"] == answer.criterion_id)
    # the table keeps the opening words; the annex prints the note, cut at the most a note
    # can be saved (longer text can only come from outside the app) with a marker saying so
    assert len(note) < NOTE_LIMIT and note.endswith("(متن کامل: یادداشت ۱ پیوست)")
    (annexed,) = context["annex"]
    assert annexed["text"].endswith("[کوتاه شده است؛ متن کامل در ارزیاب]")
    assert len(annexed["text"]) < 4000 + 60
    assert 'class="watermark"' in html and ">پیش‌نویس</div>" in html
    assert "کد تصدیق" not in html
    assert not context["final"] and context["letterhead"]["number"] == ""


def test_na_answers_print_their_reason(demo_ctx):
    draft = evaluation_of("کهک", 1404)
    rubric = rubric_for(draft)
    criterion = next(c for c in rubric.criteria() if c.allow_na and c.applies(draft.tier_id))
    stored = {a.criterion_id: a for a in draft.answers}
    answer = stored.get(criterion.id) or Answer(criterion_id=criterion.id)
    answer.value, answer.na, answer.na_reason = None, True, "ایستگاه آتش‌نشانی ندارد"
    if criterion.id not in stored:
        draft.answers.append(answer)
    db.session.commit()
    context = _context(draft)
    unit = next(u for u in context["units"] if u["id"] == criterion.unit_id)
    assert {"id": criterion.id, "title": criterion.title,
            "reason": "ایستگاه آتش‌نشانی ندارد"} in unit["na_items"]
    row = next(r for r in unit["criteria"] if r["id"] == criterion.id)
    assert row["value"] == "موضوعیت ندارد" and row["points"] is None


def test_recommendations_with_responsible_and_jalali_deadline(demo_ctx):
    draft = evaluation_of("کهک", 1404)  # approved evaluations cannot take new rows
    db.session.add_all([
        Recommendation(evaluation_id=draft.id, unit_id="waste", position=1,
                       text="پیگیری صدور مجوز زیست‌محیطی سایت دفن",
                       responsible="واحد خدمات شهری", deadline=dt.date(2026, 3, 20)),
        Recommendation(evaluation_id=draft.id, position=2, text="بازنگری تعرفه عوارض",
                       responsible="شورای اسلامی شهر"),
    ])
    db.session.commit()
    recommendations = _context(draft)["recommendations"]
    assert recommendations[-2:] == [
        {"text": "پیگیری صدور مجوز زیست‌محیطی سایت دفن", "responsible": "واحد خدمات شهری",
         "deadline": "۱۴۰۴/۱۲/۲۹", "unit": "مدیریت پسماند و نخاله"},
        {"text": "بازنگری تعرفه عوارض", "responsible": "شورای اسلامی شهر", "deadline": "",
         "unit": ""},
    ]
    html, _ = services.evaluation_html(draft)
    assert "۱۴۰۴/۱۲/۲۹" in html and "مسئول اجرا" in html and "مهلت" in html


def test_comparison_ranks_within_tiers_with_change_since_last_cycle(demo_ctx):
    cycle, province = services.find_cycle("۱۴۰۴"), services.find_province("قم")
    with settings.report_locale():
        context = comparison_context(cycle, province)
    assert json.loads(json.dumps(context, ensure_ascii=False)) == context
    tiers = {tier["id"]: tier for tier in context["tiers"]}
    assert list(tiers) == ["S", "L"]
    dastjerd = evaluation_of("دستجرد", 1404)
    (row,) = tiers["S"]["rows"]
    assert (row["name"], row["rank"], row["raw_rank"], row["score"]) == \
        ("دستجرد", 1, 1, dastjerd.score)
    assert row["delta"] == round(dastjerd.score - evaluation_of("دستجرد", 1403).score, 1)
    assert [r["name"] for r in tiers["L"]["rows"]] == ["قم"]
    assert len(context["units"]) == 13  # every unit of the rubric; transport is not for tier S
    assert [len(row["cells"]) for row in context["matrix"]] == [13, 13]
    transport = [u["id"] for u in context["units"]].index("transport")
    assert context["matrix"][0]["cells"][transport] == {"score": None, "band": "", "tint": ""}
    assert context["matrix"][1]["cells"][transport]["tint"].startswith("#")
    assert {p["name"] for p in context["pending"]} == {"قنوات", "سلفچگان", "کهک", "جعفریه"}
    html, _ = services.comparison_html(cycle, province)
    assert "رتبه‌بندی در هر رده" in html and "امتیاز واحدها به تفکیک شهرداری" in html


def test_band_colours_and_bar_widths():
    bands = [(0, "ضعیف"), (90, "عالی"), (60, "مناسب")]
    colours = charts.band_colours(bands)
    assert list(colours) == ["عالی", "مناسب", "ضعیف"]
    assert colours["عالی"] == charts.PALETTE[0] and colours["ضعیف"] == charts.PALETTE[-1]
    assert [charts.percent(v) for v in (None, -3, 45.6, 130)] == [0, 0, 46, 100]
    assert charts.tint("#000000", 0.5) == "#808080"
    row = charts.bar("پسماند", 72.4, 65.0, "مناسب", colours)
    assert (row["score_pct"], row["raw_pct"], row["colour"]) == (72, 65, colours["مناسب"])
