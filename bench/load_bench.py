"""Autosave under load against gunicorn on loopback, with cheap clients and the server's own CPU.

    # (a) saturation: tablets saving back to back; the bare database commit rate as baseline
    .venv/bin/python bench/load_bench.py --mode saturation [--tablets 32] [--seconds 20]
    # (b) a realistic pace: 500 inspectors saving every 2–5 s, one SIGKILL half-way
    .venv/bin/python bench/load_bench.py --mode realistic [--tablets 500] [--seconds 60] --kill
    # either, on PostgreSQL
    ... --database-url postgresql+psycopg://arzyab@127.0.0.1:55999/postgres

The clients are coroutines of one separate process (asyncio's streams: each tablet its own
kept-alive connection, cookies, device key and last seen version, and a minimal HTTP/1.1 client
of our own, :class:`_Link`); that process's own CPU time is reported, so what it takes from the
two CPUs is known. Every tablet saves one criterion of its
own evaluation at a time, an answer its criterion's type builds (``bench/_autosave.py``), with
a fresh idempotency key per change and the same key again after a failure (connection refused
while the server is down, a 5xx, a time-out) until the server answers.

The server's CPU is read from /proc: user + system time of the gunicorn master and every worker,
sampled every 0.2 s (a killed worker keeps its last sample), over the measured window; divided
by the acknowledged saves it is the server's CPU per save.

Saturation also measures, in the same run and on the same database, the bare commit rate: as
many processes as gunicorn has workers committing one-row inserts in a loop (SQLite: WAL,
``BEGIN IMMEDIATE``, ``synchronous=FULL``; PostgreSQL: INSERT + COMMIT), before the server
starts.

With --kill the whole gunicorn process group is killed with SIGKILL half-way and started
again. Latencies are reported for saves outside the restart window (those whose first attempt
was sent before the server answered again and that were still waiting when it was killed are
counted apart). At the end the database is compared with what every client was told: every
acknowledged save stored (by its key), no save applied twice (each evaluation's version grew
by exactly its stored saves), the last stored answer of each criterion is the one stored, no
answer nobody sent, and every stored score equal to scoring the stored answers from scratch.
Bounded in time; talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._autosave import app_config, env, prepare  # noqa: E402
from bench._server import free_port, start_server, stop_server  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


# --- the bare commit rate ------------------------------------------------------------------------

def _bare_sqlite(path: str, seconds: float, queue) -> None:
    import sqlite3

    connection = sqlite3.connect(path, isolation_level=None, timeout=15)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    count, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO bare (v) VALUES (?)", (count,))
        connection.execute("COMMIT")
        count += 1
    connection.close()
    queue.put(count)


def _bare_postgres(url: str, seconds: float, queue) -> None:
    import psycopg

    with psycopg.connect(url) as connection:
        count, deadline = 0, time.monotonic() + seconds
        while time.monotonic() < deadline:
            connection.execute("INSERT INTO bare (v) VALUES (%s)", (count,))
            connection.commit()
            count += 1
    queue.put(count)


def bare_commit_rate(database_url: str, processes: int, seconds: float = 4) -> float:
    """Commits per second of `processes` processes inserting one row per transaction."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    if database_url.startswith("sqlite"):
        import sqlite3

        path = database_url.removeprefix("sqlite:///") + "-bare"
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("CREATE TABLE IF NOT EXISTS bare (id INTEGER PRIMARY KEY, v)")
        target, where = _bare_sqlite, path
    else:
        import psycopg

        where = database_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(where) as connection:
            connection.execute("DROP TABLE IF EXISTS bare")
            connection.execute("CREATE TABLE bare (id SERIAL PRIMARY KEY, v INTEGER)")
        target = _bare_postgres
    workers = [context.Process(target=target, args=(where, seconds, queue))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    total = sum(queue.get(timeout=seconds + 60) for _ in workers)
    for worker in workers:
        worker.join()
    return total / seconds


# --- the server and its CPU ------------------------------------------------------------------

def _cpu_of(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


class ServerCPU(threading.Thread):
    """Samples the CPU time of gunicorn's master and workers (every process it ever saw)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.masters: list[int] = []
        self.last: dict[int, float] = {}
        self.stopped = threading.Event()
        self.lock = threading.Lock()

    def watch(self, master: int) -> None:
        with self.lock:
            self.masters.append(master)

    def sample(self) -> None:
        with self.lock:
            masters = list(self.masters)
        for master in masters:
            for pid in [master, *_children(master)]:
                cpu = _cpu_of(pid)
                if cpu is not None:
                    self.last[pid] = max(cpu, self.last.get(pid, 0.0))

    def total(self) -> float:
        self.sample()
        return sum(self.last.values())

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            self.sample()


# --- the clients (a separate process) ----------------------------------------------------------

class _Link:
    """One tablet's kept-alive HTTP/1.1 connection to the server on asyncio's streams: the
    request written in one piece, the reply read by its length, decoded as the tablets'
    browsers do (Brotli or gzip). A few lines instead of a general client: at saturation an
    HTTP library's own work per request cost the client process ~1 ms a save, a sixth of
    what the server spends (bench/RESULTS.md, issue 17, eighth round)."""

    ACCEPT = b"gzip, deflate, br"  # what the tablets' Chromium sends

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def post(self, path: str, body: bytes, headers: dict[str, str]):
        """``(status, {cookie name: value} set by the reply, decoded body)``."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = [f"POST {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                f"Content-Length: {len(body)}",
                *(f"{name}: {value}" for name, value in headers.items())]
        self.writer.write("\r\n".join(head).encode() + b"\r\nAccept-Encoding: " + self.ACCEPT
                          + b"\r\n\r\n" + body)
        lines = (await self.reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
        status = int(lines[0].split()[1])
        fields, cookies = {}, {}
        for line in lines[1:]:
            name, _colon, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip()
            if name == b"set-cookie":
                pair = value.split(b";", 1)[0].decode()
                cookies[pair.partition("=")[0]] = pair.partition("=")[2]
            elif name:
                fields[name] = value
        if fields.get(b"transfer-encoding") == b"chunked":
            payload = b""
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                payload += (await self.reader.readexactly(size + 2))[:-2]
            await self.reader.readuntil(b"\r\n")
        else:
            payload = await self.reader.readexactly(int(fields.get(b"content-length", 0)))
        if fields.get(b"connection") == b"close":
            self.close()
        encoding = fields.get(b"content-encoding")
        if encoding == b"br":
            import brotli

            payload = brotli.decompress(payload)
        elif encoding == b"gzip":
            import gzip

            payload = gzip.decompress(payload)
        return status, cookies, payload

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def run_clients(base: str, tablets: list[dict], mode: str, seconds: float, warmup: float,
                out: str) -> None:
    """The client process: every tablet a coroutine with its own connection; results
    written to `out` as JSON."""
    from urllib.parse import urlsplit

    address = urlsplit(base)

    async def main() -> dict:
        start = time.monotonic()
        measure_from, deadline = start + warmup, start + warmup + seconds
        results = await asyncio.gather(*[
            tablet_loop(tablet, mode, measure_from, deadline, index)
            for index, tablet in enumerate(tablets)])
        return {"tablets": results, "measure_from": measure_from, "deadline": deadline}

    async def tablet_loop(tablet, mode, measure_from, deadline, index) -> dict:
        rng = random.Random(index)
        link = _Link(address.hostname, address.port)
        cookies = dict(tablet["cookies"])
        device, version = uuid.uuid4().hex, None
        sent, acked, refused, retries, gave_up = [], [], [], 0, 0
        path = f"/evaluations/{tablet['evaluation_id']}/answers"
        if mode == "realistic":
            await asyncio.sleep(rng.uniform(0, 5))
        while time.monotonic() < deadline:
            choice = rng.randrange(len(tablet["candidates"]))
            criterion, change = tablet["candidates"][choice][:2]
            key = uuid.uuid4().hex
            body = {"key": key, "device": device, "changes": {criterion: change}}
            if version is not None:
                body["base_version"] = version
            data = json.dumps(body).encode()
            first = time.monotonic()
            sent.append((key, choice))
            while True:  # the same key until the server answers
                try:
                    async with asyncio.timeout(10):
                        status, set_cookies, answer = await link.post(path, data, {
                            "Content-Type": "application/json", "X-Arzyab-Save": "1",
                            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})
                    cookies.update(set_cookies)
                    if status == 200:
                        version = json.loads(answer)["version"]
                        acked.append((key, first, time.monotonic()))
                        break
                    if status < 500:
                        refused.append((key, status, answer[:200].decode(errors="replace")))
                        break
                except (TimeoutError, asyncio.IncompleteReadError, OSError, ValueError):
                    link.close()  # a new connection for the next try
                retries += 1
                if time.monotonic() > deadline + 30:
                    gave_up += 1
                    break
                await asyncio.sleep(0.2)
            if mode == "realistic":
                await asyncio.sleep(rng.uniform(2, 5))
        link.close()
        return {"evaluation_id": tablet["evaluation_id"], "sent": sent, "acked": acked,
                "refused": refused, "retries": retries, "gave_up": gave_up}

    result = asyncio.run(main())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["client_cpu"] = usage.ru_utime + usage.ru_stime
    Path(out).write_text(json.dumps(result))


# --- the check ---------------------------------------------------------------------------------

def verify(database_url: str, data_dir: Path, tablets: list[dict], results: list[dict],
           versions: dict[int, int]) -> dict:
    from sqlalchemy import func, select

    from app import create_app
    from app.evaluations import scorecards, services
    from app.extensions import db
    from app.models import Answer, Evaluation, SaveReceipt

    app = create_app(app_config(database_url, data_dir))
    counts = dict.fromkeys(["lost", "wrong", "duplicated", "answers_nobody_sent",
                            "stored_but_unacknowledged", "scores_differ"], 0)
    with app.app_context():
        stored = {key: eid for key, eid in db.session.execute(
            select(SaveReceipt.key, SaveReceipt.evaluation_id))}
        per_evaluation = {eid: n for eid, n in db.session.execute(
            select(SaveReceipt.evaluation_id, func.count()).group_by(SaveReceipt.evaluation_id))}
        sent_keys = set()
        for tablet, result in zip(tablets, results, strict=True):
            eid = tablet["evaluation_id"]
            acked = {key for key, _first, _last in result["acked"]}
            sent_keys.update(key for key, _choice in result["sent"])
            counts["lost"] += len(acked - set(stored))
            counts["stored_but_unacknowledged"] += sum(
                1 for key, _choice in result["sent"] if key in stored and key not in acked)
            evaluation = db.session.get(Evaluation, eid)
            applied = evaluation.version - versions[eid]
            counts["duplicated"] += max(0, applied - per_evaluation.get(eid, 0))
            # the last stored save of each criterion says what must be there now
            expected = {}
            for key, choice in result["sent"]:  # in the order sent: the last stored counts
                if key in stored:
                    candidate = tablet["candidates"][choice]
                    expected[candidate[0]] = candidate
            answers = {a.criterion_id: a for a in db.session.scalars(
                select(Answer).where(Answer.evaluation_id == eid))}
            counts["answers_nobody_sent"] += len(set(answers) - set(expected))
            for criterion, (_cid, _change, value, data) in expected.items():
                answer = answers.get(criterion)
                if answer is None or answer.value != value or answer.data != data:
                    counts["wrong"] += 1
            full = scorecards.card_from_rows(
                services.rubric_for(evaluation), evaluation.rubric_version.sha256,
                evaluation.tier_id, services.profile_of(evaluation),
                services.stored_rows(evaluation), services.stored_answer, memo=None)
            if (full.score, full.raw, full.band, full.answered) != (
                    evaluation.score, evaluation.raw_score, evaluation.band,
                    evaluation.answered_count):
                counts["scores_differ"] += 1
        counts["answers_nobody_sent"] += len(set(stored) - sent_keys)
        db.session.remove()
        db.engine.dispose()
    return counts


# --- the run -----------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["saturation", "realistic"], default="saturation")
    parser.add_argument("--tablets", type=int, default=None,
                        help="simulated inspectors (default: 32 saturating, 500 realistic)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="measured time (default: 20 saturating, 60 realistic)")
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--kill", action="store_true", help="SIGKILL the server half-way")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--profile", default=None, metavar="FILE",
                        help="record one worker with py-spy during the measured window "
                             "(CPU time only, idle excluded) into FILE (speedscope JSON)")
    args = parser.parse_args()
    tablets_count = args.tablets or (32 if args.mode == "saturation" else 500)
    seconds = args.seconds or (20 if args.mode == "saturation" else 60)

    work = Path(tempfile.mkdtemp(prefix="arzyab-load-"))
    database_url = args.database_url or f"sqlite:///{work / 'load.sqlite'}"
    data_dir = work / "data"
    kind = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(f"{kind}, {args.mode}, {tablets_count} tablets, {seconds:.0f} s measured, gunicorn "
          f"{args.workers} workers × {args.threads} threads"
          f"{', SIGKILL half-way' if args.kill else ''}; uptime: {os.getloadavg()}")
    _app, made = prepare(database_url, data_dir, tablets_count)
    tablets = [{"evaluation_id": t.evaluation_id, "cookies": t.cookies,
                "candidates": t.candidates} for t in made]
    versions = _versions(database_url, data_dir)

    bare = None
    if args.mode == "saturation":
        bare = {n: bare_commit_rate(database_url, n) for n in sorted({1, args.workers})}
        print("bare commit rate: " + ", ".join(f"{rate:,.0f}/s with {n} process"
                                               f"{'es' if n > 1 else ''}"
                                               for n, rate in bare.items()))

    port = free_port()
    environment = {**os.environ, **env(database_url, data_dir)}
    server = start_server(port, environment, args.workers, args.threads)
    cpu = ServerCPU()
    cpu.watch(server.pid)
    cpu.start()
    out = work / "clients.json"
    context = multiprocessing.get_context("spawn")
    clients = context.Process(target=run_clients, args=(
        f"http://127.0.0.1:{port}", tablets, args.mode, seconds, args.warmup, str(out)))
    started = time.monotonic()
    clients.start()
    time.sleep(args.warmup)
    cpu_start, wall_start = cpu.total(), time.monotonic()
    spy = None
    if args.profile:
        worker = _children(server.pid)[0]
        spy = subprocess.Popen([str(ROOT / ".venv/bin/py-spy"), "record", "--pid", str(worker),
                                "--duration", str(int(seconds)), "--rate", "200", "--format",
                                "raw", "--output", args.profile, "--nonblocking"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed_at = back_at = None
    if args.kill:
        time.sleep(seconds / 2)
        killed_at = time.monotonic()
        stop_server(server, signal.SIGKILL)
        server = start_server(port, environment, args.workers, args.threads)
        back_at = time.monotonic()
        cpu.watch(server.pid)
        print(f"killed at {killed_at - wall_start:.1f} s, answering again "
              f"{back_at - killed_at:.1f} s later")
    clients.join(timeout=args.warmup + seconds + 120)
    if spy is not None:
        spy.wait(timeout=60)
    cpu_end, wall_end = cpu.total(), time.monotonic()
    cpu.stopped.set()
    stop_server(server)

    data = json.loads(out.read_text())
    # the client process's clock and ours are the same monotonic clock (one machine)
    measure_from, deadline = data["measure_from"], data["deadline"]
    results = data["tablets"]
    acked = [(first, last) for r in results for _key, first, last in r["acked"]]
    window = [(f, last) for f, last in acked if measure_from <= f <= deadline]
    in_restart = [(f, last) for f, last in window
                  if killed_at is not None and f <= back_at and last >= killed_at]
    outside = [last - f for f, last in window if (f, last) not in set(in_restart)]
    measured = wall_end - wall_start
    saves = len(window)
    server_cpu = cpu_end - cpu_start
    print(f"acknowledged saves in the measured window: {saves:,} in {measured:.1f} s = "
          f"{saves / measured:,.0f}/s; retries {sum(r['retries'] for r in results):,}; "
          f"refused {sum(len(r['refused']) for r in results)}; "
          f"gave up {sum(r['gave_up'] for r in results)}")
    if outside:
        print(f"latency outside the restart window: p50 {statistics.median(outside) * 1000:.1f}"
              f" ms, p99 {percentile(outside, 0.99) * 1000:.1f} ms, max "
              f"{max(outside) * 1000:.1f} ms ({len(outside):,} saves)")
    if in_restart:
        waits = [last - f for f, last in in_restart]
        print(f"saves caught by the restart: {len(in_restart)}, waited up to "
              f"{max(waits):.1f} s")
    print(f"server CPU: {server_cpu:.1f} s = {server_cpu / max(saves, 1) * 1000:.2f} ms per "
          f"save; clients' CPU (whole run, {time.monotonic() - started:.0f} s): "
          f"{data['client_cpu']:.1f} s = {data['client_cpu'] / max(len(acked), 1) * 1000:.2f}"
          f" ms per save")
    if bare:
        best = max(bare.values())
        print(f"saves/s ÷ bare commit rate: {saves / measured / best * 100:.1f} %")
    for result in results:
        for refusal in result["refused"][:1]:
            print("refused:", refusal)
    check = verify(database_url, data_dir, tablets, results, versions)
    print("check:", json.dumps(check))
    ok = all(value == 0 for name, value in check.items() if name != "stored_but_unacknowledged")
    print(f"uptime after: {os.getloadavg()}")
    print("RESULT:", "nothing acknowledged lost, nothing applied twice, scores exact" if ok
          else "FAILED")
    sys.exit(0 if ok else 1)


def _versions(database_url: str, data_dir: Path) -> dict[int, int]:
    from sqlalchemy import select

    from app import create_app
    from app.extensions import db
    from app.models import Evaluation

    app = create_app(app_config(database_url, data_dir))
    with app.app_context():
        found = {eid: version for eid, version in db.session.execute(
            select(Evaluation.id, Evaluation.version))}
        db.session.remove()
        db.engine.dispose()
    return found


if __name__ == "__main__":
    main()
