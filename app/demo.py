"""Demo data for Qom province (``arzyab demo``): idempotent, built through the real services.

Answers are generated from a "quality" per evaluation: each criterion gets the value that
earns about that fraction of its points, so the demo's figures are plausible and stable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app.authoring.services import latest_version, publish_file, rubric_of
from app.db import writing
from app.evaluations import moves, services
from app.extensions import db
from app.i18n import parse_jalali_date, search_key
from app.models import (
    Evaluation,
    EvaluationCycle,
    EvaluationStatus,
    Municipality,
    Province,
    Recommendation,
    User,
)
from app.reports.services import deferred_rendering
from app.rubric import Rubric
from app.rubric.formula import profile_values

DEMO_PASSWORD = "arzyab-demo"
#: login → (full name, roles, "province" / a municipality's name / None for national)
DEMO_USERS = {
    "inspector": ("مریم بختیاری", ("inspector",), None),
    "reviewer": ("علیرضا جواهر", ("reviewer",), "province"),
    "manager": ("محمدحسین صالحی", ("manager",), "province"),
    "dastjerd": ("شهرداری دستجرد", ("municipality",), "دستجرد"),
    "author": ("حسین ابراهیمی", ("author",), None),
    "admin": ("زهرا توحیدی", ("admin",), None),
}
#: what each login is for (README, and the start message)
DEMO_LOGINS = {
    "inspector": "inspector (کارشناس ارزیاب): assigned evaluations, the tablet form",
    "reviewer": "reviewer (کارشناس مسئول): reviews, returns, approves the content",
    "manager": "manager (مدیر کل، قم): reads all of Qom province, signs finals off",
    "dastjerd": "municipality of Dastjerd: its self-declaration, finals, recommendations",
    "author": "rubric author: rubric files, checks, publishing",
    "admin": "administrator: users, municipalities, cycles, audit",
}

# name, county, grade, population (census 1395), budget (million rials), staff, area (ha)
MUNICIPALITIES = [
    ("قم", "قم", 12, 1_201_158, 95_000_000, 9_800, 15_200),
    ("قنوات", "قم", 4, 9_903, 420_000, 85, 610),
    ("جعفریه", "جعفرآباد", 3, 5_106, 260_000, 48, 390),
    ("کهک", "کهک", 3, 2_891, 210_000, 40, 280),
    ("دستجرد", "خلجستان", 2, 1_600, 150_000, 26, 120),
    ("سلفچگان", "قم", 2, 1_972, 170_000, 30, 160),
]

CYCLES = [
    (1403, "ارزیابی عملکرد شهرداری‌های استان قم — سال ۱۴۰۳", "1403/07/01", "1403/09/30", False),
    (1404, "ارزیابی عملکرد شهرداری‌های استان قم — سال ۱۴۰۴", "1404/07/01", "1404/09/30", True),
]

# each town's own report texts: strengths, areas for improvement, and the recommendations
# (unit, text, responsible, deadline month/day of the next year)
REPORT_TEXTS = {
    "دستجرد": (
        "همکاری خوب واحدها با تیم ارزیابی و مستندسازی منظم؛ ثبت به‌موقع درآمدها با وجود "
        "کارکنان اندک.",
        "مکان‌یابی سایت دفن پسماند و نخاله با منابع طبیعی و حفاظت محیط زیست هنوز به نتیجه "
        "نرسیده است؛ تعرفه عوارض چند سال است به‌روز نشده.",
        [("waste", "تعیین محل سایت دفن بهداشتی با همکاری منابع طبیعی و حفاظت محیط زیست",
          "واحد خدمات شهری", "03/31"),
         ("revenue", "تهیه پیشنهاد به‌روزرسانی تعرفه عوارض و بهای خدمات برای تصویب شورا",
          "واحد درآمد", "12/15"),
         ("welfare", "انعقاد تفاهم‌نامه بیمه تکمیلی کارکنان با همکاری شهرداری قم",
          "امور اداری و منابع انسانی", "06/31")]),
    "قم": (
        "سامانه یکپارچه درآمد و حسابداری تعهدی در همه مناطق برقرار است؛ پاسخ‌گویی سامانه "
        "۱۳۷ در مهلت مقرر.",
        "سهم مطالبات معوق عوارض نوسازی در مناطق حاشیه‌ای بالاست و تفکیک پسماند از مبدأ "
        "هنوز در همه مناطق اجرا نمی‌شود.",
        [("revenue", "کاهش مطالبات معوق عوارض نوسازی مناطق ۴ و ۷ با تقسیط و اطلاع‌رسانی",
          "معاونت مالی و اقتصادی", "06/31"),
         ("waste", "گسترش تفکیک پسماند از مبدأ به همه مناطق شهرداری با مشارکت سازمان "
          "مدیریت پسماند", "سازمان مدیریت پسماند", "09/30"),
         ("training", "برگزاری دوره‌های آموزشی فنی برای کارکنان شهرداری‌های کوچک استان "
          "در قالب تفاهم‌نامه کمک فنی", "معاونت توسعه منابع انسانی", "12/15")]),
    "قنوات": (
        "تشکیلات مصوب و ارزشیابی سالانه کارکنان انجام شده است.",
        "تأخیر در پرداخت حقوق و حق بیمه کارکنان و نبود برنامه آموزش ضمن خدمت.",
        [("hr", "برنامه‌ریزی پرداخت منظم حقوق کارکنان با اولویت در بودجه جاری",
          "امور مالی", "03/31"),
         ("training", "تدوین برنامه سالانه آموزش ضمن خدمت و ثبت ساعات آموزش",
          "امور اداری", "06/31")]),
}

# (town, year, quality, final status)
EVALUATIONS = [
    ("دستجرد", 1403, 0.55, EvaluationStatus.APPROVED),
    ("قم", 1403, 0.78, EvaluationStatus.APPROVED),
    ("قنوات", 1403, 0.62, EvaluationStatus.APPROVED),
    ("دستجرد", 1404, 0.62, EvaluationStatus.APPROVED),
    ("قم", 1404, 0.82, EvaluationStatus.APPROVED),
    ("قنوات", 1404, 0.7, EvaluationStatus.SUBMITTED),
    ("سلفچگان", 1404, 0.5, EvaluationStatus.RETURNED),
    ("کهک", 1404, 0.6, EvaluationStatus.DRAFT),
    ("جعفریه", 1404, 0.0, EvaluationStatus.DRAFT),
]


def create_demo() -> str:
    """Create whatever of the demo is missing; return a one-line summary."""
    with writing():
        province = _get_or_add(Province, name="قم")
        towns = {row[0]: _municipality(province, *row) for row in MUNICIPALITIES}
        users = {}
        for username, (name, roles, place) in DEMO_USERS.items():
            town = towns.get(place) if place not in (None, "province") else None
            users[username] = _user(username, name, roles,
                                    province=province if place else None, town=town)
        cycles = {year: _cycle(*rest, year=year) for year, *rest in CYCLES}
        rubric_path = Path(current_app.config["RUBRICS_DIR"]) / "municipal-units.yaml"
        version, _created = publish_file(rubric_path)
    with deferred_rendering():  # the finals render on first download (or reports prepare)
        created = _create_evaluations(towns, cycles, version, users)
    return f"province قم, {len(towns)} municipalities, {len(cycles)} cycles, " \
           f"{created} new evaluations, rubric {latest_version('municipal-units').version_label}"


def demo_certificate() -> str:
    """The self-signed signing certificate of the demo, under DATA_DIR/signing (made once;
    never committed). Finals are signed with it while no REPORT_SIGNING_P12 is configured."""
    from app.reports.signing import make_demo_certificate

    folder = Path(current_app.config["DATA_DIR"]) / "signing"
    return make_demo_certificate(folder, current_app.config["OFFICE_NAME"]).p12_path


def _create_evaluations(towns, cycles, version, users) -> int:
    created = 0
    for town, year, quality, status in EVALUATIONS:
        municipality, cycle = towns[town], cycles[year]
        exists = db.session.scalar(select(Evaluation).where(
            Evaluation.municipality_id == municipality.id, Evaluation.cycle_id == cycle.id))
        if exists is not None:
            continue
        with writing():
            _open_cycle(cycle, True)
            _build_evaluation(municipality, cycle, version, users, quality, status)
            _open_cycle(cycle, year == 1404)
        created += 1
    return created


def _get_or_add(model, **fields):
    row = db.session.scalar(select(model).filter_by(**fields))
    if row is None:
        row = model(**fields)
        db.session.add(row)
        db.session.flush()
    return row


def _user(username: str, full_name: str, roles, *, province=None, town=None) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, full_name=full_name,
                    province_id=province.id if province else None,
                    municipality_id=town.id if town else None)
        user.set_password(DEMO_PASSWORD)
        user.set_roles(roles)
        db.session.add(user)
        db.session.flush()
    return user


def _municipality(province, name, county, grade, population, budget, staff, area
                  ) -> Municipality:
    town = db.session.scalar(select(Municipality).where(Municipality.province_id == province.id,
                                                        Municipality.name == name))
    if town is None:
        town = Municipality(province=province, name=name, name_key=search_key(name),
                            county=county, grade=grade, population=population, census_year=1395,
                            budget_million_rial=budget, staff_count=staff, area_hectares=area)
        db.session.add(town)
        db.session.flush()
    return town


def _cycle(title, start, end, is_open, *, year) -> EvaluationCycle:
    cycle = db.session.scalar(select(EvaluationCycle).where(EvaluationCycle.year == year))
    if cycle is None:
        cycle = EvaluationCycle(year=year, title=title, visit_start=parse_jalali_date(start),
                                visit_end=parse_jalali_date(end), is_open=is_open)
        db.session.add(cycle)
        db.session.flush()
    return cycle


def _open_cycle(cycle, is_open: bool) -> None:
    cycle.is_open = is_open
    db.session.flush()


def _build_evaluation(municipality, cycle, version, users, quality, status) -> Evaluation:
    inspector, reviewer, manager = users["inspector"], users["reviewer"], users["manager"]
    evaluation = services.create_evaluation(
        municipality, cycle, version, inspectors=[inspector], reviewer=reviewer,
        due_date=cycle.visit_end or dt.date.today())
    evaluation.visit_dates = _visit_dates(cycle)
    evaluation.visit_date = parse_jalali_date(_visit_dates(cycle))
    if quality <= 0:
        return evaluation
    rubric = rubric_of(version)
    answers = demo_answers(rubric, evaluation.tier_id, quality,
                           partial=status == EvaluationStatus.DRAFT,
                           profile=services.profile_of(evaluation))
    account = next((u for u in users.values() if u.municipality_id == municipality.id), None)
    if account is not None:
        _declare(evaluation, rubric, answers, account, quality)
    services.save_answers(evaluation, answers, user=inspector)
    if account is not None:
        _verify(evaluation, inspector)
    _follow_up(evaluation, inspector, account)
    if status == EvaluationStatus.DRAFT:
        return evaluation
    notes = {cid: {"note": "کمبود نیرو و اعتبار؛ در برنامه سال آینده پیگیری می‌شود."}
             for cid in moves.submission_problems(evaluation)}
    if notes:
        services.save_answers(evaluation, notes, user=inspector)
    moves.submit(evaluation, user=inspector)
    if status == EvaluationStatus.RETURNED:
        first = next(iter(answers))
        moves.return_for_changes(
            evaluation, user=reviewer,
            comments={first: "مستندات این شاخص کامل نیست؛ صورتجلسه را پیوست کنید."})
    elif status == EvaluationStatus.APPROVED:
        strengths, improvements, recommendations = REPORT_TEXTS[municipality.name]
        evaluation.strengths_text, evaluation.improvements_text = strengths, improvements
        for position, (unit, text, responsible, deadline) in enumerate(recommendations, 1):
            evaluation.recommendations.append(Recommendation(
                unit_id=unit, text=text, responsible=responsible, position=position,
                deadline=parse_jalali_date(f"{cycle.year + 1}/{deadline}")))
        db.session.flush()  # entered while the evaluation is still open, as in the app
        moment = _approval_time(cycle)
        moves.approve(evaluation, user=reviewer, at=moment)
        moves.sign_off(evaluation, user=manager,
                          at=moment + dt.timedelta(days=3) if moment else None)
    return evaluation


def _declare(evaluation, rubric, answers: dict, account, quality: float) -> None:
    """The municipality's self-declaration before the visit: the inspectors' figures for
    most declared criteria, a rosier one (what a better quality would answer) for every
    third, as the demo's corrections."""
    from app.declarations.services import save_declaration

    profile = profile_values(services.profile_of(evaluation))
    changes = {}
    for index, criterion in enumerate(rubric.declared(evaluation.tier_id)):
        answer = answers.get(criterion.id)
        if answer is None:
            continue
        if index % 3 == 1:
            answer = criterion.kind.demo_answer(criterion, evaluation.tier_id,
                                                min(1.0, quality + 0.35), profile)
        raw = {key: value for key, value in answer.items() if key != "note"}
        changes[criterion.id] = {"raw": raw,
                                 "note": "از تفریغ بودجه و گزارش سامانه درآمد سال گذشته"}
    before = (evaluation.cycle.visit_start or dt.date.today()) - dt.timedelta(days=10)
    save_declaration(evaluation, changes, user=account, today=before,
                     at=dt.datetime.combine(before, dt.time(9, 0)))


def _verify(evaluation, inspector) -> None:
    """The inspector's reasons for the declared values the answers correct."""
    from app.declarations.services import CORRECTED, record_correction, rows

    for row in rows(evaluation):
        if row.verdict == CORRECTED:
            record_correction(evaluation, row.criterion.id,
                              "رقم اظهارشده با اسناد مالی و گزارش سامانه نمی‌خواند؛ رقم "
                              "اسناد ثبت شد.", user=inspector)


#: the inspectors' findings on the previous final's recommendations, in turn
FINDINGS = [("done", ""),
            ("partly", "مکاتبه انجام شده ولی مصوبه شورا هنوز صادر نشده است."),
            ("not_done", "اقدامی دیده نشد؛ در برنامه سال آینده پیگیری شود.")]


def _follow_up(evaluation, inspector, account) -> None:
    """The previous final's recommendations: the municipality answers every other one, the
    inspectors judge each in turn (done, in part, not done)."""
    from app.recommendations.services import carried_over, respond, set_follow_up

    for index, item in enumerate(carried_over(evaluation)["items"]):
        recommendation = item["recommendation"]
        if account is not None and index % 2 == 0:
            respond(recommendation, user=account, progress=60 + 20 * (index % 3),
                    action_taken="مکاتبه با دستگاه‌های مسئول و تهیه برنامه اجرایی",
                    evidence="نامه شماره ۱۲۳/ش مورخ ۱۴۰۴/۰۲/۱۰", acted_on=recommendation.deadline)
        outcome, note = FINDINGS[index % len(FINDINGS)]
        set_follow_up(evaluation, recommendation.id, user=inspector, outcome=outcome, note=note)


def _approval_time(cycle) -> dt.datetime | None:
    """Approved at the end of the cycle's visit window, as it would have been."""
    if cycle.visit_end is None:
        return None
    return dt.datetime.combine(cycle.visit_end, dt.time(6, 30))


def _visit_dates(cycle) -> str:
    return f"{cycle.year}/08/12"


def demo_answers(rubric: Rubric, tier_id: str, quality: float, partial: bool = False,
                 profile: dict | None = None) -> dict:
    """Answers that earn about `quality` of each applicable criterion's points (each type
    knows how: :meth:`CriterionType.demo_answer`)."""
    values = profile_values(profile)
    answers = {}
    for index, criterion in enumerate(c for c in rubric.criteria() if c.applies(tier_id)):
        if partial and index % 3 == 2:
            continue
        jitter = (_stable_fraction(criterion.id) - 0.5) * 0.3
        q = max(0.0, min(1.0, quality + jitter))
        answer = criterion.kind.demo_answer(criterion, tier_id, q, values)
        if criterion.note_required_below is not None and q < criterion.note_required_below:
            answer["note"] = "کمبود نیرو و اعتبار؛ در برنامه سال آینده پیگیری می‌شود."
        answers[criterion.id] = answer
    return answers


def _stable_fraction(text: str) -> float:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
