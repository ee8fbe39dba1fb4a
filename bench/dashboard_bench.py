"""Dashboard benchmark at national scale: 1,500 municipalities × 10 cycles × the sample rubric
(about 750,000 answers) in a temporary SQLite file, or in an empty PostgreSQL database.

    .venv/bin/python bench/dashboard_bench.py [--municipalities 1500] [--cycles 10]
        [--requests 50] [--database-url postgresql+psycopg://arzyab@127.0.0.1:55999/postgres]

1. Seeds the data set with bulk inserts (SQLAlchemy Core ``insert()`` with executemany): the
   Qom demo first (users, the rubric, cycles ۱۴۰۳ and ۱۴۰۴), then earlier cycles and enough
   municipalities in 31 provinces to reach the total, each evaluated in every cycle. Each
   evaluation is scored once with the pure engine (``app.scoring.score``) and its overall and
   unit results stored on ``evaluations`` and ``unit_results``, as ``rescore()`` would.
2. Times the dashboard pages through the Flask test client as an admin (every province: the
   largest overview there is) — the overview sorted several ways and searched, the peer ranking
   — and a province manager's overview; p50/p95 over ``--requests`` requests each, against the
   login page measured in the same run as the baseline (target: p95 ≤ 60 ms).
3. Times rescoring one evaluation (score from its stored answers and store the results), and a
   whole one-answer save through the service (which rescores), each committed.
4. Times the exports once: the national overview (CSV, XLSX), all answers of a cycle
   nationally as the streamed CSV (first bytes, whole file, and in a second run the most
   memory Python held meanwhile) and as the background XLSX (started, then polled until it
   is ready; its memory in a second run), and a province manager's answers XLSX.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._timing import percentile, timed  # noqa: E402

PROVINCES = [
    "قم", "تهران", "اصفهان", "فارس", "خراسان رضوی", "آذربایجان شرقی", "آذربایجان غربی",
    "اردبیل", "البرز", "ایلام", "بوشهر", "چهارمحال و بختیاری", "خراسان جنوبی",
    "خراسان شمالی", "خوزستان", "زنجان", "سمنان", "سیستان و بلوچستان", "قزوین", "کردستان",
    "کرمان", "کرمانشاه", "کهگیلویه و بویراحمد", "گلستان", "گیلان", "لرستان", "مازندران",
    "مرکزی", "هرمزگان", "همدان", "یزد",
]
HEADS = ["آب", "باغ", "کوه", "ده", "شاه", "نور", "سبز", "گل", "رود", "چشمه", "سنگ", "میان",
         "کاظم", "علی", "حسن", "قلعه", "خیر", "نصر"]
TAILS = ["آباد", "دشت", "کنار", "شهر", "بند", "زار", "سر", "وند", "گان", "جان"]
#: grades weighted towards small towns, as in Iran
GRADES = [1] * 8 + [2] * 8 + [3] * 6 + [4] * 5 + [5] * 4 + [6] * 3 + [7] * 2 + [8] * 2 + [
    9, 10, 11, 12]


#: the pages timed: (name, who asks, URL); the admin sees every province (the largest
#: overview there is), the Tehran manager one province
PAGES = [
    ("overview, by name", "admin", "/dashboard/?year=1404"),
    ("overview, by score ↓", "admin", "/dashboard/?year=1404&sort=score&dir=desc"),
    ("overview, by inspectors", "admin", "/dashboard/?year=1404&sort=inspectors"),
    ("overview, page 20 by band", "admin", "/dashboard/?year=1404&sort=band&page=20"),
    ("overview, search + tier", "admin", "/dashboard/?year=1404&q=آباد&tier=S"),
    ("ranking (approved)", "admin", "/dashboard/ranking?year=1404"),
    ("ranking, all, page 10", "admin", "/dashboard/ranking?year=1404&pending=1&page=10"),
    ("ranking 1403, search", "admin", "/dashboard/ranking?year=1403&q=کوه"),
    ("province manager overview", "tehran-manager", "/dashboard/?year=1404&sort=score&dir=desc"),
    ("province manager ranking", "tehran-manager", "/dashboard/ranking?year=1404"),
    ("municipality page", "admin", "/dashboard/municipalities/100"),
]


def seed(target: int, rng: random.Random, cycle_count: int = 10) -> dict:
    """Bulk-insert municipalities, a third cycle, evaluations, answers, unit results and
    assignments until there are `target` municipalities, each evaluated in every cycle."""
    from sqlalchemy import func, insert, select, update

    from app.authoring.services import latest_version, rubric_of
    from app.demo import demo_answers
    from app.extensions import db
    from app.i18n import search_key
    from app.models import (
        Answer,
        Assignment,
        Evaluation,
        EvaluationCycle,
        Municipality,
        Province,
        UnitResult,
        User,
    )
    from app.rubric import coerce_answer
    from app.rubric.formula import profile_values
    from app.scoring import score

    started = time.perf_counter()
    version = latest_version("municipal-units")
    rubric = rubric_of(version)
    users = {u.username: u.id for u in db.session.scalars(select(User))}
    for year in range(1405 - cycle_count, 1403):
        if db.session.scalar(select(EvaluationCycle).where(EvaluationCycle.year == year)) is None:
            db.session.add(EvaluationCycle(year=year, title=f"ارزیابی عملکرد سال {year}",
                                           is_open=False))
    db.session.flush()
    cycles = {c.year: c.id for c in db.session.scalars(select(EvaluationCycle))}

    provinces = {p.name: p.id for p in db.session.scalars(select(Province))}
    for name in PROVINCES:
        if name not in provinces:
            db.session.execute(insert(Province), [{"name": name}])
    provinces = {p.name: p.id for p in db.session.scalars(select(Province))}
    existing = db.session.scalar(select(func.count()).select_from(Municipality))
    last_before = db.session.scalar(select(func.max(Municipality.id))) or 0
    now = dt.datetime(2025, 12, 1, 8, 0)
    towns = []
    others = [name for name in PROVINCES if name != "قم"]
    for index in range(target - existing):
        province = others[index % len(others)]
        name = f"{rng.choice(HEADS)}{rng.choice(TAILS)} {index // len(others) + 1}"
        grade = rng.choice(GRADES)
        population = int(1_500 * (1.9 ** grade) * rng.uniform(0.6, 1.4))
        towns.append({"province_id": provinces[province], "name": name,
                      "name_key": search_key(name), "county": f"{province} {index % 7 + 1}",
                      "grade": grade, "population": population, "census_year": 1395,
                      "budget_million_rial": population * 90, "staff_count": population // 180,
                      "area_hectares": max(50, population // 20), "updated_at": now})
    db.session.execute(insert(Municipality), towns)
    new_towns = list(db.session.scalars(select(Municipality).where(
        Municipality.id > last_before)))

    next_id = (db.session.scalar(select(func.max(Evaluation.id))) or 0) + 1
    evaluations, answers, units, assignments = [], [], [], []
    final_status: dict[int, str] = {}
    cards = 0
    for town in new_towns:
        town_id, profile = town.id, town.tier_basis()
        values_of_profile = profile_values(profile)
        tier = rubric.tier_for(town.grade, town.population).id
        base = rng.uniform(0.35, 0.85)
        for year, cycle_id in sorted(cycles.items()):
            quality = max(0.05, min(0.98, base + (year - 1402) * 0.04 + rng.gauss(0, 0.05)))
            if year < 1404:
                status = "approved" if rng.random() < 0.95 else "submitted"
            else:
                status = rng.choices(["approved", "submitted", "returned", "draft"],
                                     [40, 25, 10, 25])[0]
            given = demo_answers(rubric, tier, quality, partial=status == "draft",
                                 profile=profile)
            values = {cid: coerce_answer(rubric.criterion(cid),
                                         {k: v for k, v in a.items() if k != "note"})
                      for cid, a in given.items()}
            card = score(rubric, tier, values, profile)
            cards += 1
            eid = next_id
            next_id += 1
            changed = now - dt.timedelta(days=(1404 - year) * 365 + rng.randint(0, 90))
            evaluations.append({
                "id": eid, "municipality_id": town_id, "cycle_id": cycle_id,
                "rubric_version_id": version.id, "tier_id": tier,
                "tier_basis": profile, "status": "draft",
                "version": 2, "score": card.score, "raw_score": card.raw, "band": card.band,
                "raw_band": card.raw_band, "complete": card.complete,
                "ungated_score": card.ungated, "raw_ungated_score": card.raw_ungated,
                "answered_count": card.answered, "applicable_count": card.applicable,
                "visit_dates": f"{year}/08/12", "strengths_text": "", "improvements_text": "",
                "created_at": changed, "updated_at": changed})
            final_status[eid] = status
            for cid, a in given.items():
                criterion = rubric.criterion(cid)
                value, data = criterion.kind.to_storage(criterion, values[cid],
                                                        values_of_profile)
                answers.append({
                    "evaluation_id": eid, "criterion_id": cid, "value": value, "data": data,
                    "na": False, "na_reason": "", "note": a.get("note", ""), "revision": 2,
                    "review_comment": "", "updated_at": changed,
                    "updated_by_id": users["inspector"]})
            for unit in card.units:
                units.append({"evaluation_id": eid, "unit_id": unit.id, "score": unit.score,
                              "raw_score": unit.raw, "band": unit.band,
                              "evaluated": unit.evaluated, "weight": unit.weight})
            assignments += [
                {"evaluation_id": eid, "user_id": users["inspector"], "role": "inspector"},
                {"evaluation_id": eid, "user_id": users["reviewer"], "role": "reviewer"}]
    scored = time.perf_counter()
    # Core inserts on the session's connection (executemany; on PostgreSQL batched as
    # multi-row VALUES): the ORM's bulk path took over five minutes for 750,000 answers there
    connection = db.session.connection()
    for table, rows in ((Evaluation, evaluations), (Answer, answers), (UnitResult, units),
                        (Assignment, assignments)):
        for start in range(0, len(rows), 20_000):
            connection.execute(insert(table.__table__), rows[start:start + 20_000])
    for status in ("submitted", "returned", "approved"):
        ids = [eid for eid, s in final_status.items() if s == status]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            values = {"status": status, "submitted_at": now}
            if status == "approved":
                # approved and signed off: finals (app/workflow.py)
                values.update(approved_at=now, approved_by_id=users["reviewer"],
                              signed_at=now, signed_by_id=users["manager"])
            db.session.execute(update(Evaluation).where(Evaluation.id.in_(chunk))
                               .values(**values))
    db.session.commit()
    return {"municipalities": db.session.scalar(select(func.count()).select_from(Municipality)),
            "evaluations": db.session.scalar(select(func.count()).select_from(Evaluation)),
            "answers": db.session.scalar(select(func.count()).select_from(Answer)),
            "unit_results": db.session.scalar(select(func.count()).select_from(UnitResult)),
            "cards": cards, "score_s": scored - started,
            "insert_s": time.perf_counter() - scored}


def time_rescore(rounds: int) -> tuple[list[float], list[float]]:
    """Rescoring one (draft) evaluation from its stored answers, and a one-answer save."""
    from sqlalchemy import select

    from app.db import writing
    from app.evaluations import services
    from app.extensions import db
    from app.models import Evaluation, EvaluationCycle, User

    inspector = db.session.scalar(select(User).where(User.username == "inspector"))
    eid = db.session.scalar(select(Evaluation.id).join(EvaluationCycle).where(
        EvaluationCycle.year == 1404, Evaluation.status == "draft",
        Evaluation.answered_count > 10).order_by(Evaluation.id.desc()).limit(1))
    rescore_times, save_times = [], []
    for index in range(rounds):
        db.session.remove()
        start = time.perf_counter()
        with writing():
            evaluation = db.session.get(Evaluation, eid)
            services.rescore(evaluation)
        rescore_times.append((time.perf_counter() - start) * 1000)
        db.session.remove()
        start = time.perf_counter()
        with writing():
            evaluation = db.session.get(Evaluation, eid)
            criterion = evaluation.answers[0].criterion_id
            services.save_answers(evaluation, {criterion: {"note": f"یادداشت {index}"}},
                                  user=inspector)
        save_times.append((time.perf_counter() - start) * 1000)
    db.session.remove()
    return rescore_times, save_times


def seed_into(url: str, work: Path, municipalities: int, seed_value: int, cycles: int) -> None:
    """Migrate the empty database `url`, load the demo and the national data set, analyse."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app import create_app
    from app.demo import create_demo
    from app.extensions import db
    from app.models import Province, User

    app = create_app({"SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "bench-secret-key-0123456789", "DATA_DIR": str(work)})
    with app.app_context():
        upgrade()
        create_demo()
        facts = seed(municipalities, random.Random(seed_value), cycles)
        tehran = db.session.scalar(sa.select(Province.id).where(Province.name == "تهران"))
        manager = User(username="tehran-manager", full_name="مدیر تهران", province_id=tehran)
        manager.set_password("arzyab-demo")
        manager.set_roles(["reviewer"])
        db.session.add(manager)
        db.session.commit()
        if url.startswith("postgres"):
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(sa.text("VACUUM ANALYZE"))
        else:
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
    print(f"seeded {facts['municipalities']:,} municipalities, {facts['evaluations']:,} "
          f"evaluations, {facts['answers']:,} answers, {facts['unit_results']:,} unit results "
          f"({facts['cards']:,} score cards in {facts['score_s']:.1f} s, bulk inserts in "
          f"{facts['insert_s']:.1f} s)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--municipalities", type=int, default=1500)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1404)
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--database-url", default=None,
                        help="an empty database (default: a temporary SQLite file)")
    parser.add_argument("--seed-into", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--work", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_into:
        return seed_into(args.seed_into, Path(args.work), args.municipalities, args.seed,
                         args.cycles)

    from app import create_app
    from tests.helpers import login

    work = Path(tempfile.mkdtemp(prefix="arzyab-dashboard-bench-"))
    url = args.database_url or f"sqlite:///{work / 'bench.sqlite'}"
    print(f"{'PostgreSQL' if url.startswith('postgres') else 'SQLite'}; uptime: "
          f"{os.getloadavg()}", flush=True)
    # seeded in a process of its own: the seeding leaves ~750,000 answers' worth of Python
    # objects and freed arenas behind, and a server process that had them would spend its
    # requests in the garbage collector (p95 ×3–5 measured against a fresh process)
    subprocess.run([sys.executable, __file__, "--seed-into", url, "--work", str(work),
                    "--municipalities", str(args.municipalities), "--seed", str(args.seed),
                    "--cycles", str(args.cycles)], check=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "bench-secret-key-0123456789", "DATA_DIR": str(work)})

    admin = app.test_client()
    login(admin, "admin")
    manager = app.test_client()
    login(manager, "tehran-manager")
    baseline = app.test_client()
    timed(baseline, "/login", 10)
    base = timed(baseline, "/login", args.requests)
    results = []
    clients = {"admin": admin, "tehran-manager": manager}
    for name, username, url in PAGES:
        client = clients[username]
        timed(client, url, 3)  # warm up: templates compiled, rubric parsed once
        results.append((name, url, timed(client, url, args.requests)))

    with app.app_context():
        rescore_times, save_times = time_rescore(max(10, args.requests // 5))

    exports = []
    for name, client, url in [
            ("overview.csv, national", admin, "/dashboard/export/overview.csv?year=1404"),
            ("overview.xlsx, national", admin, "/dashboard/export/overview.xlsx?year=1404")]:
        start = time.perf_counter()
        response = client.get(url)
        assert response.status_code == 200
        exports.append((name, (time.perf_counter() - start) * 1000, len(response.data), ""))
    exports.append(streamed_csv(admin, "/dashboard/export/answers.csv?year=1404"))
    for name, client, query in [("answers.xlsx, 1404, national (background)", admin, "year=1404"),
                                ("answers.xlsx, 1404, one province (background)", manager,
                                 "year=1404")]:
        exports.append(background_xlsx(name, client, query))
    peak = _peak_mb(lambda: background_xlsx("", admin, "year=1404"))
    name, ms, size, more = exports[-2]
    exports[-2] = (name, ms, size, f"{more}; {peak:.0f} MB held at most (a second run)")

    b50, b95 = statistics.median(base), percentile(base, 0.95)
    print(f"\n{'page':34} {'p50 ms':>8} {'p95 ms':>8} {'p95/base':>9}")
    print(f"{'baseline: login page':34} {b50:8.1f} {b95:8.1f} {1:9.1f}")
    worst = 0.0
    for name, _url, times in results:
        p50, p95 = statistics.median(times), percentile(times, 0.95)
        worst = max(worst, p95)
        print(f"{name:34} {p50:8.1f} {p95:8.1f} {p95 / b95:9.1f}")
    print(f"\nrescore one evaluation (from stored answers, committed): "
          f"p50 {statistics.median(rescore_times):.1f} ms, "
          f"p95 {percentile(rescore_times, 0.95):.1f} ms")
    print(f"save one answer through the service (rescores, committed): "
          f"p50 {statistics.median(save_times):.1f} ms, "
          f"p95 {percentile(save_times, 0.95):.1f} ms")
    print()
    for name, ms, size, more in exports:
        print(f"export {name:44} {ms:8.0f} ms  {size / 1024:8.0f} KB  {more}")
    verdict = "met" if worst <= 60 else "MISSED"
    print(f"\nworst dashboard page p95: {worst:.1f} ms — target ≤ 60 ms {verdict}; uptime: "
          f"{os.getloadavg()}")


def streamed_csv(client, url: str) -> tuple:
    """The streamed answers CSV: time to the first piece and to the whole file; then once
    more under tracemalloc for the most memory Python held meanwhile (RSS says little in a
    process that has just freed the seeding's gigabyte)."""
    start = time.perf_counter()
    response = client.get(url, buffered=False)
    assert response.status_code == 200
    first = None
    size = 0
    for chunk in response.response:
        if first is None:
            first = (time.perf_counter() - start) * 1000
        size += len(chunk)
    response.close()
    total = (time.perf_counter() - start) * 1000

    def again():
        with client.get(url, buffered=False) as streamed:
            for _chunk in streamed.response:
                pass

    return ("answers.csv, 1404, national (streamed)", total, size,
            f"first bytes after {first:.0f} ms; {_peak_mb(again):.1f} MB held at most")


def _peak_mb(work) -> float:
    """The most memory Python allocated while `work()` ran (every thread), above what it held
    before."""
    import tracemalloc

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    try:
        work()
        return (tracemalloc.get_traced_memory()[1] - before) / 2**20
    finally:
        tracemalloc.stop()


def background_xlsx(name: str, client, query: str) -> tuple:
    """Start the background XLSX as the page's button does, poll its page, download it."""
    import re

    from tests.helpers import csrf_token

    start = time.perf_counter()
    page = client.get(f"/dashboard/export/answers.xlsx?{query}")
    posted = client.post(f"/dashboard/export/answers.xlsx?{query}",
                         data={"csrf_token": csrf_token(page.text)})
    assert posted.status_code == 302, posted.status_code
    started = (time.perf_counter() - start) * 1000
    polls = 0
    while True:
        page = client.get(posted.location)
        polls += 1
        if 'data-state="done"' in page.text:
            break
        assert 'data-state="failed"' not in page.text
        time.sleep(0.5)
    link = re.search(r'id="export-download" href="([^"]+)"', page.text).group(1)
    with client.get(link) as response:
        size = len(response.get_data())
    return (name, (time.perf_counter() - start) * 1000, size,
            f"job started, page answered after {started:.0f} ms; {polls} progress pages")


if __name__ == "__main__":
    main()
