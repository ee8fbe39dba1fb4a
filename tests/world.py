"""A second province beside the Qom demo, and people in every relation to the demo's objects,
for the tests of who sees what (tests/test_access_matrix.py).

The world holds, besides the demo:

- province «اصفهان» with the municipality «نطنز» and its signed final of 1404 (inspected by
  ``inspector_x``, reviewed by ``reviewer_x``, signed by ``manager_x``), one recommendation;
- people of Qom assigned to nothing (``inspector_q``, ``reviewer_q``), a province-bound admin
  of each province (``admin_q``, ``admin_x``), the other province's director-general
  (``manager_x``), the account of the municipality of Qom (``qom``) and of Natanz
  (``natanz``);
- Salafchegan 1404 approved by the reviewer, waiting for the director-general's sign-off;
- an open cycle 1405 with Dastjerd's draft (assigned to the demo's inspector and reviewer),
  Dastjerd's declaration on it and the 1404 final's recommendations to follow up.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.demo import DEMO_PASSWORD, demo_answers
from app.evaluations import moves, services
from app.extensions import db
from app.models import (
    Evaluation,
    EvaluationCycle,
    Municipality,
    Province,
    Recommendation,
    RubricVersion,
    User,
)

#: username → (roles, province: "q" Qom / "x" Isfahan / None, municipality name or None)
PEOPLE = {
    "inspector_q": (["inspector"], "q", None),
    "reviewer_q": (["reviewer"], "q", None),
    "inspector_x": (["inspector"], "x", None),
    "reviewer_x": (["reviewer"], "x", None),
    "manager_x": (["manager"], "x", None),
    "admin_q": (["admin"], "q", None),
    "admin_x": (["admin"], "x", None),
    "qom": (["municipality"], "q", "قم"),
    "natanz": (["municipality"], "x", "نطنز"),
}


def _user(username):
    return db.session.scalar(select(User).where(User.username == username))


def _evaluation(town, year):
    return db.session.scalar(
        select(Evaluation).join(Municipality).join(EvaluationCycle)
        .where(Municipality.name == town, EvaluationCycle.year == year))


def build_world() -> None:
    """Add the world to the demo database (inside ``writing()``; deferred rendering)."""
    from app.declarations.services import save_declaration

    qom = db.session.scalar(select(Province).where(Province.name == "قم"))
    isfahan = Province(name="اصفهان")
    db.session.add(isfahan)
    db.session.flush()
    natanz = Municipality(province=isfahan, name="نطنز", name_key="نطنز", county="نطنز",
                          grade=3, population=12_060, census_year=1395,
                          budget_million_rial=300_000, staff_count=60, area_hectares=900)
    db.session.add(natanz)
    db.session.flush()
    towns = {m.name: m for m in db.session.scalars(select(Municipality))}
    for username, (roles, place, town) in PEOPLE.items():
        person = User(username=username, full_name=f"آزمون {username}",
                      province_id={"q": qom.id, "x": isfahan.id}.get(place),
                      municipality_id=towns[town].id if town else None)
        person.set_password(DEMO_PASSWORD)
        person.set_roles(roles)
        db.session.add(person)
    db.session.flush()

    version = db.session.scalar(select(RubricVersion).order_by(RubricVersion.id.desc()))
    cycle_1404 = db.session.scalar(select(EvaluationCycle).where(EvaluationCycle.year == 1404))
    # Natanz 1404: a final of the other province
    final = services.create_evaluation(natanz, cycle_1404, version,
                                       inspectors=[_user("inspector_x")],
                                       reviewer=_user("reviewer_x"))
    rubric = services.rubric_for(final)
    answers = demo_answers(rubric, final.tier_id, 0.9, profile=services.profile_of(final))
    services.save_answers(final, answers, user=_user("inspector_x"))
    moves.submit(final, user=_user("inspector_x"))
    services.set_report_texts(
        final, user=_user("reviewer_x"), strengths="نظم اسناد مالی",
        improvements="نگهداری فضای سبز",
        recommendations=[{"unit_id": "waste", "text": "ساماندهی ایستگاه‌های بازیافت نطنز",
                          "responsible": "خدمات شهری", "deadline": dt.date(2026, 6, 1)}])
    moves.approve(final, user=_user("reviewer_x"))
    moves.sign_off(final, user=_user("manager_x"))

    # Salafchegan 1404: returned in the demo; now approved, waiting for the sign-off
    waiting = _evaluation("سلفچگان", 1404)
    notes = {cid: {"note": "کمبود نیرو و اعتبار"} for cid in
             moves.submission_problems(waiting)}
    if notes:
        services.save_answers(waiting, notes, user=_user("inspector"))
    moves.submit(waiting, user=_user("inspector"))
    moves.approve(waiting, user=_user("reviewer"))

    # 1405: open, Dastjerd's draft with its declaration
    cycle = EvaluationCycle(year=1405, title="ارزیابی ۱۴۰۵", is_open=True,
                            visit_start=dt.date.today() + dt.timedelta(days=30),
                            visit_end=dt.date.today() + dt.timedelta(days=90))
    db.session.add(cycle)
    db.session.flush()
    draft = services.create_evaluation(towns["دستجرد"], cycle, version,
                                       inspectors=[_user("inspector")],
                                       reviewer=_user("reviewer"))
    declared = services.rubric_for(draft).declared(draft.tier_id)
    figures = demo_answers(services.rubric_for(draft), draft.tier_id, 0.7,
                           profile=services.profile_of(draft))
    save_declaration(draft, {c.id: {"raw": {k: v for k, v in figures[c.id].items()
                                            if k != "note"}, "note": "تفریغ بودجه"}
                             for c in declared}, user=_user("dastjerd"))
    db.session.flush()


def ids() -> dict:
    """The ids the matrix's URLs are made of."""
    dastjerd = _evaluation("دستجرد", 1404)
    natanz = _evaluation("نطنز", 1404)
    draft_1405 = _evaluation("دستجرد", 1405)
    declared = services.rubric_for(draft_1405).declared(draft_1405.tier_id)
    return {
        "final": dastjerd.id, "final_x": natanz.id,
        "draft": _evaluation("جعفریه", 1404).id,
        "submitted": _evaluation("قنوات", 1404).id,
        "waiting": _evaluation("سلفچگان", 1404).id,
        "draft_1405": draft_1405.id, "declared": declared[0].id,
        "recommendation": dastjerd.recommendations[0].id,
        "recommendation_x": natanz.recommendations[0].id,
        "version": db.session.scalar(select(RubricVersion.id)),
        "cycle": db.session.scalar(select(EvaluationCycle.id)
                                   .where(EvaluationCycle.year == 1404)),
        "user_q": _user("reviewer_q").id, "user_x": _user("reviewer_x").id,
        "town": dastjerd.municipality_id, "town_x": natanz.municipality_id,
        "province_x": natanz.municipality.province_id,
    }


def recommendation_of(evaluation_id: int) -> Recommendation:
    return db.session.scalar(select(Recommendation)
                             .where(Recommendation.evaluation_id == evaluation_id))
