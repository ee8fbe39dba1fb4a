"""Form page benchmark: server time of the inspector's evaluation page for the sample rubric,
and what a tablet transfers on its first visit to it.

    .venv/bin/python bench/form_bench.py [--requests 200] [--no-browser]

1. Server time: p50/p95 of the form page through the Flask test client after a warm-up and,
   as the baseline measured in the same run, of the login page (the smallest page through the
   same stack), with their ratio. Target (issue 17): form page p95 ≤ 15 ms. Also the CPU
   time each page cost this process, and the speed reference of the shared CPUs.
2. First visit, as the browser gets it: Chromium (/usr/bin/chromium, as in the browser tests)
   logs in, then opens the form page in a fresh context (empty cache) against the app served
   on 127.0.0.1; every response of that page load is counted with the bytes that went over the
   wire (body as sent — gzip where the server compressed it — plus headers; Chromium asks for
   gzip as every browser does). The service worker is blocked in that context: installed, it
   fetches the same files again, answered from the HTTP cache or by 304s. Target: ≤ 70 KB.
   Also printed, per file: the headers' part of what it sent, the body size and what it would
   be gzipped (what a compressing reverse proxy would send).
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._autosave import cpu_reference  # noqa: E402
from bench._timing import percentile, timed  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
TABLET = {"viewport": {"width": 820, "height": 1180}, "has_touch": True, "locale": "fa-IR"}


def first_visit(app, path: str, username: str = "inspector", password: str = "arzyab-demo"):
    """[(url, content-encoding, wire bytes, header bytes, body bytes, gzipped body bytes)] of a
    first visit."""
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    rows = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu",
                                                "--disable-dev-shm-usage"])
            login = browser.new_context(**TABLET)
            page = login.new_page()
            page.goto(f"{base}/login")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", password)
            page.click("main button[type=submit]")
            page.wait_for_url(lambda url: "/login" not in url)
            cookies = login.cookies()
            login.close()

            fresh = browser.new_context(**TABLET, service_workers="block")
            fresh.add_cookies(cookies)
            page = fresh.new_page()
            finished = []
            page.on("requestfinished", lambda request: finished.append(request))
            page.goto(f"{base}{path}", wait_until="networkidle")
            for request in finished:
                response = request.response()
                sizes = request.sizes()
                body = response.body()
                rows.append((request.url.removeprefix(base),
                             response.header_value("content-encoding") or "",
                             sizes["responseBodySize"] + sizes["responseHeadersSize"],
                             sizes["responseHeadersSize"],
                             len(body), len(gzip.compress(body, compresslevel=6))))
            fresh.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--no-browser", action="store_true",
                        help="server times only (no Chromium)")
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import select

    from app import create_app
    from app.demo import create_demo
    from app.extensions import db
    from app.models import Evaluation, EvaluationCycle, Municipality
    from tests.helpers import csrf_token

    work = Path(tempfile.mkdtemp(prefix="arzyab-bench-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.sqlite'}",
                      "SECRET_KEY": "bench-secret-key-0123456789", "DATA_DIR": str(work)})
    with app.app_context():
        upgrade()
        create_demo()
        eid = db.session.scalar(select(Evaluation.id).join(Municipality).join(EvaluationCycle)
                                .where(Municipality.name == "کهک", EvaluationCycle.year == 1404))
    client = app.test_client()
    page = client.get("/login")
    client.post("/login", data={"username": "inspector", "password": "arzyab-demo",
                                "csrf_token": csrf_token(page.text)})
    url = f"/evaluations/{eid}"
    timed(client, url, 10)  # warm up: templates compiled, rubric parsed once
    start = time.process_time()
    form_times = timed(client, url, args.requests)
    form_cpu = (time.process_time() - start) * 1000 / args.requests
    login_client = app.test_client()
    timed(login_client, "/login", 10)
    start = time.process_time()
    base_times = timed(login_client, "/login", args.requests)
    base_cpu = (time.process_time() - start) * 1000 / args.requests

    p50, p95 = percentile(form_times, 0.5), percentile(form_times, 0.95)
    b50, b95 = percentile(base_times, 0.5), percentile(base_times, 0.95)
    print(f"form page ({args.requests} requests): p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
          f"mean {statistics.mean(form_times):.1f} ms  [target p95 ≤ 15 ms]")
    print(f"baseline /login:           p50 {b50:.1f} ms, p95 {b95:.1f} ms  "
          f"(form/login p50 ratio {p50 / b50:.1f}×)")
    # the machine's CPUs are shared: the CPU a page costs this process says more than the
    # wall clock when others are busy, read against the speed of the CPUs at the moment
    print(f"CPU per page (this process's clock): form {form_cpu:.1f} ms, login {base_cpu:.1f} "
          f"ms; speed reference {cpu_reference():.1f} ms (bench/_autosave.py)")
    if args.no_browser:
        return

    rows = first_visit(app, url)
    print(f"first visit of the form page in Chromium (empty cache), {len(rows)} responses:")
    print(f"  {'file':36s} {'encoding':>8s} {'on the wire':>12s} {'headers':>8s} "
          f"{'body':>9s} {'gzipped':>9s}")
    for path, encoding, wire, headers, body, gzipped in rows:
        name = path.split("?")[0].rsplit("/", 1)[-1] or path
        print(f"  {name[:36]:36s} {encoding or '-':>8s} {wire / 1024:9.1f} KB {headers:6d} B "
              f"{body / 1024:6.1f} KB {gzipped / 1024:6.1f} KB")
    wire = sum(row[2] for row in rows)
    headers = sum(row[3] for row in rows)
    print(f"transferred in all (bodies as sent + headers): {wire / 1024:.1f} KB, of which "
          f"headers {headers / 1024:.1f} KB  [target ≤ 70 KB]")


if __name__ == "__main__":
    main()
