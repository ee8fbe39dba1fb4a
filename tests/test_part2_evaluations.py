"""Part-2 criteria end to end on a real database: stored, read back, scored with the pinned
profile, asked in the form (with and without JavaScript), printed in the report."""

import pytest
from sqlalchemy import select

from app.authoring.services import publish_rubric
from app.db import writing
from app.evaluations import services
from app.evaluations.services import ServiceError
from app.extensions import db
from app.models import Answer, Evaluation, EvaluationCycle, Municipality, User
from app.reports import settings as report_settings
from app.reports.context import evaluation_context
from tests.helpers import csrf_token, login
from tests.rubric.base2 import BASE2

SAVE = {"X-Arzyab-Save": "1"}
FULL = {
    "1.1": {"inputs": {"green_area": "۱۴٬۴۰۰"}},
    "1.2": {"value": "۸۵"},
    "2.1": {"samples": [{"site": "بوستان ملت", "value": "2"}, {"site": "میدان امام",
                                                                "value": "1"}]},
    "2.2": {"value": ["plan"]},
    "3.1": {"value": True},
}


def _user(name):
    return db.session.scalar(select(User).where(User.username == name))


def _plan():
    with writing():
        version, _created = publish_rubric(BASE2.replace('version: "1"', 'version: "p2-1"'))
        cycle = EvaluationCycle(year=1405, title="۱۴۰۵", is_open=True)
        db.session.add(cycle)
        town = db.session.scalar(select(Municipality).where(Municipality.name == "دستجرد"))
        evaluation = services.create_evaluation(town, cycle, version,
                                                inspectors=[_user("inspector")],
                                                reviewer=_user("reviewer"))
    return evaluation.id


@pytest.fixture
def p2(demo_ctx):
    """A draft evaluation of Dastjerd (grade 2, 1,600 people) in a new cycle, on the part-2
    test rubric; returns its id."""
    return _plan()


@pytest.fixture
def p2_web(demo_app):
    """The same, for tests that go through HTTP: no application context is held open
    between their requests (each request makes its own, as in production)."""
    with demo_app.app_context():
        return _plan()


def _save(eid, changes, **kw):
    with writing():
        return services.save_answers(db.session.get(Evaluation, eid), changes,
                                     user=_user("inspector"), **kw)


def test_structured_answers_are_stored_and_read_back(p2):
    _save(p2, FULL)
    rows = {a.criterion_id: a for a in db.session.scalars(
        select(Answer).where(Answer.evaluation_id == p2))}
    assert rows["1.1"].data == {"inputs": {"green_area": 14400}} and rows["1.1"].value == 9
    assert rows["2.2"].data == {"items": ["plan"]} and rows["2.2"].value == 2
    assert rows["2.1"].data["samples"][0] == {"site": "بوستان ملت", "value": 2}
    assert rows["2.1"].value is None and rows["3.1"].value == 1
    card = services.scorecard(db.session.get(Evaluation, p2))
    assert card.complete and card.criterion("1.1").value == 9
    assert card.criterion("2.1").fraction == pytest.approx(0.75)
    evaluation = db.session.get(Evaluation, p2)
    assert evaluation.gates == [{"id": "core", "met": True, "raw_met": True},
                                {"id": "permit", "met": True, "raw_met": True}]
    assert evaluation.ungated_score == evaluation.score


def test_a_failed_gate_is_stored_with_both_scores(p2):
    _save(p2, {**FULL, "3.1": {"value": False}})
    evaluation = db.session.get(Evaluation, p2)
    assert evaluation.gates[1] == {"id": "permit", "met": False, "raw_met": False}
    assert evaluation.score == pytest.approx(evaluation.ungated_score * 0.5, abs=0.06)
    assert evaluation.gated


def test_the_profile_is_pinned_when_planned(p2):
    _save(p2, {"1.1": FULL["1.1"]})
    with writing():
        town = db.session.scalar(select(Municipality).where(Municipality.name == "دستجرد"))
        town.population = 3200  # a later census: the evaluation keeps what it was planned with
    evaluation = db.session.get(Evaluation, p2)
    assert services.scorecard(evaluation).criterion("1.1").value == 9
    _save(p2, {"1.1": {"inputs": {"green_area": 16000}}})
    assert db.session.get(Evaluation, p2).answers[0].value == 10


@pytest.mark.parametrize("change, phrase", [
    ({"1.1": {"inputs": {"green_area": "-5"}}}, "صفر یا بیشتر"),
    ({"1.1": {"value": "9"}}, "ورودی‌هایش"),
    ({"2.2": {"value": ["planning"]}}, "فهرست وارسی"),
    ({"2.1": {"samples": [{"site": "", "value": "2"}]}}, "محل"),
    ({"1.2": {"value": "12,5"}}, "دو جور"),
    ({"3.1": {"value": True, "na": "false"}}, "خوانده نشد"),
])
def test_bad_part2_answers_are_refused_with_a_message(p2, change, phrase):
    with pytest.raises(ServiceError) as info:
        _save(p2, change)
    assert info.value.status == 422
    (message,) = info.value.details["errors"].values()
    assert phrase in message
    assert not db.session.scalars(select(Answer).where(Answer.evaluation_id == p2)).all()


def test_autosave_json_and_the_plain_form_post(p2_web, client, demo_app):
    p2 = p2_web
    login(client, "inspector")
    response = client.post(f"/evaluations/{p2}/answers", headers=SAVE,
                           json={"key": "k" * 32, "changes": FULL})
    assert response.status_code == 200, response.json
    assert response.json["score"]["values"]["1.1"] == 9
    assert [g["met"] for g in response.json["score"]["gates"]] == [True, True]

    page = client.get(f"/evaluations/{p2}").text
    assert "جمعیت ۱٬۶۰۰ نفر" in page          # the profile value the formula reads
    assert 'value="14400"' in page or 'value="۱۴۴۰۰"' in page
    assert 'name="c2_2e_2_items" value="plan" checked' in page
    assert "بوستان ملت" in page and "افزودن محل" in page
    assert "پله‌های امتیاز این رده" in page and "قواعد داوری" in page

    form = {"csrf_token": csrf_token(page), "base_version": str(response.json["version"]),
            "c1_2e_1_in_green_area": "۸٬۰۰۰", "c1_2e_2": "65",
            "c2_2e_1_samples-0-site": "پارک", "c2_2e_1_samples-0-value": "2",
            "c2_2e_1_samples-1-site": "میدان", "c2_2e_1_samples-1-value": "2",
            "c2_2e_1_samples-2-site": "بازار", "c2_2e_1_samples-2-value": "0",
            "c2_2e_2_answered": "y", "c3_2e_1": "no"}
    for key in ("1_2e_1", "1_2e_2", "2_2e_1", "2_2e_2", "3_2e_1"):
        form[f"c{key}_note"] = ""
    posted = client.post(f"/evaluations/{p2}", data=form)
    assert posted.status_code == 302, posted.text[:2000]
    with demo_app.app_context():
        card = services.scorecard(db.session.get(Evaluation, p2))
    assert card.criterion("1.1").value == 5
    assert card.criterion("2.2").value == () and card.criterion("2.2").answered
    assert [row["site"] for row in card.criterion("2.1").details["samples"]] == [
        "پارک", "میدان", "بازار"]
    assert card.criterion("3.1").fraction == 0.0 and not card.gates[1].met


def test_the_report_prints_inputs_sites_and_gates(p2):
    _save(p2, {**FULL, "3.1": {"value": False}})
    with report_settings.report_locale():
        doc = evaluation_context(db.session.get(Evaluation, p2))
    rows = {c["id"]: c for unit in doc["units"] for c in unit["criteria"]}
    assert "مساحت: ۱۴٬۴۰۰ مترمربع" in rows["1.1"]["details"]
    assert "جمعیت ۱٬۶۰۰ نفر" in rows["1.1"]["details"]
    assert rows["1.1"]["value"] == "۹"
    assert [s["site"] for s in rows["2.1"]["samples"]] == ["بوستان ملت", "میدان امام"]
    assert rows["2.2"]["details"] == ["برنامه"] and rows["1.2"]["steps"]
    gates = doc["gates"]
    assert [(g["id"], g["met"]) for g in gates["rows"]] == [("core", True), ("permit", False)]
    assert "ضرب" in gates["rows"][1]["effect"] and gates["gated"]
