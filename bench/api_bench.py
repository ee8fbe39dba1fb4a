"""Read API benchmark at national scale: the national evaluations list (1,500 municipalities ×
3 cycles, made as ``bench/dashboard_bench.py`` makes them) fetched page by page through
``/api/v1/evaluations`` with an admin's token, as a BI tool's nightly refresh does.

    .venv/bin/python bench/api_bench.py [--municipalities 1500] [--cycles 3] [--limit 100]
                                        [--rounds 3]

Measures, through the Flask test client (server time, no network):

- every page of the national list (``limit`` rows each, following ``next``), ``--rounds``
  times: p50/p95 per page, and the whole walk;
- the same pages again with ``If-None-Match`` (every one answers 304);
- a walk of one cycle (``?cycle=1404``) and of one province's manager (a smaller scope);
- the baseline, measured in the same run: ``/api/v1/cycles`` (the smallest authenticated
  answer: token check, audit, JSON), so ratios compare like with like on a loaded machine.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._timing import percentile  # noqa: E402
from bench.dashboard_bench import seed  # noqa: E402


def walk(client, headers, url, params, etags=None):
    """(milliseconds per page, rows, the pages' ETags) of a whole walk of `url`."""
    times, rows, seen, cursor = [], 0, [], None
    index = 0
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        extra = {"If-None-Match": etags[index]} if etags else {}
        start = time.perf_counter()
        response = client.get(url, query_string=query, headers={**headers, **extra})
        times.append((time.perf_counter() - start) * 1000)
        if etags:
            assert response.status_code == 304, response.status_code
            index += 1
            if index == len(etags):
                return times, rows, seen
            cursor = cursors[index]
            continue
        assert response.status_code == 200, response.json
        body = response.json
        rows += len(body["data"])
        seen.append(response.headers["ETag"])
        cursors.append(body["next"])
        cursor = body["next"]
        if cursor is None:
            return times, rows, seen


cursors: list = []


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--municipalities", type=int, default=1500)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1404)
    args = parser.parse_args()

    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app import create_app
    from app.api import tokens
    from app.db import writing
    from app.demo import create_demo
    from app.extensions import db
    from app.models import Province, User

    work = Path(tempfile.mkdtemp(prefix="arzyab-api-bench-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.sqlite'}",
                      "SECRET_KEY": "bench-secret-key-0123456789", "DATA_DIR": str(work),
                      "LIMITS": {"api": "100000 per minute"}})
    with app.app_context():
        upgrade()
        create_demo()
        facts = seed(args.municipalities, random.Random(args.seed), cycle_count=args.cycles)
        tehran = db.session.scalar(sa.select(Province.id).where(Province.name == "تهران"))
        with writing():
            manager = User(username="tehran-manager", full_name="مدیر تهران",
                           province_id=tehran)
            manager.set_password("arzyab-demo-password")
            manager.set_roles(["manager"])
            db.session.add(manager)
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        with writing():
            admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
            _row, admin_token = tokens.create(admin, name="bench", days=None)
            _row, manager_token = tokens.create(db.session.get(User, manager.id),
                                                name="bench", days=None)
    print(f"seeded {facts['municipalities']:,} municipalities, {facts['evaluations']:,} "
          f"evaluations, {facts['answers']:,} answers, {facts['unit_results']:,} unit results")

    client = app.test_client(use_cookies=False)
    admin_h = {"Authorization": f"Bearer {admin_token}"}
    manager_h = {"Authorization": f"Bearer {manager_token}"}
    params = {"limit": args.limit}
    for _ in range(10):  # warm up
        client.get("/api/v1/cycles", headers=admin_h)
    walk(client, admin_h, "/api/v1/evaluations", params)
    base = []
    for _ in range(50):
        start = time.perf_counter()
        assert client.get("/api/v1/cycles", headers=admin_h).status_code == 200
        base.append((time.perf_counter() - start) * 1000)

    pages, walks, rows, etags = [], [], 0, []
    for _ in range(args.rounds):
        cursors.clear()
        start = time.perf_counter()
        times, rows, etags = walk(client, admin_h, "/api/v1/evaluations", params)
        walks.append(time.perf_counter() - start)
        pages += times
    first_cursors = [None, *cursors[:-1]]
    cursors[:] = first_cursors
    not_modified, _rows, _seen = walk(client, admin_h, "/api/v1/evaluations", params,
                                      etags=etags)
    cursors.clear()
    cycle, cycle_rows, _ = walk(client, admin_h, "/api/v1/evaluations",
                                {**params, "cycle": 1404})
    cursors.clear()
    province, province_rows, _ = walk(client, manager_h, "/api/v1/evaluations", params)

    b50, b95 = statistics.median(base), percentile(base, 0.95)
    print(f"\n{'request':44} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p95/base':>9}")
    print(f"{'baseline: /api/v1/cycles':44} {len(base):5} {b50:8.1f} {b95:8.1f} {1:9.1f}")
    for name, times in ((f"national list, a page of {args.limit}", pages),
                        ("the same pages, If-None-Match → 304", not_modified),
                        ("one cycle (?cycle=1404), a page", cycle),
                        ("a province manager's list, a page", province)):
        p50, p95 = statistics.median(times), percentile(times, 0.95)
        print(f"{name:44} {len(times):5} {p50:8.1f} {p95:8.1f} {p95 / b95:9.1f}")
    print(f"\nnational list: {rows:,} evaluations in {len(etags)} pages; whole walk "
          f"{statistics.median(walks):.1f} s (median of {args.rounds}); one cycle "
          f"{cycle_rows:,} rows; one province {province_rows:,} rows")


if __name__ == "__main__":
    main()
