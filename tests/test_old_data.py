"""Existing evaluations keep loading and scoring exactly as before the criterion types moved
into objects and part 2 of the format arrived (structured answers, gates)."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from app.demo import EVALUATIONS, MUNICIPALITIES, demo_answers
from app.rubric import coerce_answer, load_rubric
from app.scoring import score

OLD_RUBRIC = Path(__file__).parent / "data" / "municipal-units-1404.1.yaml"

#: the demo's scores as the code before the change computed them on rubric 1404.1
#: (town, year) → (adjusted, raw, band)
PINNED = {
    ("دستجرد", 1403): (55.2, 45.8, "متوسط"),
    ("قم", 1403): (80.5, 80.5, "خیلی خوب"),
    ("قنوات", 1403): (65.5, 54.8, "مناسب"),
    ("دستجرد", 1404): (65.5, 54.8, "مناسب"),
    ("قم", 1404): (83.0, 83.0, "خیلی خوب"),
    ("قنوات", 1404): (74.6, 62.4, "خوب"),
    ("سلفچگان", 1404): (48.9, 40.4, "ضعیف"),
    ("کهک", 1404): (60.7, 49.2, "مناسب"),
}


@pytest.mark.parametrize(("town", "year", "quality", "status"),
                         [row for row in EVALUATIONS if row[2] > 0])
def test_demo_scores_on_the_old_rubric_are_unchanged(town, year, quality, status):
    rubric = load_rubric(OLD_RUBRIC)
    grade, population = next((row[2], row[3]) for row in MUNICIPALITIES if row[0] == town)
    tier = rubric.tier_for(grade, population).id
    raw = demo_answers(rubric, tier, quality, partial=status == "draft",
                       profile={"grade": grade, "population": population})
    answers = {cid: coerce_answer(rubric.criterion(cid), change) for cid, change in raw.items()}
    card = score(rubric, tier, answers)
    assert (card.score, card.raw, card.band) == PINNED[(town, year)]
    assert card.ungated == card.score and card.gates == ()


@pytest.fixture
def own_demo(databases, tmp_path):
    """The demo on a database of its own (this test takes its schema back to 0004)."""
    from tests.conftest import fresh_app

    for app in fresh_app(databases, "demo", tmp_path):
        with app.app_context():
            yield app


def test_rows_written_before_the_change_read_and_score_the_same(own_demo):
    """Answer rows as the earlier schema stored them (a value, no structured data) migrate in
    place and read back as the same answers."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import select

    from app.evaluations import services
    from app.extensions import db
    from app.models import Evaluation, Municipality

    evaluation = db.session.scalar(select(Evaluation).join(Municipality)
                                   .where(Municipality.name == "جعفریه"))
    eid, tier = evaluation.id, evaluation.tier_id
    rubric = services.rubric_for(evaluation)
    plain = [c for c in rubric.criteria() if c.applies(tier) and not c.computed
             and c.samples is None and c.brackets is None]
    percent = next(c for c in plain if c.type == "percent")
    yesno = next(c for c in plain if c.type == "yesno")
    db.session.commit()
    db.session.remove()
    downgrade(revision="0004_locks")
    with db.engine.begin() as connection:
        assert "data" not in [c["name"] for c in sa.inspect(connection).get_columns("answers")]
        connection.execute(sa.text(
            "INSERT INTO answers (evaluation_id, criterion_id, value, na, na_reason, note, "
            "revision, review_comment, updated_at) VALUES "
            "(:e, :p, 81, false, '', '', 1, '', CURRENT_TIMESTAMP), "
            "(:e, :y, 1, false, '', '', 1, '', CURRENT_TIMESTAMP)"),
            {"e": eid, "p": percent.id, "y": yesno.id})
    upgrade()
    evaluation = db.session.get(Evaluation, eid)
    values = services.answer_values(evaluation)
    assert values[percent.id].value == 81 and values[yesno.id].value is True
    card = services.scorecard(evaluation)
    assert card.criterion(percent.id).fraction == pytest.approx(
        percent.kind.value_fraction(percent, 81, tier))
    assert card.criterion(yesno.id).fraction == 1.0
