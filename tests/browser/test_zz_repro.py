import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Answer, Evaluation, EvaluationCycle, Municipality
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def _eid(app, town):
    with app.app_context():
        return db.session.scalar(select(Evaluation.id).join(Municipality).join(EvaluationCycle)
            .where(Municipality.name == town, EvaluationCycle.year == 1404))


def test_repro(live_app, context, demo_app):
    base = live_app.url
    eid = _eid(demo_app, "جعفریه")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e.stack)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, demo_app, base, "inspector")
    page.goto(f"{base}/evaluations/{eid}")
    out = []
    num = page.locator("article[data-type=number]").first
    pct = page.locator("article[data-type=percent]").first
    def state():
        page.wait_for_timeout(2500)
        bar = page.locator("#save-state")
        return bar.get_attribute("data-state"), bar.get_attribute("data-refused"), num.locator(".field-error").inner_text(), pct.locator(".field-error").inner_text(), page.locator("[data-answered]").inner_text(), page.locator("#live [data-live=score]").inner_text()
    for text in ["12,5", "۱۲٫۵"]:
        num.locator("input.num").fill(text)
        out.append((text, state()))
    pct.locator("input.num").fill("۱۰۵")
    out.append(("۱۰۵", state()))
    page.screenshot(path="/tmp/entry/repro1.png")
    page.reload()
    page.wait_for_timeout(2000)
    out.append(("after reload", pct.locator("input.num").input_value(), state()))
    page.screenshot(path="/tmp/entry/repro2.png")
    out.append(("errors", errors))
    open("/tmp/entry/repro.json", "w").write(json.dumps(out, ensure_ascii=False, indent=1))
