"""Time and profile dashboard pages against a data set ``dashboard_bench.py`` already seeded
(it leaves its SQLite file in ``/tmp/arzyab-dashboard-bench-*/bench.sqlite``), so that one
page can be looked at again and again without seeding ten years each time.

    .venv/bin/python bench/dashboard_profile.py --database-url sqlite:////tmp/…/bench.sqlite
        [--requests 30] [--profile "/dashboard/ranking?year=1404"] [--as tehran-manager]

Without ``--profile``: p50/p95 of each page of the benchmark, and the login page's as the
baseline. With it: the cProfile of that one URL over ``--requests`` requests, by cumulative
and by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._timing import percentile, timed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--profile", default=None, help="one URL to profile")
    parser.add_argument("--as", dest="username", default="admin")
    parser.add_argument("--sql", action="store_true", help="print each statement's time")
    args = parser.parse_args()

    from app import create_app
    from bench.dashboard_bench import PAGES
    from tests.helpers import login

    work = Path(tempfile.mkdtemp(prefix="arzyab-dashboard-profile-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url,
                      "SECRET_KEY": "bench-secret-key-0123456789", "DATA_DIR": str(work)})
    clients = {}

    def client(username):
        if username not in clients:
            clients[username] = app.test_client()
            login(clients[username], username)
        return clients[username]

    if args.sql:
        _print_statements(app)
    if args.profile:
        who = client(args.username)
        timed(who, args.profile, 3)
        profile = cProfile.Profile()
        profile.enable()
        timed(who, args.profile, args.requests)
        profile.disable()
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
        return
    baseline = app.test_client()
    timed(baseline, "/login", 10)
    base = timed(baseline, "/login", args.requests)
    print(f"{'baseline: login page':34} {statistics.median(base):8.1f} "
          f"{percentile(base, 0.95):8.1f}")
    for name, username, url in PAGES:
        who = client(username)
        timed(who, url, 3)
        times = timed(who, url, args.requests)
        print(f"{name:34} {statistics.median(times):8.1f} {percentile(times, 0.95):8.1f}")


def _print_statements(app) -> None:
    import time

    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        took = (time.perf_counter() - conn.info.pop("started")) * 1000
        print(f"{took:7.2f} ms  {' '.join(statement.split())[:160]}")


if __name__ == "__main__":
    main()
