"""Heavy-report benchmark: the worst evaluation the app allows — every applicable criterion
with a note of NOTE_MAX_CHARS (4,000) characters — rendered as a draft and as a signed
PDF/A-3b final, against the demo's ordinary Dastjerd final rendered in the same run.

    .venv/bin/python bench/heavy_report_bench.py [--rounds 3]

Target (issue 14): the worst allowed evaluation renders in at most 10 s on this machine.
Each round renders afresh (the draft through the renderer directly, a new final file from the
same snapshot); medians of the wall time and of the rendering child's CPU time (the wall time
the render would take on an idle machine, whatever else runs) are printed with the page
counts and the machine's load average.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def note(number: int, length: int) -> str:
    sentence = f"یادداشت {number}: بازدید میدانی نشان داد که واحد با کمبود نیرو و اعتبار " \
               "روبه‌رو است و پیگیری لازم است. "
    return (sentence * (length // len(sentence) + 1))[:length].strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import select

    from app import create_app
    from app.db import writing
    from app.demo import create_demo, demo_certificate
    from app.evaluations.moves import approve, sign_off
    from app.evaluations.services import rubric_for
    from app.extensions import db
    from app.models import Answer, Evaluation, EvaluationCycle, Municipality, User
    from app.reports import finals, services, settings
    from app.reports.render import render_pdf

    work = Path(tempfile.mkdtemp(prefix="arzyab-heavy-bench-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.sqlite'}",
                      "SECRET_KEY": "bench-secret-key-0123456789", "DATA_DIR": str(work),
                      "REPORT_LOCK_DIR": str(work / "locks")})
    with app.app_context():
        upgrade()
        create_demo()
        demo_certificate()
        limit = app.config["NOTE_MAX_CHARS"]

        def of(town):
            return db.session.scalar(
                select(Evaluation).join(Municipality).join(EvaluationCycle)
                .where(Municipality.name == town, EvaluationCycle.year == 1404))

        heavy = of("قنوات")  # submitted: every note at the limit, then approved
        rubric = rubric_for(heavy)
        stored = {a.criterion_id: a for a in heavy.answers}
        notes = 0
        for index, criterion in enumerate(c for c in rubric.criteria()
                                          if c.applies(heavy.tier_id)):
            answer = stored.get(criterion.id)
            if answer is None:
                answer = Answer(criterion_id=criterion.id)
                heavy.answers.append(answer)
            answer.note = note(index, limit)
            notes += 1
        db.session.commit()
        heavy_id = heavy.id
        dastjerd_id = of("دستجرد").id

        def final_once(evaluation_id) -> tuple[float, int]:
            evaluation = db.session.get(Evaluation, evaluation_id)
            snapshot = finals.snapshot_of(evaluation_id)
            context = finals.context_of(snapshot)
            key = finals.signing_key()
            start = time.perf_counter()
            result = render_pdf(finals.final_html(context, signed=True),
                                settings.fetch_policy(evaluation), work / "final.pdf",
                                options=finals.pdf_options(snapshot, context, key),
                                slots=settings.slots(), **settings.limits())
            return time.perf_counter() - start, result.pages, result.cpu_seconds

        def draft_once(evaluation_id) -> tuple[float, int, float]:
            evaluation = db.session.get(Evaluation, evaluation_id)
            html, _context = services.evaluation_html(evaluation)
            start = time.perf_counter()
            result = render_pdf(html, settings.fetch_policy(evaluation), work / "draft.pdf",
                                options=services._draft_options(), slots=settings.slots(),
                                **settings.limits())
            return time.perf_counter() - start, result.pages, result.cpu_seconds

        draft_once(heavy_id)  # warm up the forkserver
        load_before = os.getloadavg()
        drafts = [draft_once(heavy_id) for _ in range(args.rounds)]
        with writing():
            approve(db.session.get(Evaluation, heavy_id),
                    user=db.session.scalar(select(User).where(User.username == "reviewer")))
        with writing():
            sign_off(db.session.get(Evaluation, heavy_id),
                     user=db.session.scalar(select(User).where(User.username == "manager")))
        # (without REDIS_URL the sign-off rendered the final in-process right after commit)
        heavy_finals = [final_once(heavy_id) for _ in range(args.rounds)]
        ordinary = [final_once(dastjerd_id) for _ in range(args.rounds)]
        load_after = os.getloadavg()

    def line(label, runs):
        seconds = statistics.median(t for t, _p, _c in runs)
        cpu = statistics.median(c for _t, _p, c in runs)
        print(f"| {label} | {seconds:.2f} s | {cpu:.2f} s | {runs[0][1]} | "
              f"{', '.join(f'{t:.2f}' for t, _p, _c in runs)} |")
        return cpu

    print(f"worst allowed evaluation: {notes} notes of {limit} characters")
    print("| render | median wall time | median CPU time of the render | pages | rounds, wall "
          "(s) |\n|---|---|---|---|---|")
    d = line("heavy draft (watermarked, cached afterwards)", drafts)
    f = line("heavy final (PDF/A-3b, score card embedded, signed)", heavy_finals)
    o = line("ordinary final: Dastjerd ۱۴۰۴ (baseline)", ordinary)
    print(f"CPU time, heavy final / ordinary final: {f / o:.1f}×; heavy draft / ordinary: "
          f"{d / o:.1f}×")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
          f"({os.cpu_count()} CPUs)")
    print("target ≤ 10 s of render time (CPU time: the wall time on an idle machine):",
          "met" if max(d, f) <= 10 else "NOT met")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
