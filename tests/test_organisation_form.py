"""The inspector's form meets the municipality: the declared value beside its field (one tap
confirms it, or the inspector records why the verified value differs), and the previous
final's recommendations on their unit, judged done / in part / not done. Through HTTP, on the
world of tests/world.py (Dastjerd's 1405 draft, declared; the 1404 final's
recommendations)."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.declarations import services as declarations
from app.extensions import db
from app.models import Evaluation, FollowUp
from forms.evaluation import field_key
from tests.helpers import csrf_token, login
from tests.test_access_matrix import world, world_template  # noqa: F401 - fixtures
from tests.world import recommendation_of

SAVE = {"X-Arzyab-Save": "1"}


def test_the_form_shows_each_declared_value_and_the_previous_recommendations(world):  # noqa: F811
    app, found = world
    client = app.test_client()
    login(client, "inspector")
    page = client.get(f"/evaluations/{found['draft_1405']}?lang=en")
    assert page.status_code == 200
    with app.app_context():
        draft = db.session.get(Evaluation, found["draft_1405"])
        boxes = declarations.form_boxes(draft, field_key, "en")
        final = db.session.get(Evaluation, found["final"])
        recommendations = list(final.recommendations)
    assert boxes and len(re.findall(r'data-declared="', page.text)) == len(boxes)
    assert page.text.count("Confirm the declared value") == len(boxes)
    assert "Recommendations of the 1404 final report" in page.text
    for recommendation in recommendations:
        assert f'id="followup-{recommendation.id}"' in page.text
    # on the unit it concerns: the waste recommendation sits in the waste unit's section
    waste = next(r for r in recommendations if r.unit_id == "waste")
    unit = page.text.index('id="unit-waste"')
    assert unit < page.text.index(f'id="followup-{waste.id}"') < page.text.index(
        'id="unit-', unit + 1)
    # the reviewer reads them without the buttons
    reviewer = app.test_client()
    login(reviewer, "reviewer")
    read = reviewer.get(f"/evaluations/{found['draft_1405']}?lang=en").text
    assert "Declared by the municipality" in read and "Confirm the declared value" not in read


def test_one_tap_confirms_and_a_correction_needs_its_reason(world):  # noqa: F811
    app, found = world
    client = app.test_client()
    login(client, "inspector")
    url = f"/evaluations/{found['draft_1405']}"
    with app.app_context():
        draft = db.session.get(Evaluation, found["draft_1405"])
        first, second = [row.criterion.id for row in declarations.rows(draft)
                         if row.declaration is not None][:2]
    # without a script: the button posts the form to the confirm route
    token = csrf_token(client.get(url).text)
    confirmed = client.post(f"{url}/declaration/{first}/confirm", data={"csrf_token": token})
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith(
        f"#crit-{field_key(first)}")
    # a different verified value, then its reason (as the page's script sends it)
    with app.app_context():
        draft = db.session.get(Evaluation, found["draft_1405"])
        row = next(r for r in declarations.rows(draft) if r.criterion.id == second)
        kind = row.criterion.kind
        other = kind.demo_answer(row.criterion, draft.tier_id, 0.05, {"budget": 150_000})
    saved = client.post(f"{url}/answers", headers=SAVE, json={"changes": {second: other}})
    assert saved.status_code == 200, saved.text[:300]
    with app.app_context():
        draft = db.session.get(Evaluation, found["draft_1405"])
        verdicts = {r.criterion.id: r.verdict for r in declarations.rows(draft)}
        problems = declarations.verification_problems(draft)
    assert verdicts[first] == "confirmed"
    if verdicts[second] == "corrected":
        assert second in problems  # submitting needs the reason
        reason = client.post(f"{url}/declaration/{second}/reason", headers=SAVE,
                             json={"reason": "صورت‌حساب‌ها رقم دیگری نشان می‌دهد"})
        assert reason.status_code == 200 and reason.json["ok"]
        with app.app_context():
            assert second not in declarations.verification_problems(
                db.session.get(Evaluation, found["draft_1405"]))
    empty = client.post(f"{url}/declaration/{second}/reason", headers=SAVE, json={"reason": " "})
    assert empty.status_code == 422 and empty.json["error"]


def test_the_inspector_judges_a_previous_recommendation(world):  # noqa: F811
    app, found = world
    client = app.test_client()
    login(client, "inspector")
    url = f"/evaluations/{found['draft_1405']}/follow-ups/{found['recommendation']}"
    missing = client.post(url, headers=SAVE, json={"outcome": "partly", "note": ""})
    assert missing.status_code == 422  # «in part» says what is missing
    done = client.post(url, headers=SAVE, json={"outcome": "done", "note": ""})
    assert done.status_code == 200 and done.json["outcome"] == "done"
    # without a script: the form's own pair of fields for this recommendation
    page = client.get(f"/evaluations/{found['draft_1405']}")
    posted = client.post(url, data={"csrf_token": csrf_token(page.text),
                                    f"outcome-{found['recommendation']}": "not_done",
                                    f"note-{found['recommendation']}": "اقدامی دیده نشد"})
    assert posted.status_code == 302
    with app.app_context():
        finding = db.session.scalar(select(FollowUp).where(
            FollowUp.evaluation_id == found["draft_1405"]))
        assert (finding.outcome, finding.note) == ("not_done", "اقدامی دیده نشد")
        assert recommendation_of(found["final"]).id == found["recommendation"]
    # a recommendation of another municipality's final is refused
    other = f"/evaluations/{found['draft_1405']}/follow-ups/{found['recommendation_x']}"
    assert client.post(other, headers=SAVE, json={"outcome": "done"}).status_code == 404


def test_other_counts_giving_the_same_value_are_shown_beside_it(world):  # noqa: F811
    """A computed criterion can come out the same from other counts (here 76 of 200 declared
    and 38 of 100 verified, both 38%): the row says «corrected», so it shows what each side
    counted rather than the same figure twice."""
    from app.db import writing
    from app.evaluations import services
    from app.models import User

    app, found = world
    with app.app_context(), writing():
        draft = db.session.get(Evaluation, found["draft_1405"])
        municipality = db.session.scalar(select(User).where(User.username == "dastjerd"))
        inspector = db.session.scalar(select(User).where(User.username == "inspector"))
        declarations.save_declaration(draft, {"2.2": {"raw": {"inputs": {
            "fees_collected": 76, "fees_assessed": 200}}}}, user=municipality)
        services.save_answers(draft, {"2.2": {"inputs": {"fees_collected": 38,
                                                          "fees_assessed": 100}}},
                              user=inspector)
    with app.app_context():
        draft = db.session.get(Evaluation, found["draft_1405"])
        row = next(r for r in declarations.rows(draft, "en") if r.criterion.id == "2.2")
        others = [r for r in declarations.rows(draft, "en") if r.criterion.id != "2.2"]
    assert row.verdict == "corrected"
    assert row.declared_text.startswith("38% (") and row.verified_text.startswith("38% (")
    assert "76" in row.declared_text and "200" in row.declared_text
    assert "38" in row.verified_text.partition("(")[2] and "100" in row.verified_text
    # the other rows (pending: not verified yet) show their declared values alone
    assert others and all("(" not in r.declared_text for r in others)
