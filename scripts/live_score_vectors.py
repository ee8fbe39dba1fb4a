"""Write tests/data/live_score_vectors.json: the cases the page's live score must get right.

The page scores what the inspector types with app/static/js/scoring.js; the server with
app.scoring. Both are checked against this one file: tests/test_live_score.py checks that the
Python side still produces every rule and figure in it, tests/js/scoring.test.js that the
page's script reproduces the figures from the rules and the typed changes. When a scoring rule
or a type's client_spec changes on purpose, run this again and both test suites follow:

    .venv/bin/python scripts/live_score_vectors.py

Each case: a rubric file and tier, a municipality profile, the changes as the form sends them
(numbers typed with Persian digits, «٫», «٬», some refused on purpose), which of them the
server refuses, and the summary the save would answer with.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET = ROOT / "tests" / "data" / "live_score_vectors.json"

#: (rubric file, tier, profile, seed, share of answers given)
CASES = (
    ("rubrics/municipal-units.yaml", None, {"grade": 3, "population": 1600, "budget": 12000,
                                           "staff": 40, "area": 300}, 1, 1.0),
    ("rubrics/municipal-units.yaml", None, {"grade": 10, "population": 1200000,
                                           "budget": 9000000, "staff": 5200, "area": 15000},
     2, 0.7),
    ("rubrics/clean-city.yaml", None, {"grade": 6, "population": 45000, "budget": 400000,
                                      "staff": 300, "area": 2500}, 3, 0.9),
    ("rubrics/examples/worked-example.yaml", None, {"grade": 2, "population": 1600,
                                                   "budget": 12000, "staff": 40, "area": 300},
     4, 1.0),
    ("rubrics/examples/worked-example.yaml", None, {"grade": 7, "population": 60000,
                                                   "budget": 500000, "staff": 350,
                                                   "area": 3000}, 5, 1.0),
    ("rubrics/examples/worked-example.yaml", None, {"grade": 11, "population": 900000},
     6, 0.8),
    ("rubrics/municipal-units.yaml", None, {"grade": 6, "population": 50000, "budget": 300000,
                                           "staff": 260, "area": 2100}, 7, 1.0),
)

#: what read_number must make of each text: a number, or the reason it refuses
NUMBER_TEXTS = (
    "12.5", "۱۲٫۵", "١٢٫٥", "1,200", "۱٬۲۰۰", "12,345,678.5", "12/5", "۱۲/۵", " ۸۱ ", "۹۰٪",
    "90 %", "\u200f۹۰\u200e", "-3", "−3", "+7", "0", "007", ".5", "5.", "1e3", "2E-2",
    "12,5", "1,2,3", "12 5", "1,20", "۱۲،۵", "abc", "", "  ", "nan", "inf", "1e308",
    "1234567890123456", "999999999999999", "1000000000000000", "۱۲٫۵٫۳", "1..2", "--5",
    "5-", "1,200.5.6", "١٢,٥", "٫۵", "12٬5", "1 200", "۰٫۰۰۱", "1e-400", "0x10",
)


def number_vectors() -> list:
    from app.i18n import NumberError, read_number

    rows = []
    for text in NUMBER_TEXTS:
        try:
            rows.append([text, read_number(text)])
        except NumberError as error:
            rows.append([text, {"error": error.reason}])
    return rows


def _typed(value: float, rng: random.Random) -> str:
    """A number as an inspector might type it: Latin or Persian digits, «٫», grouped."""
    from app.i18n import format_quantity

    style = rng.randrange(4)
    if style == 0:
        return format_quantity(value, "en", grouping=False)
    if style == 1:
        return format_quantity(value, "fa", grouping=False)
    if style == 2:
        return format_quantity(value, "fa", grouping=True)
    return format_quantity(value, "en", grouping=True)


#: typed values the server refuses (or reads exactly), mixed into the cases
AWKWARD = ("12,5", "-5", "abc", "1e308", "۱۰۵", "1,2,3", "", "۰")


def _change(criterion, tier_id, profile, rng: random.Random) -> dict:
    """One change as the form sends it, for a criterion of any type."""
    kind = criterion.kind
    q = rng.random()
    if criterion.allow_na and rng.random() < 0.12:
        reason = "" if rng.random() < 0.3 else "در این شهر چنین واحدی نیست"
        return {"na": True, "na_reason": reason, "note": ""}
    answer = kind.demo_answer(criterion, tier_id, q, profile)
    change: dict = {"note": "", "na": False, "na_reason": ""} if criterion.allow_na \
        else {"note": ""}
    widget = kind.form_widget(criterion)
    if widget == "inputs":
        inputs = {name: _typed(value, rng) for name, value in answer["inputs"].items()}
        if inputs and rng.random() < 0.15:
            name = next(iter(inputs))
            inputs[name] = rng.choice(AWKWARD)
        change["inputs"] = inputs or None
    elif widget == "samples":
        rows = []
        for row in answer["samples"]:
            value = row["value"]
            if isinstance(value, bool):
                typed = value
            elif criterion.type == "scale":
                typed = f"{value:g}"
            else:
                typed = _typed(value, rng)
            rows.append({"site": row["site"], "value": typed})
        if rng.random() < 0.2:
            rows = rows[:1]  # fewer sites than the rule asks: unanswered, not refused
        change["samples"] = rows
    elif widget == "ticks":
        change["value"] = list(answer["value"])
    elif widget == "choice":
        value = answer["value"]
        change["value"] = value if isinstance(value, bool) else f"{value:g}"
    else:
        value = answer["value"]
        change["value"] = rng.choice(AWKWARD) if rng.random() < 0.2 else _typed(value, rng)
    return change


def build_case(path: str, tier_id: str | None, profile: dict, seed: int, share: float) -> dict:
    """One case, computed by the server's own code (the form's parsing, the engine, the
    summary the save returns)."""
    from app.evaluations.services import ServiceError, _parse_change, summary
    from app.rubric import load_rubric
    from app.rubric.formula import profile_values
    from app.scoring import score
    from app.scoring.client import page_rules

    rubric = load_rubric(ROOT / path)
    tier = rubric.tier(tier_id) if tier_id else rubric.tier_for(profile.get("grade"),
                                                                 profile.get("population"))
    rng = random.Random(seed)
    values = profile_values(profile)
    changes, answers, refused = {}, {}, []
    for criterion in rubric.criteria():
        if not criterion.applies(tier.id) or rng.random() > share:
            continue
        change = _change(criterion, tier.id, values, rng)
        changes[criterion.id] = change
        try:
            answers[criterion.id] = _parse_change(criterion, change, None, rubric)[0]
        except ServiceError:
            refused.append(criterion.id)
    card = score(rubric, tier.id, answers, profile)
    return {"name": f"{Path(path).stem} {tier.id} #{seed}", "rubric": path, "tier": tier.id,
            "profile": profile, "seed": seed, "share": share,
            "rules": page_rules(rubric, tier.id, profile), "changes": changes,
            "refused": refused, "expected": summary(card, rubric)}


def build() -> dict:
    return {"numbers": number_vectors(),
            "cases": [build_case(*case) for case in CASES]}


def app_context():
    """An application (for the form's own messages and limits), with no database use."""
    from app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "live-score-vectors-0123456789",
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return app.app_context()


def main() -> None:
    with app_context():
        data = build()
    TARGET.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}: {len(data['numbers'])} numbers, "
          f"{len(data['cases'])} cases")


if __name__ == "__main__":
    main()
