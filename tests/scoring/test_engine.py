"""Table-driven tests of the scoring rules, every expected figure computed by hand."""

import subprocess
import sys
from types import SimpleNamespace

import pytest

from app.rubric.model import Band, Criterion, Rubric, Scale, ScaleLevel, Tier, Unit
from app.scoring import criterion_fraction, round_half_up, score

TIERS = ("S", "M", "L")
S4 = Scale("s4", tuple(ScaleLevel(v, label) for v, label in enumerate(
    ["انجام نشده", "شروع شده", "ناقص", "عمدتاً انجام شده", "کامل و مستند"])))
BANDS = tuple(Band(m, label) for m, label in [
    (90, "عالی"), (80, "خیلی خوب"), (70, "خوب"), (60, "مناسب"), (50, "متوسط"), (0, "ضعیف")])


def per_tier(value):
    return value if isinstance(value, dict) else {t: value for t in TIERS}


def crit(cid, unit, type_, weight, target=None, floor=None, better="higher", applies=TIERS,
         allow_na=False, scale=None, note_below=None):
    return Criterion(
        id=cid, unit_id=unit, title=cid, type=type_, weight=per_tier(weight),
        target=None if target is None else per_tier(target),
        floor=None if floor is None else per_tier(floor), better=better,
        scale=scale or (S4 if type_ == "scale" else None), applies_to=frozenset(applies),
        allow_na=allow_na, note_required_below=note_below)


def make_rubric(na_limit=1 / 3, extra_units=()):
    waste = Unit("waste", "پسماند", per_tier({"S": 14, "M": 12, "L": 10}), (
        crit("1.1", "waste", "percent", 25, {"S": 90, "M": 95, "L": 98}),
        crit("1.2", "waste", "yesno", 25),
        crit("1.3", "waste", "scale", {"S": 25, "M": 15, "L": 10}),
        crit("1.4", "waste", "number", 25, {"S": 30, "M": 20, "L": 15}, better="lower",
             allow_na=True, note_below=0.5),
    ), applies_to=frozenset(TIERS))
    fire = Unit("fire", "آتش‌نشانی", per_tier(10), (
        crit("8.2", "fire", "number", 50, 8, floor=20, better="lower", applies=("M", "L"),
             allow_na=True),
        crit("8.3", "fire", "percent", 50, 80, floor=40, applies=("M", "L")),
    ), applies_to=frozenset({"M", "L"}))
    tiers = (Tier("S", grades=(1, 4)), Tier("M", grades=(5, 8)), Tier("L", grades=(9, 12)),
             Tier("X", population=(10_000_000, None)))
    return Rubric(id="t", version="1", title="t", tiers=tiers, bands=BANDS,
                  units=(waste, fire, *extra_units), reference_tier="L", na_limit=na_limit,
                  scales={"s4": S4})


def ans(value=None, na=False, reason=""):
    return SimpleNamespace(value=value, na=na, na_reason=reason)


RUBRIC = make_rubric()


@pytest.mark.parametrize("cid, value, tier, expected", [
    # percent, higher is better: min(v / target, 1)
    ("1.1", 81, "S", 81 / 90),
    ("1.1", 99, "S", 1.0),
    ("1.1", 0, "S", 0.0),
    # yes/no
    ("1.2", True, "S", 1.0),
    ("1.2", False, "S", 0.0),
    # scale: (v - lowest) / (highest - lowest)
    ("1.3", 2, "S", 0.5),
    ("1.3", 4, "S", 1.0),
    ("1.3", 0, "S", 0.0),
    # lower is better, no floor: 1 when v <= target, else target / v
    ("1.4", 30, "S", 1.0),
    ("1.4", 12, "S", 1.0),
    ("1.4", 36, "S", 30 / 36),
    ("1.4", 36, "L", 15 / 36),
    # lower is better with floor (the worst value): clamp((floor - v) / (floor - target))
    ("8.2", 14, "M", 0.5),
    ("8.2", 8, "M", 1.0),
    ("8.2", 5, "M", 1.0),
    ("8.2", 20, "M", 0.0),
    ("8.2", 25, "M", 0.0),
    # higher is better with floor: clamp((v - floor) / (target - floor))
    ("8.3", 60, "M", 0.5),
    ("8.3", 40, "M", 0.0),
    ("8.3", 30, "M", 0.0),
    ("8.3", 95, "M", 1.0),
])
def test_fraction_rules(cid, value, tier, expected):
    assert criterion_fraction(RUBRIC.criterion(cid), value, tier) == pytest.approx(expected)


def test_lower_is_better_with_target_zero():
    c = crit("z", "u", "number", 1, 0, better="lower")
    assert criterion_fraction(c, 0, "S") == 1.0
    assert criterion_fraction(c, 3, "S") == 0.0


def test_higher_is_better_with_target_zero_is_met_by_anything():
    c = crit("z", "u", "number", 1, 0)
    assert criterion_fraction(c, 0, "S") == 1.0


def test_small_town_worked_example():
    """Dastjerd-like, tier S; the figures below are computed by hand."""
    card = score(RUBRIC, "S", {"1.1": ans(81), "1.2": ans(True), "1.3": ans(2), "1.4": ans(36)})
    waste = card.unit("waste")
    # adjusted: (0.9 + 1 + 0.5 + 30/36) / 4 = 0.808333 -> 80.8
    assert waste.score == 80.8 and waste.band == "خیلی خوب"
    # raw, L targets: (81/98 + 1 + 0.5 + 15/36) / 4 = 0.685799 -> 68.6
    assert waste.raw == 68.6 and waste.raw_band == "مناسب"
    # the fire unit does not apply to S and leaves the overall
    fire = card.unit("fire")
    assert not fire.applicable and not fire.evaluated and fire.weight is None
    assert (card.score, card.raw, card.band) == (80.8, 68.6, "خیلی خوب")
    assert card.complete and card.missing == ()
    c11 = card.criterion("1.1")
    assert c11.max_points == 25 and c11.points == pytest.approx(22.5)
    assert c11.raw_fraction == pytest.approx(81 / 98)
    assert not card.criterion("8.2").applicable


def test_overall_is_weighted_by_tier_unit_weights():
    answers = {"1.1": ans(95), "1.2": ans(False), "1.3": ans(3), "1.4": ans(20),
               "8.2": ans(14), "8.3": ans(80)}
    card = score(RUBRIC, "M", answers)
    # waste, M weights 25,25,15,25: (25*1 + 0 + 15*0.75 + 25*1) / 90 = 61.25/90 = 68.0556
    assert card.unit("waste").score == 68.1
    # fire: (50*0.5 + 50*1) / 100 = 75.0
    assert card.unit("fire").score == 75.0
    # overall, unit weights M 12 and 10: (12*68.0556 + 10*75) / 22 = 71.2121 -> 71.2
    assert card.score == 71.2 and card.band == "خوب"
    # raw, L targets: 1.1 95/98; 1.4 15/20; fire targets are scalar so unchanged
    raw_waste = (25 * 95 / 98 + 0 + 15 * 0.75 + 25 * 0.75) / 90
    assert card.unit("waste").raw == round_half_up(100 * raw_waste)
    assert card.raw == round_half_up((12 * 100 * raw_waste + 10 * 75) / 22)


def test_na_within_the_cap_leaves_the_criterion_out():
    card = score(RUBRIC, "S", {"1.1": ans(90), "1.2": ans(True), "1.3": ans(0),
                               "1.4": ans(na=True, reason="ندارد")})
    waste = card.unit("waste")
    # N/A carries 25/100 of the weight (<= 1/3); (25 + 25 + 0) / 75 = 66.67
    assert waste.evaluated and waste.score == 66.7 and waste.na_share == 0.25
    assert card.criterion("1.4").na and card.criterion("1.4").points is None
    assert card.complete


@pytest.mark.parametrize("na_limit, evaluated", [(0.25, True), (0.2499, False)])
def test_na_cap_exactly_reached_is_still_evaluated(na_limit, evaluated):
    rubric = make_rubric(na_limit=na_limit)
    card = score(rubric, "S", {"1.1": ans(90), "1.2": ans(True), "1.3": ans(4),
                               "1.4": ans(na=True, reason="x")})
    assert card.unit("waste").evaluated is evaluated
    if not evaluated:
        assert card.unit("waste").reason == "na_limit"
        assert card.score is None and card.band is None


def test_all_na_unit_is_not_evaluated_and_leaves_the_overall():
    card = score(RUBRIC, "M", {"1.1": ans(95), "1.2": ans(True), "1.3": ans(4), "1.4": ans(20),
                               "8.2": ans(na=True, reason="ایستگاه ندارد"), "8.3": ans(80)})
    fire = card.unit("fire")
    # 8.2 is half of the fire unit's weight: 0.5 > 1/3
    assert not fire.evaluated and fire.reason == "na_limit" and fire.na_share == 0.5
    assert card.score == card.unit("waste").score == 100.0


def test_partial_draft_lists_missing_and_scores_what_is_answered():
    card = score(RUBRIC, "M", {"1.1": ans(95), "8.3": ans(60)})
    assert not card.complete
    assert card.missing == ("1.2", "1.3", "1.4", "8.2")
    assert card.unit("waste").score == 100.0
    assert card.unit("fire").score == 50.0
    # (12*100 + 10*50) / 22 = 77.27
    assert card.score == 77.3
    assert card.answered == 2 and card.applicable == 6


def test_nothing_answered_gives_no_score():
    card = score(RUBRIC, "S", {})
    assert card.score is None and card.band is None and not card.complete
    assert card.unit("waste").reason == "unanswered"


def test_a_tier_no_municipality_matches_still_scores():
    assert RUBRIC.tier_for(grade=12, population=2_000_000).id == "L"
    assert RUBRIC.tier_for(grade=None, population=20_000_000).id == "X"
    assert RUBRIC.tier_for(grade=None, population=5) is None


def test_raw_uses_own_target_when_reference_tier_has_none():
    only_small = crit("9.1", "extra", "number", 10, {"S": 5}, applies=("S",))
    extra = Unit("extra", "x", per_tier(5), (only_small,), applies_to=frozenset(TIERS))
    rubric = make_rubric(extra_units=(extra,))
    card = score(rubric, "S", {"9.1": ans(4)})
    assert card.criterion("9.1").fraction == card.criterion("9.1").raw_fraction == 0.8


def test_note_required_below_threshold():
    card = score(RUBRIC, "S", {"1.4": ans(90)})  # 30/90 = 0.33 < 0.5
    assert card.criterion("1.4").note_required
    card = score(RUBRIC, "S", {"1.4": ans(45)})  # 30/45 = 0.67
    assert not card.criterion("1.4").note_required


@pytest.mark.parametrize("value, decimals, expected", [
    (72.45, 1, 72.5), (72.44999, 1, 72.4), (0.05, 1, 0.1), (59.95, 1, 60.0),
    (2.675, 2, 2.68), (80.0, 1, 80.0), (-0.05, 1, -0.1),
])
def test_half_up_rounding(value, decimals, expected):
    assert round_half_up(value, decimals) == expected


def test_band_is_taken_from_the_rounded_score():
    assert RUBRIC.band_for(round_half_up(59.95)) == "مناسب"
    assert RUBRIC.band_for(59.94) == "متوسط"
    assert RUBRIC.band_for(0) == "ضعیف"


def test_json_shape_of_the_contract():
    card = score(RUBRIC, "S", {"1.1": ans(81), "1.2": ans(True), "1.3": ans(2), "1.4": ans(36)})
    data = card.to_dict()
    assert data["tier"] == "S" and data["complete"] is True and data["missing"] == []
    assert data["overall"] == {"score": 80.8, "raw": 68.6, "band": "خیلی خوب",
                               "raw_band": "مناسب", "ungated": 80.8, "raw_ungated": 68.6}
    assert data["gates"] == []
    unit = data["units"][0]
    assert unit["id"] == "waste" and unit["weight"] == 14 and unit["evaluated"] is True
    c = data["criteria"][0]
    assert c == {**c, "id": "1.1", "unit": "waste", "applicable": True, "na": False,
                 "fraction": 0.9, "raw_fraction": 0.8265, "max_points": 25, "points": 22.5}


def test_unknown_tier_is_refused():
    with pytest.raises(ValueError):
        score(RUBRIC, "Q", {})


def test_scoring_core_imports_no_flask_and_no_database():
    code = ("import sys, app.scoring, app.rubric.model, app.rubric.types, app.rubric.loader, "
            "app.rubric.answers, app.rubric.formula; "
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('flask', 'sqlalchemy', 'flask_sqlalchemy', 'wtforms')]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_half_up_rounding_from_memory_is_the_computation():
    """round_half_up remembers its results: asked again (and for ints, bools and the two
    zeros) it answers what the decimal computation answers, sign of zero included."""
    import math
    import random
    from decimal import ROUND_HALF_UP, Decimal

    def computed(value, decimals):
        quantum = Decimal(1).scaleb(-decimals)
        return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))

    rng = random.Random(7)
    values = [rng.uniform(-100, 100) for _ in range(300)] + [
        72.45, 59.95, 2.675, 0.05, -0.05, 0.0, -0.0, 0, 1, 100, True, False, 1e-7, 123456.789]
    for _twice in range(2):
        for value in values:
            for decimals in (0, 1, 2, 4, 12):
                got, expected = round_half_up(value, decimals), computed(value, decimals)
                assert got == expected and math.copysign(1, got) == math.copysign(1, expected)
    assert math.copysign(1, round_half_up(-0.0)) == -1
    assert math.copysign(1, round_half_up(0.0)) == 1
    assert math.isnan(round_half_up(float("nan")))
    assert round_half_up(None) is None
