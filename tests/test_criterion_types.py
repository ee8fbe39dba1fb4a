"""A criterion type is one object: a type registered here, in the test, and nowhere else
appears in the loader, the score, the form and the report text."""

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from app.authoring.services import publish_rubric
from app.db import writing
from app.evaluations import services
from app.extensions import db
from app.i18n import format_quantity
from app.models import Evaluation, EvaluationCycle, Municipality, User
from app.reports import settings as report_settings
from app.reports.context import evaluation_context
from app.rubric import load_rubric, types
from app.rubric.types.base import CriterionType, is_empty, shown
from app.rubric.values import AnswerError
from app.scoring import score
from tests.helpers import login

ROOT = Path(__file__).resolve().parent.parent


class StarsType(CriterionType):
    """One to `stars` stars; every star earns an equal share of the weight."""

    name = "stars"
    title = "stars"
    keys = ("stars",)
    widget = "number"

    def read(self, reader, spec):
        field = spec.fields.get("stars")
        count = reader.whole(field, spec.where.at("stars")) if field else 5
        return None if count is None else {"full_at": float(count)}

    def read_value(self, criterion, raw):
        if is_empty(raw):
            return None
        try:
            value = int(str(raw))
        except ValueError:
            raise AnswerError("A004", {"id": criterion.id, "value": shown(raw)}, "value") \
                from None
        return float(value)

    def value_fraction(self, criterion, value, tier_id, own_tier=None):
        return max(0.0, min(1.0, value / criterion.full_at))

    def say_value(self, criterion, value, lang):
        return "★" * int(value) + f" ({format_quantity(value, lang)})"

    def target_text(self, criterion, tier_id, lang="fa"):
        return "★" * int(criterion.full_at)


RUBRIC = """\
id: stars-test
version: "s1"
title: آزمون ستاره
tiers:
  - {id: A, grades: [1, 12]}
bands:
  - {min: 50, label: خوب}
  - {min: 0, label: ضعیف}
units:
  - id: u
    title: واحد
    weight: 1
    criteria:
      - {id: "9.1", title: رضایت شهروندان, type: stars, stars: 4, weight: 2}
      - {id: "9.2", title: مصوبه, type: yesno, weight: 2}
"""


@pytest.fixture
def stars():
    kind = types.register(StarsType())
    yield kind
    types.unregister("stars")


def test_a_registered_type_is_loaded_and_scored(stars):
    rubric = load_rubric(RUBRIC)
    criterion = rubric.criterion("9.1")
    assert criterion.kind is stars and criterion.full_at == 4
    card = score(rubric, "A", {"9.1": _answer(criterion, "3")})
    assert card.criterion("9.1").fraction == 0.75 and card.score == 75.0


def test_without_registration_the_type_is_unknown():
    from app.rubric import check_rubric

    problem = check_rubric(RUBRIC)[1][0]
    assert problem.code == "R205" and "stars" in problem.params["value"]


def _answer(criterion, raw):
    from app.rubric import coerce_answer

    return coerce_answer(criterion, raw)


def test_a_registered_type_reaches_the_form_the_save_and_the_report(stars, demo_ctx):
    with writing():
        version, _created = publish_rubric(RUBRIC)
        cycle = EvaluationCycle(year=1406, title="۱۴۰۶", is_open=True)
        db.session.add(cycle)
        town = db.session.scalar(select(Municipality).where(Municipality.name == "کهک"))
        inspector = db.session.scalar(select(User).where(User.username == "inspector"))
        evaluation = services.create_evaluation(town, cycle, version, inspectors=[inspector])
    eid = evaluation.id
    client = demo_ctx.test_client()
    login(client, "inspector")
    page = client.get(f"/evaluations/{eid}").text
    assert 'data-type="stars"' in page and 'name="c9_2e_1"' in page
    assert "★★★★" in page  # the type's target, in its own words
    saved = client.post(f"/evaluations/{eid}/answers", headers={"X-Arzyab-Save": "1"},
                        json={"changes": {"9.1": {"value": "۳"}, "9.2": {"value": True}}})
    assert saved.status_code == 200, saved.json
    refused = client.post(f"/evaluations/{eid}/answers", headers={"X-Arzyab-Save": "1"},
                          json={"changes": {"9.1": {"value": "many"}}})
    assert refused.status_code == 422 and "9.1" in refused.json["errors"]
    evaluation = db.session.get(Evaluation, eid)
    assert evaluation.score == pytest.approx(87.5)  # (2·0.75 + 2·1) / 4
    with report_settings.report_locale():
        doc = evaluation_context(evaluation)
    (row, _yesno) = doc["units"][0]["criteria"]
    assert row["value"].startswith("★★★") and row["target"] == "★★★★"


def test_type_names_appear_only_in_their_own_modules():
    """A type's behaviour lives in its type module: no other code names a type or branches
    on a criterion's type."""
    outside = []
    for pattern in (r'"(yesno|percent|checklist)"', r"\.type\s*(==|!=|\bin\b)\s*[\"'(\[]",
                    r"type_of\(\s*\""):
        found = subprocess.run(["grep", "-rnE", pattern, "app", "forms", "templates"], cwd=ROOT,
                               capture_output=True, text=True).stdout.splitlines()
        outside += [line for line in found if not line.startswith("app/rubric/types/")]
    assert outside == []
