"""Offline-first (issue 8): fill a whole evaluation with photos while the server is down and
the tablet offline, close and reopen the page, come back online: everything reaches the
database exactly once, and replaying what was sent changes nothing. Two values typed offline
that the server refuses (issue 13) end on screen, on their cards with the reason, and hold
nothing else back."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.models import Answer, AuditEvent, Evaluation, EvaluationCycle, Evidence, Municipality
from tests.browser.conftest import card_error, fill_criterion, log_in, wait_saved

pytestmark = pytest.mark.browser

VALUES = {"percent": "۸۸", "number": "۱۲٫۵"}


def _jpeg(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, "JPEG")
    return out.getvalue()


def _fill(card) -> None:
    fill_criterion(card, VALUES, "ثبت در حالت بدون اتصال")


def _counts(app, eid):
    with app.app_context():
        answers = db.session.scalar(select(func.count(Answer.id)).where(
            Answer.evaluation_id == eid,
            Answer.value.is_not(None) | Answer.data.is_not(None)))
        photos = db.session.scalar(select(func.count(Evidence.id)).where(
            Evidence.evaluation_id == eid))
        events = db.session.scalar(select(func.count(AuditEvent.id)))
        return answers, photos, events


def _wait_stored(page, eid: int, photos: int) -> None:
    """Wait until every change typed is in the device store (IndexedDB), not only in the
    page's draft (kept in localStorage until the debounce moves it), and `photos` photos with
    it."""
    page.wait_for_function("""(args) => {
        if (localStorage.getItem("arzyab:drafts:" + args.eid) !== null) return false;
        return ArzyabStore.byEvaluation(args.eid).then(
            (records) => records.filter((r) => r.kind === "photo").length === args.photos);
    }""", arg={"eid": str(eid), "photos": photos}, polling=100, timeout=20_000)


def test_fill_offline_with_photos_then_sync_exactly_once(live_app, context, demo_app, tmp_path):
    base = live_app.url
    with demo_app.app_context():
        eid = db.session.scalar(
            select(Evaluation.id).join(Municipality).join(EvaluationCycle)
            .where(Municipality.name == "جعفریه", EvaluationCycle.year == 1404))
    page = context.new_page()
    log_in(page, demo_app, base, "inspector")
    # the assignments were opened once online: the service worker keeps their pages
    page.wait_for_function(
        f"() => caches.match('/evaluations/{eid}').then(r => !!r)", polling=200,
        timeout=20_000)
    page.goto(f"{base}/evaluations/{eid}")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null",
                           polling=200, timeout=20_000)

    live_app.stop()
    context.set_offline(True)
    page.reload()
    cards = page.locator("article.criterion")
    count = cards.count()
    assert count > 40
    for index in range(count):
        _fill(cards.nth(index))
    photo_paths = []
    for index, colour in enumerate(((200, 30, 30), (30, 30, 200))):
        path = tmp_path / f"site-{index}.jpg"
        path.write_bytes(_jpeg(colour))
        photo_paths.append(path)
        cards.nth(index).locator("input.photo-input[data-source=camera]").set_input_files(
            str(path))
    _wait_stored(page, eid, photos=2)  # the debounce writes the last batch to the device store
    # then two corrections the server will refuse, in a batch of their own
    percent = page.locator("article[data-type=percent]").first
    number = page.locator("article[data-type=number]").first
    refused_ids = [percent.get_attribute("data-criterion"), number.get_attribute("data-criterion")]
    percent.locator("input.num").fill("۱۰۵")
    number.locator("input.num").fill("12,5")
    _wait_stored(page, eid, photos=2)
    assert page.locator("#queue").is_visible()
    # offline is said plainly: kept on this device
    assert page.locator("#save-state").get_attribute("data-state") in ("offline", "pending")

    # close the page and open it again, still offline
    page.close()
    page = context.new_page()
    page.goto(f"{base}/evaluations/{eid}")
    cards = page.locator("article.criterion")
    page.wait_for_selector("#queue:not([hidden])")  # the device store has been read back
    assert cards.nth(count - 1).locator("textarea[name$=_note]").input_value() == \
        "ثبت در حالت بدون اتصال"
    assert page.locator(".thumb.pending").count() == 2
    assert _counts(demo_app, eid)[:2] == (0, 0)

    # the link comes back
    sent = []
    page.on("request", lambda r: sent.append(r) if r.method == "POST" else None)
    live_app.start()
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_saved(page)
    page.wait_for_selector(".thumb.pending", state="detached", timeout=30_000)
    answers, photos, events = _counts(demo_app, eid)
    assert answers == count and photos == 2
    # the two refusals are on screen: counted by the bar, each card marked with its reason
    # and the typed value kept; what was typed before them is stored, once
    assert page.locator("#save-state").get_attribute("data-refused") == "2"
    for criterion, typed, words in ((refused_ids[0], "۱۰۵", "۱۰۰"),
                                    (refused_ids[1], "12,5", "دو جور خوانده")):
        card = page.locator(f"article[data-criterion='{criterion}']")
        assert "is-refused" in card.get_attribute("class")
        assert card.locator("input.num").input_value() == typed
        assert words in card_error(card)
    with demo_app.app_context():
        stored = dict(db.session.execute(select(Answer.criterion_id, Answer.value).where(
            Answer.evaluation_id == eid, Answer.criterion_id.in_(refused_ids))).all())
    assert stored == {refused_ids[0]: 88.0, refused_ids[1]: 12.5}

    # replaying every batch that was sent, and every photo under its device key, stores
    # nothing twice
    saves = [r for r in sent if r.url.endswith("/answers")]
    # the two corrections were refused in a batch of their own (two, when the machine was
    # slow enough between the two fills for the page's pause to end between them: how changes
    # are batched is sync.js's own tests' matter, on a fake clock), and a refused batch is
    # sent once, never again
    refused_keys = [r.post_data_json["key"] for r in saves if r.response().status == 422]
    assert 1 <= len(refused_keys) <= 2
    assert all(sum(r.post_data_json["key"] == key for r in saves) == 1 for key in refused_keys)
    saves = [r for r in saves if r.response().status == 200]
    assert saves
    for request in saves:
        response = context.request.post(request.url, data=request.post_data_buffer, headers={
            "Content-Type": "application/json", "X-Arzyab-Save": "1"})
        assert response.status == 200, response.text()
        assert json.loads(response.text()).get("replayed") is True
    with demo_app.app_context():
        stored = db.session.execute(select(Evidence.client_key, Evidence.criterion_id).where(
            Evidence.evaluation_id == eid)).all()
    assert all(key for key, _criterion in stored)
    # each photo again under its key, with its own criterion and image (another image or
    # criterion under a used key is refused with 409)
    path_of = {cards.nth(index).get_attribute("data-criterion"): path
               for index, path in enumerate(photo_paths)}
    for key, criterion in stored:
        path = path_of[criterion]
        response = context.request.post(f"{base}/evaluations/{eid}/photos", headers={
            "X-Arzyab-Save": "1"}, multipart={
            "criterion": criterion, "key": key,
            "photo": {"name": path.name, "mimeType": "image/jpeg", "buffer": path.read_bytes()}})
        assert response.status == 200, response.text()
    assert _counts(demo_app, eid) == (answers, photos, events)
