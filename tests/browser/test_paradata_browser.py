"""Paradata in the real form (issue 18), in Chromium at the tablet's size: with the province's
setting on, a granted geolocation records the place at the start of the visit and at
submission with its accuracy; a denied one records that it was denied and nothing else
changes. A large photo made smaller on the tablet keeps its capture time and place on the
server (its EXIF block travels beside it), not in the stored file. The reviewer's page and the
dashboard show the flags (screenshots in test-artifacts/)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Evaluation, Evidence, ParadataRecord
from tests.browser.conftest import TABLET, fill_criterion, log_in, wait_saved
from tests.paradata.conftest import FAR, make_site, photo

pytestmark = pytest.mark.browser

VALUES = {"percent": "۸۸", "number": "۱۲٫۵"}


def _records(app, eid):
    with app.app_context():
        return [(r.kind, r.data) for r in db.session.scalars(
            select(ParadataRecord).where(ParadataRecord.evaluation_id == eid)
            .order_by(ParadataRecord.id))]


def _answer_and_wait_saved(page, card, note: str) -> None:
    """Answer `card` and wait until the server has acknowledged a save and the bar says
    saved: the bar alone says "saved" before the first change too."""
    with page.expect_response(lambda response: response.url.endswith("/answers")
                              and response.request.method == "POST", timeout=30_000):
        fill_criterion(card, VALUES, note)
    wait_saved(page)


def test_granted_location_is_recorded_at_start_and_submission_and_flags_shown(
        live_app, browser, demo_app, artifacts, tmp_path):
    base = live_app.url
    site = make_site(demo_app, record_location=True)
    context = browser.new_context(**TABLET, geolocation={
        "latitude": FAR[0], "longitude": FAR[1], "accuracy": 25}, permissions=["geolocation"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, demo_app, base, "inspector")
    page.goto(f"{base}/evaluations/{site.eid}")
    assert page.locator("#location-notice").is_visible()
    cards = page.locator("article.criterion")
    for index in range(cards.count()):
        fill_criterion(cards.nth(index), VALUES, "دیده شد")
        if index < 3:
            page.wait_for_timeout(700)  # a little active time in the first unit
    # a photo larger than the tablet sends: made smaller there, its EXIF sent beside it
    big = tmp_path / "big.jpg"
    big.write_bytes(photo(dt.datetime(2026, 11, 1, 9, 15), FAR, size=(2600, 1950), pattern=2))
    cards.first.locator("input.photo-input[data-source=gallery]").set_input_files(str(big))
    page.wait_for_selector("article.criterion >> nth=0 >> figure[data-photo-id]",
                           timeout=30_000)
    wait_saved(page)
    page.get_by_role("button", name="ارسال برای بررسی").click()
    page.wait_for_url(f"{base}/evaluations/", timeout=30_000)
    assert not errors, errors

    records = _records(demo_app, site.eid)
    batches = [data for kind, data in records if kind == "batch"]
    submits = [data for kind, data in records if kind == "submit"]
    assert batches and len(submits) == 1
    starts = [p for data in batches for p in data.get("locations", [])]
    assert [(p["moment"], p["accuracy"]) for p in starts] == [("start", 25)]
    assert abs(starts[0]["lat"] - FAR[0]) < 1e-4
    assert [p["moment"] for p in submits[0]["locations"]] == ["submit"]
    assert all(d.get("location_status") in (None, "granted") for d in batches + submits)
    seen = {cid for data in batches for cid in data.get("criteria", {})}
    assert "1.1" in seen and len(seen) > 20
    assert sum(d.get("units", {}).get("waste", 0) for d in batches + submits) >= 1
    with demo_app.app_context():
        assert db.session.get(Evaluation, site.eid).status == "submitted"
        evidence = db.session.scalar(select(Evidence).where(Evidence.evaluation_id == site.eid))
        assert evidence.taken_at == dt.datetime(2026, 11, 1, 5, 45)
        assert abs(evidence.latitude - FAR[0]) < 1e-4
        assert max(evidence.width, evidence.height) <= 2048
    context.close()

    # the reviewer sees the flags with their reasons, on the evaluation and on the dashboard
    reviewer = browser.new_context(**TABLET)
    rpage = reviewer.new_page()
    log_in(rpage, demo_app, base, "reviewer")
    rpage.goto(f"{base}/evaluations/{site.eid}")
    flags = rpage.locator("#flags li.flag")
    kinds = {flags.nth(i).get_attribute("class") for i in range(flags.count())}
    assert any("flag-place-far" in k for k in kinds)
    assert any("flag-photo-time" in k for k in kinds)
    assert any("flag-photo-far" in k for k in kinds)
    assert any("flag-fast" in k for k in kinds)
    rpage.locator("#flags").scroll_into_view_if_needed()
    rpage.locator("#flags").screenshot(path=str(artifacts / "reviewer-flags.png"))
    photo_facts = rpage.locator(".photo-facts").first
    assert "۱۲۵" in photo_facts.inner_text()
    rpage.goto(f"{base}/dashboard/flags")
    assert rpage.locator(f"#flagged tr[data-evaluation='{site.eid}']").is_visible()
    rpage.screenshot(path=str(artifacts / "dashboard-flags.png"), full_page=True)
    reviewer.close()


def test_denied_location_is_recorded_as_denied_and_the_form_works_as_ever(
        live_app, browser, demo_app, artifacts):
    base = live_app.url
    site = make_site(demo_app, record_location=True)
    context = browser.new_context(**TABLET)  # no permission: the browser refuses
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, demo_app, base, "inspector")
    page.goto(f"{base}/evaluations/{site.eid}")
    assert page.locator("#location-notice").is_visible()
    first = page.locator("article.criterion").first
    _answer_and_wait_saved(page, first, "بدون موقعیت")
    records = _records(demo_app, site.eid)
    assert records and all(kind == "batch" for kind, _data in records)
    assert any(data.get("location_status") == "denied" for _kind, data in records)
    assert not any(data.get("locations") for _kind, data in records)
    with demo_app.app_context():
        from app.models import Answer

        assert db.session.scalar(select(Answer.note).where(
            Answer.evaluation_id == site.eid)) == "بدون موقعیت"
    page.goto(f"{base}/evaluations/{site.eid}/visit-record")
    assert page.locator("#record-visit").is_visible()
    page.screenshot(path=str(artifacts / "inspector-visit-record.png"), full_page=True)
    context.close()


def test_no_location_is_asked_where_the_province_has_it_off(live_app, browser, demo_app):
    base = live_app.url
    site = make_site(demo_app, record_location=False)
    context = browser.new_context(**TABLET, geolocation={"latitude": 1, "longitude": 1},
                                  permissions=["geolocation"])
    page = context.new_page()
    log_in(page, demo_app, base, "inspector")
    page.goto(f"{base}/evaluations/{site.eid}")
    assert page.locator("#location-notice").count() == 0
    _answer_and_wait_saved(page, page.locator("article.criterion").first, "")
    records = _records(demo_app, site.eid)
    assert records
    assert not any(data.get("locations") or data.get("location_status")
                   for _kind, data in records)
    context.close()
