"""Report benchmark: the demo Dastjerd ۱۴۰۴ report against bare WeasyPrint, the cached final
download, and pages per second over a batch of renders.

    .venv/bin/python bench/report_bench.py [--rounds 5] [--batch 30]

1. Our render — context, template, child process behind the locked fetcher, atomic write —
   against bare WeasyPrint rendering the same HTML in this process with its default fetcher
   (our ``arzyab:`` URLs rewritten to ``file:`` URLs), the two alternating round by round;
   prints the medians and our overhead in percent (target: under 15%).
2. The stored final served through the Flask test client, as a logged-in reviewer
   (target: under 10 ms).
3. A batch of renders of the demo's evaluations one after another, and two at a time: pages
   per second.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._timing import percentile  # noqa: E402


def bare_html(html: str, app) -> str:
    """The same document for bare WeasyPrint: our URLs as plain file: URLs, CSS inlined."""
    css = (ROOT / "templates" / "reports" / "report.css").read_text()
    fonts = Path(app.config["FONTS_DIR"]).resolve().as_uri() + "/"
    css = css.replace("arzyab:fonts/", fonts)
    return html.replace('<link rel="stylesheet" href="arzyab:reports/report.css">',
                        f"<style>{css}</style>")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=30)
    args = parser.parse_args()

    import weasyprint
    from flask_migrate import upgrade
    from sqlalchemy import select

    from app import create_app
    from app.demo import DEMO_PASSWORD, create_demo
    from app.extensions import db
    from app.models import Evaluation, EvaluationCycle, Municipality
    from app.reports import services, settings
    from app.reports.render import render_pdf
    from tests.helpers import csrf_token

    work = Path(tempfile.mkdtemp(prefix="arzyab-report-bench-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.sqlite'}",
                      "SECRET_KEY": "bench-secret-key-0123456789", "DATA_DIR": str(work)})
    with app.app_context():
        upgrade()
        create_demo()
        evaluation = db.session.scalar(
            select(Evaluation).join(Municipality).join(EvaluationCycle)
            .where(Municipality.name == "دستجرد", EvaluationCycle.year == 1404))
        evaluation_id = evaluation.id
        all_ids = list(db.session.scalars(select(Evaluation.id).order_by(Evaluation.id)))

        # warm up: the forkserver (imports WeasyPrint once) and this process's WeasyPrint
        html, _context = services.evaluation_html(evaluation)
        plain = bare_html(html, app)
        render_pdf(html, settings.fetch_policy(evaluation), work / "warm.pdf")
        weasyprint.HTML(string=plain).write_pdf(work / "warm-bare.pdf")

        ours, bare, pages = [], [], 0
        for _ in range(args.rounds):
            start = time.perf_counter()
            evaluation = db.session.get(Evaluation, evaluation_id)
            html, _context = services.evaluation_html(evaluation)
            result = render_pdf(html, settings.fetch_policy(evaluation), work / "ours.pdf")
            ours.append(time.perf_counter() - start)
            pages = result.pages

            start = time.perf_counter()
            document = weasyprint.HTML(string=plain).render()
            document.write_pdf(work / "bare.pdf")
            bare.append(time.perf_counter() - start)
            assert len(document.pages) == pages, (len(document.pages), pages)
        ours_median, bare_median = statistics.median(ours), statistics.median(bare)
        overhead = 100 * (ours_median - bare_median) / bare_median
        print(f"Dastjerd 1404 report, {pages} pages, median of {args.rounds} rounds:")
        print(f"  ours (context + template + child + locked fetcher): {ours_median:.2f} s")
        print(f"  bare WeasyPrint, same HTML, in process:             {bare_median:.2f} s")
        print(f"  overhead: {overhead:+.1f}% (target < 15%)")

        # the fixed cost of the child process: a one-line document both ways
        tiny = "<p>سلام</p>"
        child, inline = [], []
        for _ in range(10):
            start = time.perf_counter()
            render_pdf(tiny, settings.fetch_policy(), work / "tiny.pdf")
            child.append(time.perf_counter() - start)
            start = time.perf_counter()
            weasyprint.HTML(string=tiny).write_pdf(work / "tiny-bare.pdf")
            inline.append(time.perf_counter() - start)
        print(f"  one-line document: child {1000 * statistics.median(child):.0f} ms, "
              f"in process {1000 * statistics.median(inline):.0f} ms")

    # cached final download
    client = app.test_client()
    page = client.get("/login")
    client.post("/login", data={"username": "reviewer", "password": DEMO_PASSWORD,
                                "csrf_token": csrf_token(page.text)})
    url = f"/evaluations/{evaluation_id}/report.pdf"
    start = time.perf_counter()
    first = client.get(url)
    issue = time.perf_counter() - start
    assert first.status_code == 200, first.status_code
    times = []
    for _ in range(200):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.data == first.data
    print(f"Final report: issued in {issue:.2f} s ({len(first.data) // 1024} KB); "
          f"cached download p50 {percentile(times, 0.5):.1f} ms, "
          f"p95 {percentile(times, 0.95):.1f} ms (target < 10 ms)")

    # a batch of renders over the demo's evaluations
    def one(index: int) -> int:
        with app.app_context():
            item = db.session.get(Evaluation, all_ids[index % len(all_ids)])
            html, _context = services.evaluation_html(item)
            return render_pdf(html, settings.fetch_policy(item),
                              work / f"batch-{index}.pdf").pages

    for workers in (1, 2):
        start = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            total = sum(pool.map(one, range(args.batch)))
        elapsed = time.perf_counter() - start
        print(f"Batch of {args.batch} reports, {workers} at a time: {total} pages in "
              f"{elapsed:.1f} s = {total / elapsed:.2f} pages/s, "
              f"{elapsed / args.batch:.2f} s per report")


if __name__ == "__main__":
    main()
