"""Part 2 of the scoring rules (computed values, brackets, checklists, samples, gates, per-unit
N/A limits), table-driven; every expected figure is worked out by hand in the comment beside it.
"""

from types import SimpleNamespace

import pytest

from app.rubric import coerce_answer, load_rubric
from app.scoring import score
from tests.rubric.base2 import BASE2, edit2

RUBRIC = load_rubric(BASE2)
DASTJERD = {"grade": 2, "population": 1600}


def answers(**raw):
    """Answers as an answers file writes them: criterion id (with «_» for «.») → raw."""
    result = {}
    for key, value in raw.items():
        cid = key.replace("_", ".")
        result[cid] = coerce_answer(RUBRIC.criterion(cid), value)
    return result


def card(rubric=RUBRIC, tier="S", profile=DASTJERD, **raw):
    built = {k.replace("_", "."): coerce_answer(rubric.criterion(k.replace("_", ".")), v)
             for k, v in raw.items()}
    return score(rubric, tier, built, profile)


# --- computed values -----------------------------------------------------------------------

@pytest.mark.parametrize("inputs, profile, tier, value, fraction, raw", [
    # 14,400 m² / 1,600 people = 9 m² each; S target 7 → 1; raw against L's 12 → 0.75
    ({"green_area": 14400}, DASTJERD, "S", 9, 1.0, 0.75),
    # 8,000 / 1,600 = 5; 5/7 and 5/12
    ({"green_area": "۸٬۰۰۰"}, DASTJERD, "S", 5, 5 / 7, 5 / 12),
    # in tier L the adjusted and raw targets are both 12
    ({"green_area": 14400}, {"grade": 9, "population": 1600}, "L", 9, 0.75, 0.75),
])
def test_computed_value(inputs, profile, tier, value, fraction, raw):
    c = card(tier=tier, profile=profile, **{"1_1": {"inputs": inputs}}).criterion("1.1")
    assert c.answered and c.value == pytest.approx(value)
    assert c.fraction == pytest.approx(fraction) and c.raw_fraction == pytest.approx(raw)
    assert c.details["inputs"]["green_area"] > 0 and c.details["profile"]["population"] == 1600


@pytest.mark.parametrize("raw, profile", [
    ({"inputs": {}}, DASTJERD),                           # the input not given
    ({"inputs": {"green_area": 100}}, {"grade": 2}),      # the profile lacks the population
    ({"inputs": {"green_area": 100}}, {"grade": 2, "population": 0}),  # division by zero
])
def test_computed_value_without_all_it_needs_is_missing(raw, profile):
    result = card(profile=profile, **{"1_1": raw})
    assert "1.1" in result.missing and not result.criterion("1.1").answered


def test_profile_as_stored_on_a_municipality_is_read_too():
    stored = {"grade": 2, "population": 1600, "budget_million_rial": 5, "staff_count": 3}
    c = card(profile=stored, **{"1_1": {"inputs": {"green_area": 1600}}}).criterion("1.1")
    assert c.value == 1


def test_computed_percent_may_exceed_100():
    text = edit2("        type: number\n        inputs:", "        type: percent\n        inputs:")
    rubric = load_rubric(text)
    c = card(rubric, **{"1_1": {"inputs": {"green_area": 320000}}}).criterion("1.1")
    assert c.value == 200 and c.fraction == 1.0


# --- brackets --------------------------------------------------------------------------------

@pytest.mark.parametrize("value, tier, fraction, raw", [
    (85, "S", 1.0, 0.6),    # S: 80 ≤ 85 → 1; raw L: 80 ≤ 85 < 95 → 0.6
    (65, "S", 0.6, 0.0),    # S: 60 ≤ 65 → 0.6; raw L: below 80 → no bracket → 0
    (59.9, "S", 0.0, 0.0),  # below every min → 0
    (80, "S", 1.0, 0.6),    # a bound is inclusive
    (96, "L", 1.0, 1.0),
])
def test_min_brackets(value, tier, fraction, raw):
    profile = DASTJERD if tier == "S" else {"grade": 9}
    c = card(tier=tier, profile=profile, **{"1_2": value}).criterion("1.2")
    assert (c.fraction, c.raw_fraction) == (pytest.approx(fraction), pytest.approx(raw))


def test_max_brackets_lower_is_better():
    text = edit2(
        "          S: [{min: 80, fraction: 1}, {min: 60, fraction: 0.6}]\n"
        "          L: [{min: 95, fraction: 1}, {min: 80, fraction: 0.6}]\n",
        "          [{max: 10, fraction: 1}, {max: 20, fraction: 0.5}]\n")
    rubric = load_rubric(text)
    for value, fraction in ((4, 1.0), (10, 1.0), (10.5, 0.5), (20, 0.5), (21, 0.0)):
        assert card(rubric, **{"1_2": value}).criterion("1.2").fraction == fraction, value


# --- checklists ------------------------------------------------------------------------------

@pytest.mark.parametrize("ticked, fraction", [
    ([], 0.0),
    (["budget"], 1 / 3),         # 1 of full_at 3
    (["plan"], 2 / 3),
    (["plan", "budget"], 1.0),   # 3 of 3
])
def test_checklist(ticked, fraction):
    c = card(**{"2_2": ticked}).criterion("2.2")
    assert c.answered and c.fraction == pytest.approx(fraction)
    assert c.raw_fraction == c.fraction and c.value == tuple(k for k in ("plan", "budget")
                                                              if k in ticked)


def test_checklist_full_at_defaults_to_all_points():
    rubric = load_rubric(edit2("        full_at: 3\n", "").replace("points: 2}", "points: 3}"))
    assert rubric.criterion("2.2").full_at == 4
    assert card(rubric, **{"2_2": ["plan"]}).criterion("2.2").fraction == 0.75


# --- samples ---------------------------------------------------------------------------------

SITES = [{"site": "الف", "value": 2}, {"site": "ب", "value": 1}, {"site": "ج", "value": 2}]


@pytest.mark.parametrize("how, fraction", [
    ("mean", (1 + 0.5 + 1) / 3),
    ("min", 0.5),
    ("share", 2 / 3),             # two of three sites fully met
])
def test_samples_aggregate(how, fraction):
    rubric = load_rubric(edit2("aggregate: mean", f"aggregate: {how}"))
    c = card(rubric, **{"2_1": {"samples": SITES}}).criterion("2.1")
    assert c.fraction == pytest.approx(fraction) and c.raw_fraction == pytest.approx(fraction)
    assert [row["site"] for row in c.details["samples"]] == ["الف", "ب", "ج"]


def test_fewer_samples_than_min_is_missing():
    result = card(**{"2_1": {"samples": SITES[:1]}})
    assert "2.1" in result.missing


def test_sampled_number_uses_each_tiers_targets():
    text = edit2("        samples: {min: 2, aggregate: mean}\n", "").replace(
        "        brackets:\n"
        "          S: [{min: 80, fraction: 1}, {min: 60, fraction: 0.6}]\n"
        "          L: [{min: 95, fraction: 1}, {min: 80, fraction: 0.6}]\n",
        "        target: {S: 80, L: 100}\n        samples: {min: 2, aggregate: mean}\n")
    rubric = load_rubric(text)
    rows = [{"site": "a", "value": 40}, {"site": "b", "value": 100}]
    c = card(rubric, **{"1_2": {"samples": rows}}).criterion("1.2")
    # S: 40/80 = 0.5 and 1 → 0.75; raw L: 0.4 and 1 → 0.7
    assert c.fraction == pytest.approx(0.75) and c.raw_fraction == pytest.approx(0.7)


# --- gates -----------------------------------------------------------------------------------

FULL = {"1_1": {"inputs": {"green_area": 14400}}, "1_2": 85,
        "2_1": {"samples": SITES}, "2_2": ["plan", "budget"], "3_1": True}


def test_all_gates_met_change_nothing():
    result = card(**FULL)
    assert [(g.id, g.met) for g in result.gates] == [("core", True), ("permit", True)]
    assert result.score == result.ungated and not result.gated


def test_factor_gate_on_a_criterion():
    result = card(**{**FULL, "3_1": False})
    # green 100; clean (10·(2.5/3) + 10·1 + 1·0)/21 = 87.30; overall (1000 + 873.0)/20 = 93.65
    assert result.ungated == 93.7
    assert [(g.id, g.met) for g in result.gates] == [("core", True), ("permit", False)]
    assert result.score == 46.8  # 93.65 × 0.5 = 46.83
    assert result.band == "ضعیف" and result.gated


def test_cap_then_factor_in_the_order_written():
    result = card(**{**FULL, "1_1": {"inputs": {"green_area": 1600}}, "1_2": 10, "3_1": False})
    # green: 1.1 = 1/7, 1.2 = 0 → 100·(10/7)/20 = 7.14 < 50; clean 87.30
    # overall (71.43 + 873.0)/20 = 47.22; cap 59.9 → 47.22; × 0.5 → 23.61
    assert [(g.id, g.met) for g in result.gates] == [("core", False), ("permit", False)]
    assert result.ungated == 47.2 and result.score == 23.6
    assert result.raw_ungated is not None


def test_raw_overall_goes_through_the_gates_on_raw_figures():
    result = card(**{**FULL, "1_1": {"inputs": {"green_area": 4800}}, "1_2": 65})
    # adjusted green: 1.1 = 3/7, 1.2 = 0.6 → 51.4 ≥ 50: met; raw: 3/12 and 0 → 12.5: not met
    (core, _permit) = result.gates
    assert core.met and not core.raw_met
    assert result.raw <= 59.9 and result.raw == min(result.raw_ungated, 59.9)


def test_unanswered_and_na_criteria_in_a_gate():
    text = edit2("        type: yesno\n", "        type: yesno\n        allow_na: true\n")
    rubric = load_rubric(text)
    unanswered = {k: v for k, v in FULL.items() if k != "3_1"}
    assert not card(rubric, **unanswered).gates[1].met        # unanswered counts below min
    na = card(rubric, **{**unanswered, "3_1": {"na": "ندارد"}})
    assert na.gates[1].met and na.gates[1].counted == 0       # N/A is left out: nothing counted


def test_count_gate_and_not_evaluated_unit():
    text = edit2("    units: [green]\n    min: 50\n", "    units: all\n    min: 50\n    count: 2\n")
    rubric = load_rubric(text)
    only_clean = {k: v for k, v in FULL.items() if not k.startswith("1_")}
    result = card(rubric, **only_clean)
    # green is not evaluated (nothing answered): it counts as below min, so 1 of 2 reach 50
    assert not result.gates[0].met and result.gates[0].reached == 1
    assert card(rubric, **FULL).gates[0].met


def test_unit_na_limit_replaces_the_rubrics():
    text = edit2("        type: percent\n        weight: 10\n",
                 "        type: percent\n        weight: 10\n        allow_na: true\n")
    rubric = load_rubric(text)
    half = card(rubric, **{**FULL, "1_2": {"na": "ندارد"}})
    assert half.unit("green").evaluated          # N/A share 0.5 ≤ the unit's own 0.5
    stricter = load_rubric(text.replace("    na_limit: 0.5\n", "    na_limit: 0.4\n"))
    assert not card(stricter, **{**FULL, "1_2": {"na": "ندارد"}}).unit("green").evaluated


def test_json_shape_of_part2():
    data = card(**{**FULL, "3_1": False}).to_dict()
    assert data["gates"] == [{"id": "core", "met": True, "raw_met": True},
                             {"id": "permit", "met": False, "raw_met": False}]
    assert data["overall"]["ungated"] == 93.7 and data["overall"]["score"] == 46.8
    by_id = {c["id"]: c for c in data["criteria"]}
    assert by_id["1.1"]["value"] == 9 and by_id["1.1"]["inputs"] == {"green_area": 14400}
    assert by_id["2.2"]["value"] == ["plan", "budget"] and by_id["2.2"]["ticked_points"] == 3
    assert [s["site"] for s in by_id["2.1"]["samples"]] == ["الف", "ب", "ج"]


def test_engine_takes_any_answer_like_object():
    plain = {"3.1": SimpleNamespace(value=True, na=False)}
    assert score(RUBRIC, "S", plain).criterion("3.1").fraction == 1.0
