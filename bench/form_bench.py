"""Form page benchmark: server time of the inspector's evaluation page for the sample rubric,
and what a tablet transfers to show it (compressed HTML, CSS, JS and the font).

    .venv/bin/python bench/form_bench.py [--requests 200]

Prints p50/p95 server times of the form page and, as the baseline measured in the same run,
of the login page (the smallest page through the same stack), with their ratio.
Targets (issue 3): form page under 50 ms at p95, under 150 KB transferred.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._timing import percentile, timed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import select

    from app import create_app
    from app.demo import create_demo
    from app.extensions import db
    from app.models import Evaluation, EvaluationCycle, Municipality
    from tests.helpers import login

    work = Path(tempfile.mkdtemp(prefix="arzyab-bench-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.sqlite'}",
                      "SECRET_KEY": "bench-secret-key-0123456789", "DATA_DIR": str(work)})
    with app.app_context():
        upgrade()
        create_demo()
        eid = db.session.scalar(select(Evaluation.id).join(Municipality).join(EvaluationCycle)
                                .where(Municipality.name == "کهک", EvaluationCycle.year == 1404))
    client = app.test_client()
    login(client, "inspector")
    url = f"/evaluations/{eid}"
    timed(client, url, 10)  # warm up: templates compiled, rubric parsed once
    form_times = timed(client, url, args.requests)
    login_client = app.test_client()
    timed(login_client, "/login", 10)
    base_times = timed(login_client, "/login", args.requests)

    import gzip as _gzip

    page = client.get(url, headers={"Accept-Encoding": "gzip"})
    html = _gzip.decompress(page.data).decode() if page.headers.get(
        "Content-Encoding") == "gzip" else page.get_data(as_text=True)
    sizes = {"html (gzip)": len(page.data)}
    # every stylesheet, script and font the page asks for, as a browser fetches them
    for asset in sorted(set(re.findall(r'(?:src|href)="(/(?:static|assets)/[^"]+)"', html))):
        with client.get(asset) as response:
            body = response.data
        woff = asset.endswith(".woff2") or asset.endswith(".png") or asset.endswith(".svg")
        sizes[asset.rsplit("/", 1)[1] + ("" if woff else " (gzip)")] = \
            len(body) if woff else len(_gzip.compress(body))
    total = sum(sizes.values())

    p50, p95 = percentile(form_times, 0.5), percentile(form_times, 0.95)
    b50, b95 = percentile(base_times, 0.5), percentile(base_times, 0.95)
    print(f"form page ({args.requests} requests): p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
          f"mean {statistics.mean(form_times):.1f} ms  [target p95 < 50 ms]")
    print(f"baseline /login:           p50 {b50:.1f} ms, p95 {b95:.1f} ms  "
          f"(form/login p50 ratio {p50 / b50:.1f}×)")
    for name, size in sizes.items():
        print(f"  {name:28s} {size / 1024:7.1f} KB")
    print(f"transferred in all: {total / 1024:.1f} KB  [target < 150 KB]")


if __name__ == "__main__":
    main()
