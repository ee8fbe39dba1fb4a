"""The fixed part of a criterion's card (number, title, guidance, evidence, target or steps,
the sampling rule) is rendered once per rubric version, tier and language and then reused
(app.evaluations.page.fixed_part): a page made from memory is the page made afresh, in each
language and for each tier, on the shipped rubric and on the part-2 rubric (steps, sites,
ticked items, computed values)."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.evaluations import page
from app.extensions import db
from app.models import Evaluation, EvaluationCycle, Municipality
from tests.helpers import login
from tests.test_part2_evaluations import p2_web  # noqa: F401 - fixture


def _page(client, evaluation_id: int, lang: str, *, fresh: bool) -> str:
    if fresh:
        page._FIXED.clear()
    response = client.get(f"/evaluations/{evaluation_id}?lang={lang}")
    assert response.status_code == 200
    # the CSRF token is the only part of a page that differs between two visits
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1", response.text)


def _evaluation_id(app, town: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Evaluation.id).join(Municipality).join(EvaluationCycle)
                                 .where(Municipality.name == town, EvaluationCycle.year == 1404))


def test_a_page_from_memory_is_the_page_made_afresh_in_each_language_and_tier(demo_app):
    client = demo_app.test_client()
    login(client, "admin")  # sees every town: a small tier (Kahak) and the large one (Qom)
    kahak, qom = _evaluation_id(demo_app, "کهک"), _evaluation_id(demo_app, "قم")
    visits = [(lang, town, evaluation_id) for lang in ("fa", "en")
              for town, evaluation_id in (("kahak", kahak), ("qom", qom))]
    pages = {(town, lang): _page(client, evaluation_id, lang, fresh=True)
             for lang, town, evaluation_id in visits}
    # then with the memory holding every language and tier at once, in another order
    page._FIXED.clear()
    for lang, town, evaluation_id in visits + visits[::-1]:
        assert _page(client, evaluation_id, lang, fresh=False) == pages[town, lang], (town, lang)
    # the language and the tier are each the part's own: nothing of one shows in another
    assert "Target for this tier" in pages["kahak", "en"]
    assert "Target for this tier" not in pages["kahak", "fa"]
    targets = {key: re.findall(r'<p class="target">(.*?)</p>', text)
               for key, text in pages.items()}
    assert targets["kahak", "fa"] and targets["kahak", "fa"] != targets["qom", "fa"]


def test_the_part2_criteria_come_out_the_same_from_memory(p2_web, demo_app):  # noqa: F811
    client = demo_app.test_client()
    login(client, "inspector")
    fresh = {lang: _page(client, p2_web, lang, fresh=True) for lang in ("fa", "en")}
    assert 'class="brackets"' in fresh["fa"] and 'class="rule muted"' in fresh["fa"]
    for lang in ("fa", "en", "fa", "en"):
        assert _page(client, p2_web, lang, fresh=False) == fresh[lang], lang
