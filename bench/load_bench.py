"""Load and fault test: simulated inspectors autosaving against gunicorn, on loopback only.

    .venv/bin/python bench/load_bench.py [--inspectors 50] [--seconds 60] [--kill]
                                         [--database-url postgresql+psycopg://…/db]

Each simulated inspector logs in and saves one answer at a time to their own evaluation,
with a fresh idempotency key per change; a save that fails (connection refused while the
server is down, a timeout) is sent again with the SAME key until the server answers. With
--kill the whole gunicorn process group is killed with SIGKILL half-way and started again.

At the end the database is compared with what the clients were told: every acknowledged
change is there (the last acknowledged value of each criterion is the stored one), no key is
stored twice, and no answer exists that no client sent. Prints requests per second and
p50/p99 latency of acknowledged saves. Bounded in time; talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "load-test-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(database_url: str, data_dir: Path, inspectors: int) -> list[tuple[str, int, list]]:
    """Migrate, load the demo, add one town, inspector and draft evaluation per client."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from app import create_app
    from app.authoring.services import latest_version
    from app.db import writing
    from app.demo import create_demo
    from app.evaluations import services
    from app.extensions import db
    from app.models import EvaluationCycle, Municipality, Province, User

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "DATA_DIR": str(data_dir),
                      "SECRET_KEY": "load-test-secret-0123456789"})
    clients = []
    with app.app_context():
        upgrade()
        create_demo()
        with writing():
            province = db.session.scalar(select(Province))
            cycle = db.session.scalar(select(EvaluationCycle).where(EvaluationCycle.year == 1404))
            version = latest_version("municipal-units")
            for n in range(inspectors):
                town = Municipality(province=province, name=f"شهر آزمون {n}", name_key=f"t{n}",
                                    county="قم", grade=1 + n % 12, population=5000 + n)
                user = User(username=f"load{n}", full_name=f"بازرس {n}")
                user.set_password(PASSWORD)
                user.set_roles(["inspector"])
                db.session.add_all([town, user])
                db.session.flush()
                evaluation = services.create_evaluation(town, cycle, version, inspectors=[user])
                rubric = services.rubric_for(evaluation)
                criteria = [(c.id, c.type, c.scale.levels[-1].value if c.scale else None)
                            for c in rubric.criteria() if c.applies(evaluation.tier_id)]
                clients.append((user.username, evaluation.id, criteria))
        db.engine.dispose()
    return clients


def value_for(kind: str, top, rng: random.Random):
    if kind == "yesno":
        return rng.choice([True, False])
    if kind == "scale":
        return rng.randint(0, int(top))
    if kind == "percent":
        return str(rng.randint(0, 100))
    return f"{rng.randint(0, 500)}.{rng.randint(0, 9)}"


class Inspector(threading.Thread):
    def __init__(self, base, username, evaluation_id, criteria, deadline, seed):
        super().__init__(daemon=True)
        self.base, self.username, self.eid = base, username, evaluation_id
        self.criteria, self.deadline = criteria, deadline
        self.rng = random.Random(seed)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.acked: list[tuple[str, str, object]] = []  # (key, criterion, value) in order
        #: every save sent, acknowledged or not, in order: (key, criterion, value)
        self.sent: list[tuple[str, str, object]] = []
        self.latencies: list[float] = []
        self.retries = 0
        self.gave_up: list[str] = []

    def request(self, url, data=None, headers=None, timeout=10):
        req = urllib.request.Request(self.base + url, data=data, headers=headers or {})
        with self.opener.open(req, timeout=timeout) as response:
            return response.status, response.read()

    def login(self):
        while time.monotonic() < self.deadline:
            try:
                _, page = self.request("/login")
                token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
                if token is None:  # an error page while the server restarts
                    time.sleep(0.5)
                    continue
                body = urllib.parse.urlencode({"username": self.username, "password": PASSWORD,
                                               "csrf_token": token.group(1).decode()}).encode()
                self.request("/login", body)
                return True
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        return False

    def run(self):
        if not self.login():
            return
        device = uuid.uuid4().hex
        while time.monotonic() < self.deadline:
            cid, kind, top = self.rng.choice(self.criteria)
            value = value_for(kind, top, self.rng)
            key = uuid.uuid4().hex
            body = json.dumps({"key": key, "device": device,
                               "changes": {cid: {"value": value}}}).encode()
            headers = {"Content-Type": "application/json", "X-Arzyab-Save": "1",
                       "Accept": "application/json"}
            start = time.perf_counter()
            self.sent.append((key, cid, value))
            while True:  # the same key until the server answers
                try:
                    status, _ = self.request(f"/evaluations/{self.eid}/answers", body, headers)
                    if status == 200:
                        self.latencies.append(time.perf_counter() - start)
                        self.acked.append((key, cid, value))
                    break
                except urllib.error.HTTPError as error:
                    if error.code < 500:
                        break
                    self.retries += 1
                except (urllib.error.URLError, OSError):
                    self.retries += 1
                if time.monotonic() > self.deadline + 30:
                    self.gave_up.append(key)
                    break
                time.sleep(0.2)


def start_server(port: int, env: dict, workers: int) -> subprocess.Popen:
    command = [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(workers), "--threads", "4",
               "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "--timeout", "60",
               "--log-level", "warning", "app:create_app()"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2)
            return process
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def verify(database_url: str, data_dir: Path, inspectors: list[Inspector]) -> dict:
    from sqlalchemy import select

    from app import create_app
    from app.extensions import db
    from app.models import Answer, SaveReceipt

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "DATA_DIR": str(data_dir),
                      "SECRET_KEY": "load-test-secret-0123456789"})
    lost = wrong = duplicated = unexpected = 0
    with app.app_context():
        receipts = db.session.execute(select(SaveReceipt.key, SaveReceipt.evaluation_id)).all()
        keys = [k for k, _ in receipts]
        duplicated = len(keys) - len(set(keys))
        stored_keys = set(keys)
        for client in inspectors:
            lost += sum(1 for key, _, _ in client.acked if key not in stored_keys)
            # the final value of a criterion is that of the last save the server stored
            expected = {cid: value for key, cid, value in client.sent if key in stored_keys}
            answers = {a.criterion_id: a for a in db.session.scalars(
                select(Answer).where(Answer.evaluation_id == client.eid))}
            unexpected += len(set(answers) - set(expected))
            for cid, value in expected.items():
                answer = answers.get(cid)
                want = (1.0 if value else 0.0) if isinstance(value, bool) else float(value)
                if answer is None or answer.value != want:
                    wrong += 1
        sent_keys = {k for c in inspectors for k, _, _ in c.sent}
        acked_keys = {k for c in inspectors for k, _, _ in c.acked}
        unacked_stored = len(stored_keys & sent_keys - acked_keys)
        unexpected += len(stored_keys - sent_keys)
        db.engine.dispose()
    return {"lost": lost, "wrong": wrong, "duplicated_keys": duplicated,
            "answers_nobody_sent": unexpected, "stored_but_unacknowledged": unacked_stored}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--inspectors", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--kill", action="store_true", help="SIGKILL the server half-way")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="arzyab-load-"))
    database_url = args.database_url or f"sqlite:///{work / 'load.sqlite'}"
    data_dir = work / "data"
    clients = prepare(database_url, data_dir, args.inspectors)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "ARZYAB_DATA_DIR": str(data_dir),
           "SECRET_KEY": "load-test-secret-0123456789"}
    server = start_server(port, env, args.workers)
    deadline = time.monotonic() + args.seconds
    inspectors = [Inspector(f"http://127.0.0.1:{port}", u, e, c, deadline, seed)
                  for seed, (u, e, c) in enumerate(clients)]
    started = time.monotonic()
    for inspector in inspectors:
        inspector.start()
    if args.kill:
        time.sleep(args.seconds / 2)
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        time.sleep(1)
        server = start_server(port, env, args.workers)
    for inspector in inspectors:
        inspector.join(timeout=args.seconds + 60)
    elapsed = time.monotonic() - started
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)

    latencies = sorted(x for c in inspectors for x in c.latencies)
    acked = len(latencies)
    result = verify(database_url, data_dir, inspectors)
    kind = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(f"{kind}, {args.inspectors} inspectors, {args.seconds:.0f} s, "
          f"{args.workers} gunicorn workers × 4 threads{', killed half-way' if args.kill else ''}")
    print(f"acknowledged saves: {acked} ({acked / elapsed:.0f}/s), retries: "
          f"{sum(c.retries for c in inspectors)}")
    if latencies:
        p50 = statistics.median(latencies) * 1000
        p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000
        print(f"latency of acknowledged saves: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print("check:", json.dumps(result))
    ok = result["lost"] == 0 and result["duplicated_keys"] == 0 and \
        result["answers_nobody_sent"] == 0 and result["wrong"] == 0
    print("RESULT:", "no acknowledged answer lost or duplicated" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
