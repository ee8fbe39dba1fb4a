"""Time and profile dashboard pages against a data set ``dashboard_bench.py`` already seeded
(it leaves its SQLite file in ``/tmp/arzyab-dashboard-bench-*/bench.sqlite``), so that one
page can be looked at again and again without seeding ten years each time.

    .venv/bin/python bench/dashboard_profile.py --database-url sqlite:////tmp/…/bench.sqlite
        [--requests 30] [--profile "/dashboard/ranking?year=1404"] [--as tehran-manager]

Without ``--profile``: p50/p95 of each page of the benchmark (wall clock), the median CPU
time of this process per request (``time.process_time``: the server's code runs in it, and
CPU time says less about the other processes sharing the machine) and the statements one
request of the page runs (each a round trip to the database), with the login page's as the
baseline. ``--only NAME`` (repeatable) times the pages whose name contains NAME. With
``--profile``: the cProfile of that one URL over ``--requests`` requests, by cumulative and by
own time.
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
from bench._timing import percentile, timed, timed_cpu  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--profile", default=None, help="one URL to profile")
    parser.add_argument("--as", dest="username", default="admin")
    parser.add_argument("--sql", action="store_true", help="print each statement's time")
    parser.add_argument("--only", action="append", default=[],
                        help="time only the pages whose name contains this")
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
    statements = _statement_counter(app)
    baseline = app.test_client()
    timed(baseline, "/login", 10)
    base, base_cpu = timed_cpu(baseline, "/login", args.requests)
    print(f"{'page':34} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms':>8} {'stmts':>6}")
    print(f"{'baseline: login page':34} {statistics.median(base):8.1f} "
          f"{percentile(base, 0.95):8.1f} {statistics.median(base_cpu):8.1f}")
    for name, username, url in PAGES:
        if args.only and not any(part in name for part in args.only):
            continue
        who = client(username)
        timed(who, url, 3)
        times, cpu = timed_cpu(who, url, args.requests)
        statements.clear()
        timed(who, url, 1)
        print(f"{name:34} {statistics.median(times):8.1f} {percentile(times, 0.95):8.1f} "
              f"{statistics.median(cpu):8.1f} {len(statements):6}")


def _statement_counter(app) -> list:
    """A list that every statement the application's engine runs is appended to."""
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    seen: list = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    return seen

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
