"""Where one autosave's CPU goes: N saves through the whole Flask stack in this process (the
same request a tablet sends: session check, access, the writing transaction, the response),
timed by this process's CPU clock, optionally under a profiler.

    .venv/bin/python bench/save_profile.py [--saves 400] [--profile pyinstrument|cprofile]
                                           [--database-url postgresql+psycopg://…]

The figure is CPU time per save of the server code alone (no HTTP parsing by gunicorn, no
client): the load benchmark (bench/load_bench.py) measures the same over HTTP from the server
processes. Each save changes one random criterion to a random answer with a fresh key, as the
form's script does, with the version and device the client last saw.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._autosave import answer_change, cpu_reference, prepare  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=400)
    parser.add_argument("--evaluations", type=int, default=4)
    parser.add_argument("--profile", choices=["pyinstrument", "cprofile"], default=None)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--out", default=None, help="where the profile's text goes")
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    parser.add_argument("--statements", action="store_true",
                        help="print the statements of one save (their first words)")
    parser.add_argument("--paradata", action="store_true",
                        help="each save carries the form's paradata, as the form sends it")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="arzyab-save-profile-"))
    database_url = args.database_url or f"sqlite:///{work / 'profile.sqlite'}"
    app, clients = prepare(database_url, work / "data", args.evaluations, cookies=False)
    rng = random.Random(17)
    http = []
    for client in clients:
        test_client = app.test_client()
        from tests.helpers import login

        login(test_client, client.username)
        http.append((test_client, client, uuid.uuid4().hex, {"version": None}))

    def one_save(index: int) -> None:
        test_client, client, device, seen = http[index % len(http)]
        criterion, change = answer_change(client, rng)
        body = {"key": uuid.uuid4().hex, "device": device, "changes": {criterion: change}}
        if seen["version"] is not None:
            body["base_version"] = seen["version"]
        if args.paradata:  # what the form's script reports with a batch (app/paradata)
            now = int(time.time() * 1000)
            body["paradata"] = {"device_time": now, "visit": {"start": now - 600_000},
                                "criteria": {criterion: {"first": now - 5_000, "last": now,
                                                         "changes": 2}},
                                "units": {"waste": 40}, "location_status": "denied"}
        response = test_client.post(f"/evaluations/{client.evaluation_id}/answers",
                                    data=json.dumps(body),
                                    headers={"Content-Type": "application/json",
                                             "X-Arzyab-Save": "1"})
        assert response.status_code == 200, (response.status_code, response.data[:300])
        seen["version"] = response.get_json()["version"]

    for index in range(40):  # warm-up: rubric parsed, statements compiled and cached
        one_save(index)

    profiler = None
    if args.profile == "pyinstrument":
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        profiler.start()
    elif args.profile == "cprofile":
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU time, not waits
        profiler.enable()
    cpu, wall = time.process_time(), time.perf_counter()
    for index in range(args.saves):
        one_save(index)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if args.profile == "pyinstrument":
        profiler.stop()
        text = profiler.output_text(unicode=True, color=False, show_all=False)
    elif args.profile == "cprofile":
        import io
        import pstats

        profiler.disable()
        if args.out:
            profiler.dump_stats(f"{args.out}.pstats")  # for pstats' callers and callees
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        calls_per_save = stats.total_calls / args.saves
        stats.sort_stats(args.sort).print_stats(120)
        text = out.getvalue()
    if profiler is not None:
        if args.out:
            Path(args.out).write_text(text)
        else:
            print(text)
    # the same stack for a request refused before any save work (no autosave header): what
    # Flask, the session check and the test client cost on their own, in this run
    test_client, client, _device, _seen = http[0]
    base = time.process_time()
    for _ in range(args.saves):
        response = test_client.post(f"/evaluations/{client.evaluation_id}/answers",
                                    data="{}", headers={"Content-Type": "application/json"})
        assert response.status_code == 400
    base = (time.process_time() - base) / args.saves
    # statements a save sends to the database, counted by the engine's own event (after the
    # timing, so that the listener costs it nothing)
    from sqlalchemy import event

    with app.app_context():
        from app.extensions import db

        engine = db.engine
    statements = []

    def count(_connection, _cursor, statement, *_args, **_kwargs):
        statements.append(statement.split(None, 3)[:3])

    event.listen(engine, "before_cursor_execute", count)
    for index in range(50):
        one_save(index)
    event.remove(engine, "before_cursor_execute", count)
    if args.statements:
        for words in statements[-int(len(statements) / 50):]:
            print("  ", " ".join(words))
    kind = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(f"CPU speed reference (10⁶ additions in Python): {cpu_reference():.0f} ms")
    print(f"baseline: a refused request through the same stack: CPU {base * 1000:.2f} ms")
    print(f"{kind}: {args.saves} saves, CPU {cpu / args.saves * 1000:.2f} ms per save "
          f"(wall {wall / args.saves * 1000:.2f} ms){' under the profiler' if profiler else ''}")
    print(f"statements per save (engine events: BEGIN counted, the driver's commits not): "
          f"{len(statements) / 50:.1f}")
    if args.profile == "cprofile":
        print(f"Python function calls per save (cProfile, the test client's included): "
              f"{calls_per_save:.0f}")


if __name__ == "__main__":
    main()
