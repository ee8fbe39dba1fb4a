"""Time the dashboard pages of two checkouts of the code (before and after a change) against
the same seeded database, interleaved: a worker process per checkout serves the pages through
its own Flask test client, and the requests go to one and then the other in short blocks, so
that both see the same load on a shared machine (timing one and then the other, minutes
apart, compared the load more than the code).

    .venv/bin/python bench/dashboard_compare.py --database-url sqlite:////tmp/…/bench.sqlite \\
        --before /tmp/main-checkout [--after .] [--requests 50] [--block 5]

For each page of ``dashboard_bench.PAGES`` and the login page (the baseline): p50/p95 wall
time and the median CPU time of the worker's process per request (``time.process_time``: the
server's code runs in it; CPU time says less about the other processes sharing the CPUs than
the wall clock does, though a loaded machine slows it too), and the statements one request
runs (each a round trip to the database). The database is only read.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--before", required=True, help="the checkout timed as 'before'")
    parser.add_argument("--after", default=str(HERE.parent.parent))
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--block", type=int, default=5, help="requests in a row per worker")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return _serve(args.worker, args.database_url)

    sys.path.insert(0, str(HERE.parent.parent))
    from bench._timing import percentile
    from bench.dashboard_bench import PAGES

    workers = {name: _Worker(root, args.database_url)
               for name, root in (("before", args.before), ("after", args.after))}
    print(f"load average at the start: {os.getloadavg()}")
    pages = [("baseline: login page", None, "/login"), *PAGES]
    results = []
    for name, username, url in pages:
        for worker in workers.values():
            worker.ask(username, url, 3)  # warm up
        times = {key: ([], []) for key in workers}
        done = 0
        while done < args.requests:
            n = min(args.block, args.requests - done)
            for key, worker in workers.items():
                wall, cpu = worker.ask(username, url, n)
                times[key][0].extend(wall)
                times[key][1].extend(cpu)
            done += n
        counts = {key: worker.statements(username, url) for key, worker in workers.items()}
        results.append((name, times, counts))
    print(f"load average at the end: {os.getloadavg()}\n")
    print(f"{'page':30} | {'before p50':>10} {'p95':>6} {'CPU':>6} {'stmts':>5} | "
          f"{'after p50':>10} {'p95':>6} {'CPU':>6} {'stmts':>5}")
    worst = {key: 0.0 for key in workers}
    for name, times, counts in results:
        cells = []
        for key in workers:
            wall, cpu = times[key]
            p95 = percentile(wall, 0.95)
            if name != pages[0][0]:
                worst[key] = max(worst[key], p95)
            cells.append(f"{statistics.median(wall):10.1f} {p95:6.1f} "
                         f"{statistics.median(cpu):6.1f} {counts[key]:5}")
        print(f"{name:30} | {cells[0]} | {cells[1]}")
    print(f"\nworst p95: before {worst['before']:.1f} ms, after {worst['after']:.1f} ms")
    for worker in workers.values():
        worker.close()


class _Worker:
    """A process serving pages of one checkout; asked over its stdin, answering on stdout."""

    def __init__(self, root: str, database_url: str):
        self.process = subprocess.Popen(
            [sys.executable, str(HERE), "--worker", str(Path(root).resolve()),
             "--database-url", database_url, "--before", "-"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=root)

    def _call(self, **request):
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def ask(self, username, url, n):
        answer = self._call(user=username, url=url, n=n)
        return answer["wall"], answer["cpu"]

    def statements(self, username, url) -> int:
        return self._call(user=username, url=url, n=1)["statements"]

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def _serve(root: str, database_url: str) -> None:
    """The worker: the app of the checkout at `root`, its own test clients."""
    sys.path.insert(0, root)
    os.chdir(root)
    from sqlalchemy import event

    from app import create_app
    from app.extensions import db
    from tests.helpers import login

    work = tempfile.mkdtemp(prefix="arzyab-dashboard-compare-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url,
                      "SECRET_KEY": "bench-secret-key-0123456789", "DATA_DIR": work})
    with app.app_context():
        engine = db.engine
    seen: list = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: seen.append(statement))
    clients: dict = {}
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing else may write on the answers' channel
    for line in sys.stdin:
        request = json.loads(line)
        username = request["user"]
        if username not in clients:
            clients[username] = app.test_client()
            if username:
                login(clients[username], username)
        client = clients[username]
        seen.clear()
        wall, cpu = [], []
        for _ in range(request["n"]):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(request["url"], headers={"Accept-Encoding": "gzip"})
            cpu.append((time.process_time() - start_cpu) * 1000)
            wall.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (request["url"], response.status_code)
        out.write(json.dumps({"wall": wall, "cpu": cpu, "statements": len(seen)}) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
