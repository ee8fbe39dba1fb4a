"""What the autosave benchmarks share: a database with one town, inspector and draft evaluation
per simulated tablet, the answers a tablet may send, and what the server must then store.

Every candidate answer is built by the criterion's own type (``demo_answer``: what the form
sends for an answer earning about a given share of the points), and its expected stored form
by the same type (``to_storage``), so the check after a run compares like with like for every
kind of criterion (typed values, computed inputs, ticked items, sites).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

SECRET = "load-test-secret-0123456789"
#: shares of the points the candidate answers earn
QUALITIES = (0.0, 0.3, 0.55, 0.8, 1.0)


@dataclass
class Tablet:
    """One simulated inspector: whom to log in as, which evaluation, and what to send."""

    username: str
    evaluation_id: int
    #: (criterion id, the change as the form sends it, expected stored value, expected data)
    candidates: list[tuple[str, dict, float | None, dict | None]]
    #: the session cookies a login leaves (name → value), when asked for
    cookies: dict[str, str] = field(default_factory=dict)


def app_config(database_url: str, data_dir: Path) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": database_url, "DATA_DIR": str(data_dir),
            "SECRET_KEY": SECRET, "SESSIONS_PER_USER": 1000}


def env(database_url: str, data_dir: Path) -> dict:
    """The environment of a server process on the same data."""
    return {"DATABASE_URL": database_url, "ARZYAB_DATA_DIR": str(data_dir),
            "SECRET_KEY": SECRET, "ARZYAB_SESSIONS_PER_USER": "1000"}


def candidates_for(rubric, tier_id: str, profile: dict) -> list[tuple]:
    from app.rubric import coerce_answer
    from app.rubric.formula import profile_values

    values = profile_values(profile)
    found = []
    for criterion in rubric.criteria():
        if not criterion.applies(tier_id):
            continue
        for quality in QUALITIES:
            change = criterion.kind.demo_answer(criterion, tier_id, quality, values)
            answer = coerce_answer(criterion, change)
            stored, data = criterion.kind.to_storage(criterion, answer, values)
            found.append((criterion.id, change, stored, data))
    return found


def prepare(database_url: str, data_dir: Path, tablets: int, *, cookies: bool = True):
    """Migrate, load the demo, add one town, inspector and draft evaluation per tablet.
    Returns the app and the tablets (with login cookies made without a password post)."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from app import create_app
    from app.authoring.services import latest_version
    from app.db import writing
    from app.demo import create_demo
    from app.evaluations import services
    from app.extensions import db
    from app.models import EvaluationCycle, Municipality, Province, User

    app = create_app(app_config(database_url, data_dir))
    made = []
    with app.app_context():
        upgrade()
        create_demo()
        rng = random.Random(1404)
        with writing():
            province = db.session.scalar(select(Province))
            cycle = db.session.scalar(select(EvaluationCycle).where(EvaluationCycle.year == 1404))
            version = latest_version("municipal-units")
            shapes: dict = {}
            # one real hash for every tablet's account (nobody logs in with it; hashing each
            # of 500 accounts anew took minutes)
            unused = User(username="unused")
            unused.set_password("not-used-by-the-benchmark")
            for n in range(tablets):
                population = rng.choice([1_600, 5_000, 12_000, 60_000, 250_000])
                town = Municipality(province=province, name=f"شهر آزمون {n}", name_key=f"t{n}",
                                    county="قم", grade=1 + n % 12, population=population,
                                    budget_million_rial=population * 90,
                                    staff_count=max(5, population // 180),
                                    area_hectares=max(50, population // 20))
                user = User(username=f"load{n}", full_name=f"بازرس {n}")
                user.password_hash = unused.password_hash
                user.set_roles(["inspector"])
                db.session.add_all([town, user])
                db.session.flush()
                evaluation = services.create_evaluation(town, cycle, version, inspectors=[user])
                shape = (evaluation.tier_id, tuple(sorted(evaluation.tier_basis.items())))
                if shape not in shapes:
                    shapes[shape] = candidates_for(services.rubric_for(evaluation),
                                                   evaluation.tier_id,
                                                   services.profile_of(evaluation))
                made.append(Tablet(user.username, evaluation.id, shapes[shape]))
        if cookies:
            from tests.helpers import session_cookies

            for tablet in made:
                tablet.cookies = session_cookies(app, tablet.username)
        db.session.remove()
    return app, made


def answer_change(tablet: Tablet, rng: random.Random) -> tuple[str, dict]:
    criterion, change, _stored, _data = rng.choice(tablet.candidates)
    return criterion, change


def cpu_reference() -> float:
    """Milliseconds of CPU a fixed pure-Python loop takes here and now (10⁶ additions): how
    fast this machine's shared CPUs run at the moment, to read the other figures against
    (about 40 ms on a quiet modern desktop)."""
    import time

    best = None
    for _ in range(5):
        start, total = time.process_time(), 0
        for number in range(1_000_000):
            total += number
        spent = (time.process_time() - start) * 1000
        best = spent if best is None else min(best, spent)
    return best
