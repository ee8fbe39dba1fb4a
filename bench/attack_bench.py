"""Attack benchmark: login spraying and session reuse against gunicorn, on loopback only.

    .venv/bin/python bench/attack_bench.py [--users 20] [--passwords 5] [--workers 2]
                                           [--clients 4] [--timing 30]

Starts gunicorn (``--workers`` processes) on 127.0.0.1 twice: counting failed logins in
memory (each worker alone) and in a throw-away Redis server (every worker together; skipped
when redis-server is not installed). Against each it runs, with ``--clients`` separate client
processes, each attempt a fresh browser (no cookies):

1. spraying: every one of ``--users`` accounts with each of ``--passwords`` wrong passwords,
   from one address: how many attempts reached a password check (401) before the limits
   answered 429;
2. the same through the trusted proxy with a new X-Forwarded-For address on every attempt;
3. the real user, on a device that logged in before the attack, with the right password;
4. session reuse: copies of session and keep-me-logged-in cookies taken before logout, used
   after it;
5. timing: wrong passwords for real and for unknown usernames (each username and address
   once, so no limit interferes), median answer times and their ratio (target: 0.8–1.25).

Bounded: at most users × passwords × 2 + timing × 2 + 100 requests per server, a timeout on
each, both servers stopped at the end. Talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._server import free_port, start_server, stop_server  # noqa: E402

PASSWORD = "attack-bench-password"
SECRET = "attack-bench-secret-0123456789"
PROXY_HOP = "198.51.100.7"
TOKEN = re.compile(rb'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def prepare(database_url: str, data_dir: Path, users: int) -> None:
    """Migrate, load the demo, add the accounts to spray (real password hashes)."""
    from flask_migrate import upgrade

    from app import create_app
    from app.db import writing
    from app.demo import create_demo
    from app.extensions import db
    from app.models import User

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "DATA_DIR": str(data_dir),
                      "SECRET_KEY": SECRET, "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        upgrade()
        create_demo()
        with writing():
            for n in range(users):
                user = User(username=f"target{n}", full_name=f"کاربر {n}")
                user.set_password(PASSWORD)
                user.set_roles(["inspector"])
                db.session.add(user)
        db.engine.dispose()


# --- one browser ----------------------------------------------------------------------------

class Browser:
    """A cookie jar and urllib, no redirects followed (we read the 302s)."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str, forwarded: str | None = None):
        assert base.startswith("http://127.0.0.1:"), "loopback only"
        self.base, self.forwarded = base, forwarded
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), self._NoRedirect())

    def request(self, path, data=None):
        headers = {"X-Forwarded-For": self.forwarded} if self.forwarded else {}
        req = urllib.request.Request(self.base + path, data=data, headers=headers)
        try:
            with self.opener.open(req, timeout=20) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)

    def login(self, username, password):
        _status, page, _headers = self.request("/login")
        token = TOKEN.search(page)
        body = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrf_token": token.group(1).decode()}).encode()
        start = time.perf_counter()
        status, _body, headers = self.request("/login", body)
        return status, (time.perf_counter() - start) * 1000, headers

    def cookie(self, name):
        return next((c.value for c in self.jar if c.name == name), None)

    def set_cookie(self, name, value):
        self.jar.set_cookie(http.cookiejar.Cookie(
            0, name, value, None, False, "127.0.0.1", False, False, "/", True, False, None,
            False, None, None, {}))


def _attempt(job):
    base, username, password, forwarded = job
    status, ms, _headers = Browser(base, forwarded).login(username, password)
    return status, ms


def run_jobs(jobs, clients):
    with ProcessPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(_attempt, jobs))


# --- the server -----------------------------------------------------------------------------

def start_redis(work: Path):
    binary = shutil.which("redis-server")
    if not binary:
        return None, None
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save",
                                "", "--appendonly", "no", "--dir", str(work)],
                               stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    return process, f"redis://127.0.0.1:{port}/0"


# --- the scenarios --------------------------------------------------------------------------

def scenarios(base, args):
    out = {}
    # the real user's tablet logs in once before the attack (and logs out)
    tablet = Browser(base)
    assert tablet.login("target0", PASSWORD)[0] == 302
    _s, page, _h = tablet.request("/evaluations/")
    tablet.request("/logout", urllib.parse.urlencode(
        {"csrf_token": TOKEN.search(page).group(1).decode()}).encode())

    jobs = [(base, f"target{u}", f"wrong-{p}", None)
            for p in range(args.passwords) for u in range(args.users)]
    codes = [status for status, _ms in run_jobs(jobs, args.clients)]
    out["spray"] = (len(codes), codes.count(401), codes.count(429))

    # the client writes a new address each time; our proxy appends the one it saw
    jobs = [(base, f"target{u}", f"other-{p}", f"10.{n // 250}.{n % 250}.1, {PROXY_HOP}")
            for n, (p, u) in enumerate((p, u) for p in range(args.passwords)
                                       for u in range(args.users))]
    codes = [status for status, _ms in run_jobs(jobs, args.clients)]
    out["rotating"] = (len(codes), codes.count(401), codes.count(429))

    status, ms, _headers = tablet.login("target0", PASSWORD)
    newcomer = Browser(base).login("target0", PASSWORD)
    out["real_user"] = (status, ms, newcomer[0])

    reused = 0
    for _ in range(25):  # session and remember cookies copied before logout
        device = Browser(base, forwarded=f"6.6.6.6, 192.0.2.{_ + 1}")
        _s, page, _h = device.request("/login")
        body = urllib.parse.urlencode({"username": "inspector", "password": "arzyab-demo",
                                       "remember": "y",
                                       "csrf_token": TOKEN.search(page).group(1).decode()})
        device.request("/login", body.encode())
        session, remember = device.cookie("session"), device.cookie("arzyab_remember")
        _s, page, _h = device.request("/evaluations/")
        device.request("/logout", urllib.parse.urlencode(
            {"csrf_token": TOKEN.search(page).group(1).decode()}).encode())
        for name, value in (("session", session), ("arzyab_remember", remember)):
            thief = Browser(base)
            thief.set_cookie(name, value)
            status, _body, _headers = thief.request("/evaluations/")
            reused += status == 200
    out["reuse"] = (50, reused)

    # each from its own address (the last X-Forwarded-For hop is the one our proxy adds)
    known = [(base, f"target{n}", "wrong-timing", f"6.6.6.6, 172.16.{n // 250}.{n % 250}")
             for n in range(1, args.timing + 1) if n < args.users]
    unknown = [(base, f"nobody{n}", "wrong-timing", f"6.6.6.6, 172.17.{n // 250}.{n % 250}")
               for n in range(len(known))]
    pairs = [job for pair in zip(known, unknown, strict=True) for job in pair]
    results = run_jobs(pairs, 1)  # one at a time, real and unknown in turn
    known_ms = [ms for status, ms in results[0::2] if status == 401]
    unknown_ms = [ms for status, ms in results[1::2] if status == 401]
    out["timing"] = (statistics.median(known_ms) if known_ms else float("nan"),
                     statistics.median(unknown_ms) if unknown_ms else float("nan"),
                     len(known_ms), len(unknown_ms))
    return out


def report(kind, out, workers):
    total, checked, limited = out["spray"]
    print(f"[{kind}, {workers} workers] spraying from one address: {total} attempts, "
          f"{checked} reached a password check, {limited} refused (429)")
    total, checked, limited = out["rotating"]
    print(f"[{kind}] rotating X-Forwarded-For through the proxy: {total} attempts, "
          f"{checked} reached a password check, {limited} refused (429)")
    status, ms, newcomer = out["real_user"]
    print(f"[{kind}] real user, known device, right password, after the attack: {status} "
          f"({ms:.0f} ms); a new device meanwhile: {newcomer}")
    copies, reused = out["reuse"]
    print(f"[{kind}] cookies copied before logout and used after it: {reused} of {copies} "
          "opened a page")
    known, unknown, n_known, n_unknown = out["timing"]
    print(f"[{kind}] wrong password, median answer: real user {known:.0f} ms (n={n_known}), "
          f"unknown user {unknown:.0f} ms (n={n_unknown}), ratio {unknown / known:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--passwords", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--timing", type=int, default=19)
    args = parser.parse_args()
    args.users = max(2, min(args.users, 200))
    args.passwords = max(1, min(args.passwords, 20))
    args.timing = max(1, min(args.timing, args.users - 1))

    work = Path(tempfile.mkdtemp(prefix="arzyab-attack-"))
    redis, redis_url = start_redis(work)
    try:
        for kind, storage in (("memory", None), ("Redis", redis_url)):
            if kind == "Redis" and not storage:
                print("[Redis] redis-server not installed: skipped")
                continue
            database_url = f"sqlite:///{work / (kind + '.sqlite')}"
            prepare(database_url, work / "data", args.users)
            env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET,
                   "ARZYAB_DATA_DIR": str(work / "data"), "ARZYAB_TRUST_PROXY": "true"}
            env.pop("REDIS_URL", None)
            if storage:
                env["REDIS_URL"] = storage
            port = free_port()
            server = start_server(port, env, args.workers, threads=2)
            try:
                report(kind, scenarios(f"http://127.0.0.1:{port}", args), args.workers)
            finally:
                stop_server(server)
    finally:
        if redis is not None:
            redis.terminate()
            redis.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
