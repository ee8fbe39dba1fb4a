"""The form page writes its cards' inputs itself (app.evaluations.inputs) from the stored
answers, read as the bound WTForms fields would hold them (forms.evaluation.StoredFields), or
from the bound form after a refused plain post (FormFields): the two agree field for field, a
page re-drawn after a refused visit date or submission still shows the stored answers, and a
refused plain post shows what was typed with its errors."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.evaluations import services
from app.extensions import db
from app.i18n import jalali_date
from app.models import Evaluation, EvaluationCycle, Municipality
from forms.evaluation import (
    FormFields,
    StoredFields,
    build_evaluation_form,
    field_key,
    form_data_from_answers,
)
from tests.helpers import csrf_token, login
from tests.test_part2_evaluations import FULL, SAVE, p2_web  # noqa: F401 - fixture


def _kahak(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Evaluation.id).join(Municipality).join(EvaluationCycle)
                                 .where(Municipality.name == "کهک", EvaluationCycle.year == 1404))


def _inputs(page: str) -> list[str]:
    """Every input, option and text area of the criteria's cards, in page order."""
    body = page.split('id="eval-form"', 1)[1].split('class="actions sticky-actions"', 1)[0]
    cards = re.findall(r'<article class="criterion.*?</article>', body, re.S)
    return [tag for card in cards
            for tag in re.findall(r"<(?:input|option)\b[^>]*>|<textarea\b[^>]*>[^<]*", card)]


def _compare_every_field(evaluation) -> int:
    rubric = services.rubric_for(evaluation)
    form_class = build_evaluation_form(rubric, evaluation.tier_id)
    data = form_data_from_answers(form_class, services.answer_values(evaluation))
    bound = FormFields(form_class(formdata=None, data=data, meta={"csrf": False}))
    stored = StoredFields(form_class, data)
    for name, spec in form_class.field_specs.items():
        if spec.kind == "samples":
            assert stored.rows(name) == bound.rows(name), name
        else:
            assert stored.data(name) == bound.data(name), name
            assert type(stored.data(name)) is type(bound.data(name)), name
        assert list(stored.errors(name)) == list(bound.errors(name)) == [], name
    return len(form_class.field_specs)


def test_the_stored_fields_are_what_the_bound_form_holds(demo_app, p2_web):  # noqa: F811
    client = demo_app.test_client()
    login(client, "inspector")
    assert client.post(f"/evaluations/{p2_web}/answers", headers=SAVE, json={
        "changes": FULL, "key": "inputs-test-0001"}).status_code == 200
    with demo_app.test_request_context():
        evaluations = db.session.scalars(select(Evaluation)).all()
        compared = sum(_compare_every_field(evaluation) for evaluation in evaluations)
        kinds = {spec.kind for evaluation in evaluations for spec in build_evaluation_form(
            services.rubric_for(evaluation), evaluation.tier_id).field_specs.values()}
    assert compared > 1000
    assert kinds == {"text", "choice", "multi", "flag", "samples"}


def test_a_page_redrawn_after_a_refused_visit_date_or_submission_shows_the_answers(demo_app):
    client = demo_app.test_client()
    login(client, "inspector")
    eid = _kahak(demo_app)
    page = client.get(f"/evaluations/{eid}").text
    shown = _inputs(page)
    # the answers this test is about: ticked items, sample sites and chosen values
    assert any("_items" in tag and "checked" in tag for tag in shown)
    assert any("-site" in tag and 'value=""' not in tag for tag in shown)
    refused = client.post(f"/evaluations/{eid}/visit-date", data={
        "visit_date": "2026-13-40", "csrf_token": csrf_token(page)})
    assert refused.status_code == 422
    assert _inputs(refused.text) == shown
    refused = client.post(f"/evaluations/{eid}/submit", data={
        "csrf_token": csrf_token(client.get(f"/evaluations/{eid}").text)})
    assert refused.status_code == 422, refused.status_code  # 16 of 50 still unanswered
    assert _inputs(refused.text) == shown


def test_the_visit_date_field_shows_the_stored_date_after_another_form_was_refused(demo_app):
    """A page redrawn after a refused submission (or plain post) shows the stored visit
    date in its field, as a visit does; after a refused visit date, the text typed and its
    error."""
    client = demo_app.test_client()
    login(client, "inspector")
    eid = _kahak(demo_app)
    with demo_app.app_context():
        visited = db.session.get(Evaluation, eid).visit_date
    assert visited is not None

    def field(text: str) -> str:
        return re.search(r'<input type="text" name="visit_date"[^>]*>', text).group(0)

    page = client.get(f"/evaluations/{eid}").text
    assert f'value="{jalali_date(visited)}"' in field(page)
    refused = client.post(f"/evaluations/{eid}/submit", data={"csrf_token": csrf_token(page)})
    assert refused.status_code == 422
    assert field(refused.text) == field(page)
    refused = client.post(f"/evaluations/{eid}/visit-date", data={
        "visit_date": "2026-13-40", "csrf_token": csrf_token(page)})
    assert refused.status_code == 422
    assert 'value="2026-13-40"' in field(refused.text)
    assert re.search(r'name="visit_date"[^>]*></label>\s*<p class="error" role="alert">',
                     refused.text)


def test_a_refused_plain_post_shows_what_was_typed_with_its_errors(demo_app):
    client = demo_app.test_client()
    login(client, "inspector")
    eid = _kahak(demo_app)
    with demo_app.app_context():
        evaluation = db.session.get(Evaluation, eid)
        form_class = build_evaluation_form(services.rubric_for(evaluation), evaluation.tier_id)
        specs = form_class.criteria_fields
    kinds = {name: spec.kind for name, spec in form_class.field_specs.items()}
    choice = next(s for s in specs if kinds.get(s.value) == "choice")
    text = next(s for s in specs if kinds.get(s.value) == "text")
    page = client.get(f"/evaluations/{eid}").text
    response = client.post(f"/evaluations/{eid}", data={
        "csrf_token": csrf_token(page), choice.value: "no-such-level",
        text.value: '۱۲<&>"', text.note: "ن" * 4001})
    assert response.status_code == 422
    card = re.search(rf'<article[^>]*id="crit-{field_key(text.criterion.id)}".*?</article>',
                     response.text, re.S).group(0)
    assert f'name="{text.value}" value="۱۲&lt;&amp;&gt;&#34;"' in card
    assert "ن" * 4001 in card and 'class="counter muted over"' in card
    assert card.count('<p class="error">') == 1  # the note's length
    card = re.search(rf'<article[^>]*id="crit-{field_key(choice.criterion.id)}".*?</article>',
                     response.text, re.S).group(0)
    assert '<span class="error">' in card and " checked" not in card
