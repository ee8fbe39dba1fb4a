"""Bounded rendering (issue 14): long notes in an annex, the page-count guard, drafts cached
per (evaluation, version), at most N renders at once per server with a 503 past it — never a
500, even for eight heavy drafts at once."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time

import pytest

from app.evaluations.services import rubric_for, save_answers
from app.extensions import db
from app.models import Answer, User
from app.reports import services, settings
from app.reports.slots import RendererBusy, render_slot
from tests.helpers import login
from tests.reports.conftest import evaluation_of, normalise, pdf_text

pytestmark = pytest.mark.pdf

HEAVY_TOWNS = ("قنوات", "سلفچگان", "کهک", "جعفریه")  # the demo's four evaluations not final


def _note(number: int, length: int) -> str:
    sentence = f"یادداشت {number}: بازدید میدانی نشان داد که واحد با کمبود نیرو و اعتبار " \
               "روبه‌رو است و پیگیری لازم است. "
    return (sentence * (length // len(sentence) + 1))[:length].strip()


def make_heavy(evaluation, length: int = 4000) -> None:
    """Every applicable criterion of `evaluation` with a note of `length` characters (the
    most the form accepts is NOTE_MAX_CHARS, 4000): the worst evaluation the app allows."""
    rubric = rubric_for(evaluation)
    stored = {a.criterion_id: a for a in evaluation.answers}
    for index, criterion in enumerate(c for c in rubric.criteria()
                                      if c.applies(evaluation.tier_id)):
        answer = stored.get(criterion.id)
        if answer is None:
            answer = Answer(criterion_id=criterion.id)
            evaluation.answers.append(answer)
        answer.note = _note(index, length)
    db.session.commit()


def test_long_notes_print_in_full_in_the_annex_and_short_ones_stay_in_the_table(demo_ctx):
    draft = evaluation_of("کهک", 1404)
    first, second = draft.answers[0], draft.answers[1]
    long_note = _note(1, 3000)
    first.note, second.note = long_note, "کوتاه و روشن."
    db.session.commit()
    html, context = services.evaluation_html(draft)
    (item,) = context["annex"]
    assert item["id"] == first.criterion_id and item["text"] == long_note and item["number"] == 1
    rows = {row["id"]: row for unit in context["units"] for row in unit["criteria"]}
    assert len(rows[first.criterion_id]["note"]) < 200
    assert "یادداشت ۱ پیوست" in rows[first.criterion_id]["note"]
    assert rows[second.criterion_id]["note"] == "کوتاه و روشن."
    assert html.count(long_note) == 1  # once, in the annex
    assert html.index('id="annex"') > html.index('id="signatures"')  # at the end


def test_totals_print_once_per_unit_and_headers_repeat(demo_ctx, tmp_path):
    draft = evaluation_of("قنوات", 1404)
    make_heavy(draft, 230)  # long enough to break tables over pages, short enough to stay
    body, _name = services.report_pdf(draft)
    pdf = tmp_path / "draft.pdf"
    pdf.write_bytes(body)
    text = pdf_text(pdf)
    evaluated = sum(1 for r in draft.unit_results if r.evaluated)
    assert text.count(normalise("جمع واحد")) == evaluated  # never repeated at page breaks
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True).stdout).group(1))
    assert text.count(normalise("سقف امتیاز")) > evaluated  # the header row repeats
    assert pages > 10


def test_the_page_guard_refuses_with_a_message_not_a_500(client, demo_app):
    with demo_app.app_context():
        evaluation_id = evaluation_of("کهک", 1404).id
    demo_app.config["REPORT_MAX_PAGES"] = 2
    login(client, "inspector")
    response = client.get(f"/evaluations/{evaluation_id}/report.pdf")
    assert response.status_code == 422
    assert "سقف تعداد صفحه" in response.text


def test_drafts_are_cached_per_evaluation_and_version(demo_ctx, monkeypatch):
    draft = evaluation_of("کهک", 1404)
    renders = []
    real = services.render_pdf
    monkeypatch.setattr(services, "render_pdf",
                        lambda *a, **k: renders.append(1) or real(*a, **k))
    first = services.draft_pdf(draft)
    assert services.draft_pdf(draft) == first and len(renders) == 1
    cached = list(settings.drafts_dir().glob(f"e{draft.id:06d}-*.pdf"))
    assert len(cached) == 1 and f"-v{draft.version}-" in cached[0].name

    inspector = db.session.scalar(db.select(User).where(User.username == "inspector"))
    criterion = next(a.criterion_id for a in draft.answers if a.value is not None)
    save_answers(draft, {criterion: {"note": "یادداشت تازه"}}, user=inspector)
    db.session.commit()
    services.draft_pdf(draft)
    assert len(renders) == 2
    cached = list(settings.drafts_dir().glob(f"e{draft.id:06d}-*.pdf"))
    assert len(cached) == 1 and f"-v{draft.version}-" in cached[0].name  # the old one is gone


_HOLD = """
import sys, time
sys.path.insert(0, {root!r})
from app.reports.slots import render_slot
with render_slot({lock_dir!r}, 1, 0, 1):
    print("held", flush=True)
    time.sleep(60)
"""


def test_render_slots_are_shared_across_processes_and_freed_by_a_crash(tmp_path):
    from tests.conftest import ROOT

    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD.format(root=str(ROOT), lock_dir=str(tmp_path))],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(RendererBusy) as busy:
            with render_slot(tmp_path, 1, 0.3, 7):
                pass
        assert busy.value.retry_after == 7 and 0.3 <= time.monotonic() - started < 3
        with render_slot(tmp_path, 2, 0, 7):  # a second slot is free
            pass
    finally:
        holder.kill()  # like a worker killed mid-render
        holder.wait(10)
        holder.stdout.close()
    with render_slot(tmp_path, 1, 1, 7):  # the kernel released its lock
        pass


@pytest.mark.real_renders  # the renders must take time for the slots to fill
def test_eight_concurrent_downloads_of_drafts_get_200_or_503_never_500(demo_app):
    with demo_app.app_context():
        ids = [evaluation_of(town, 1404).id for town in HEAVY_TOWNS]
    # two render slots and a short wait for one: the six downloads past the first two wait
    # half a second and are told to come back, while a draft takes a second or more to render
    # (the test is about slots, not speed: the time limit is raised for a loaded machine)
    demo_app.config.update(REPORT_MAX_RENDERS=2, REPORT_QUEUE_SECONDS=0.5,
                           REPORT_RETRY_AFTER=20, REPORT_TIMEOUT=170)
    clients = []
    for _ in range(8):
        client = demo_app.test_client()
        login(client, "admin")
        clients.append(client)
    results: list[tuple[int, dict, bytes]] = []
    lock = threading.Lock()

    def download(client, evaluation_id):
        response = client.get(f"/evaluations/{evaluation_id}/report.pdf")
        with lock:
            results.append((response.status_code, dict(response.headers), response.data))

    threads = [threading.Thread(target=download, args=(client, ids[index % len(ids)]))
               for index, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    statuses = sorted(status for status, _headers, _body in results)
    assert len(statuses) == 8 and set(statuses) <= {200, 503}, statuses
    assert 200 in statuses and 503 in statuses, statuses
    for status, headers, body in results:
        if status == 200:
            assert body.startswith(b"%PDF")
        else:
            assert headers["Retry-After"] == "20"
            assert "دوباره تلاش کنید" in body.decode("utf-8")
