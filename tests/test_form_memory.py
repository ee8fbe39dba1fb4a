"""The form page keeps per process what its cards are made of (app.evaluations.page:
each card's fixed part and plan, a card's inputs as drawn for the field data the stored
answers give, the scoring rules of the page's JSON): a page drawn from that memory is, byte
for byte (the CSRF token aside), the page drawn from scratch (``page.built_fresh()``), for
every user who may open it (the inspector's editable form, the reviewer's, the manager's, the
municipality's and the administrator's read-only pages), in Persian and English, on the
shipped rubric and the part-2 rubric (computed values, sites, ticked items, steps, gates),
with photos, declared values and review comments, after a refused plain post with its errors
and after each change of an answer."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.evaluations import page
from app.extensions import db
from app.models import Evaluation, EvaluationCycle, Municipality
from forms.evaluation import build_evaluation_form, field_key
from tests.helpers import csrf_token, login
from tests.test_evidence import jpeg_with_exif, upload
from tests.test_part2_evaluations import FULL, SAVE, p2_web  # noqa: F401 - fixture

USERS = ("inspector", "reviewer", "manager", "dastjerd", "admin")


def _blank(text: str) -> str:
    # the CSRF token is the only part of a page that differs between two visits
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1", text)


def _both(fetch) -> str:
    """The page `fetch()` returns, drawn from scratch and then twice from memory (the first
    fills it, the second reads it): all three the same. Returns the page."""
    with page.built_fresh():
        fresh = fetch()
    assert fresh.status_code in (200, 422), fresh.status_code
    for _ in range(2):
        kept = fetch()
        assert kept.status_code == fresh.status_code
        assert _blank(kept.text) == _blank(fresh.text)
    return fresh.text


def _kahak(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Evaluation.id).join(Municipality).join(EvaluationCycle)
                                 .where(Municipality.name == "کهک", EvaluationCycle.year == 1404))


def test_every_page_of_every_user_from_memory_is_the_page_drawn_afresh(demo_app):
    with demo_app.app_context():
        ids = db.session.scalars(select(Evaluation.id).order_by(Evaluation.id)).all()
    kahak = _kahak(demo_app)
    client = demo_app.test_client()
    login(client, "inspector")  # a photo whose name needs escaping, on a card with answers
    assert upload(client, kahak, jpeg_with_exif(), name='<"عکس">&.jpg').status_code == 200
    seen = set()
    for user in USERS:
        client = demo_app.test_client()
        login(client, user)
        for eid in ids:
            for lang in ("fa", "en") if eid == kahak else ("fa",):
                url = f"/evaluations/{eid}?lang={lang}"
                if client.get(url).status_code != 200:
                    continue
                text = _both(lambda: client.get(url))  # noqa: B023 - called at once
                seen |= {part for part in ('id="eval-form"', 'class="eval-form review"',
                                           'class="eval-form readonly"', 'class="declared',
                                           'class="thumb"', 'class="review-comment"',
                                           'class="follow-ups', "Target for this tier")
                         if part in text}
    # the states the comparison went through: editable, reviewed and read-only pages, the
    # municipality's declared values, photos, the previous final's recommendations, English
    assert seen >= {'id="eval-form"', 'class="eval-form review"', 'class="eval-form readonly"',
                    'class="declared', 'class="thumb"', 'class="follow-ups',
                    "Target for this tier"}, seen


def test_the_part2_form_from_memory_follows_every_change_of_its_answers(demo_app, p2_web):  # noqa: F811
    client = demo_app.test_client()
    login(client, "inspector")
    url = f"/evaluations/{p2_web}"
    pages = [_both(lambda: client.get(url))]
    version = 0
    # one criterion at a time (computed, steps, sites, ticked items, yes/no), then changed
    # again and cleared: each page from memory is the fresh page, and each differs from the
    # one before (nothing stale is shown)
    changes = [{cid: change} for cid, change in FULL.items()]
    changes += [{"1.1": {"inputs": {"green_area": "۹۰۰"}}}, {"1.2": {"value": "۱۰"}},
                {"2.1": {"samples": [{"site": "بوستان ملت", "value": "0"}]}},
                {"2.2": {"value": []}}, {"3.1": {"value": False}},
                {"1.2": {"value": None}}, {"1.2": {"value": "۵۰", "note": "یادداشت <b>&"}}]
    for index, change in enumerate(changes):
        saved = client.post(f"{url}/answers", headers=SAVE, json={
            "changes": change, "key": f"memory-test-{index:04d}", "base_version": version})
        assert saved.status_code == 200, saved.json
        version = saved.json["version"]
        for lang in ("en", "fa"):
            text = _both(lambda: client.get(f"{url}?lang={lang}"))  # noqa: B023
        assert text != pages[-1], change
        pages.append(text)
    assert 'class="brackets"' in pages[-1] and 'class="check-list"' in pages[-1]
    assert 'class="samples"' in pages[-1] and 'data-computed' in pages[-1]


def test_a_refused_plain_post_from_memory_is_the_one_drawn_afresh(demo_app):
    client = demo_app.test_client()
    login(client, "inspector")
    eid = _kahak(demo_app)
    with demo_app.app_context():
        evaluation = db.session.get(Evaluation, eid)
        from app.evaluations import services

        form_class = build_evaluation_form(services.rubric_for(evaluation), evaluation.tier_id)
    kinds = {name: spec.kind for name, spec in form_class.field_specs.items()}
    specs = form_class.criteria_fields
    choice = next(s for s in specs if kinds.get(s.value) == "choice")
    text = next(s for s in specs if kinds.get(s.value) == "text")
    token = csrf_token(client.get(f"/evaluations/{eid}").text)
    for lang in ("fa", "en"):
        refused = _both(lambda: client.post(f"/evaluations/{eid}?lang={lang}", data={  # noqa: B023
            "csrf_token": token, choice.value: "no-such-level", text.value: '۱۲<&>"',
            text.note: "ن" * 4001}))
        card = re.search(rf'<article[^>]*id="crit-{field_key(text.criterion.id)}".*?</article>',
                         refused, re.S).group(0)
        assert 'value="۱۲&lt;&amp;&gt;&#34;"' in card and '<p class="error">' in card
    # and the stored answers' page after it is the fresh one again, without what was typed
    shown = _both(lambda: client.get(f"/evaluations/{eid}"))
    assert '۱۲&lt;&amp;&gt;' not in shown


def test_the_memory_is_used_and_a_draft_preview_never_kept(demo_app):
    page._CARDS.plans.clear()
    page._CARDS.inputs.clear()
    client = demo_app.test_client()
    login(client, "inspector")
    eid = _kahak(demo_app)
    with page.built_fresh():
        assert client.get(f"/evaluations/{eid}").status_code == 200
    assert not page._CARDS.plans and not page._CARDS.inputs  # from scratch: nothing kept
    assert client.get(f"/evaluations/{eid}").status_code == 200
    assert len(page._CARDS.plans) >= 50 and page._CARDS.inputs
    assert page.card_memo(None) is None


def test_the_templates_texts_from_memory_are_jinjas_gettext(demo_app):
    """The form page's ``_`` (page.template_gettext) gives what Jinja's gettext gives, in
    both languages: the translation marked safe, read as a format string, its variables
    escaped; kept per language (a visit in English after one in Persian is English)."""
    env = demo_app.jinja_env
    calls = [("Municipality of %(name)s", {"name": '<b>"کهک"</b> & ۱٪'}),
             ("Year %(year)s", {"year": "۱۴۰۴"}), ("Save the visit date", {}),
             ("%(n)s of %(total)s answered", {"n": 3, "total": "<5>"}),
             ("No such text %% here", {}), ("No such text %(x)s", {"x": "&"})]
    template = env.from_string("{{ _(text, **variables) }}")
    page._SAID.clear()
    for lang in ("fa", "en", "fa"):
        with demo_app.test_request_context(f"/?lang={lang}"):
            from app.i18n import current_lang

            assert current_lang() == lang
            ours = page.template_gettext(lang)["_"]
            for _round in range(2):  # made, then from memory
                for text, variables in calls:
                    jinjas = template.render(text=text, variables=variables)
                    assert str(ours(text, **variables)) == jinjas, (lang, text)
                    assert template.render(text=text, variables=variables, _=ours) == jinjas
    assert page._SAID
    with page.built_fresh():
        assert page.template_gettext("fa") == {}
