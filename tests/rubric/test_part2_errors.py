"""Broken part-2 rubrics (computed values, brackets, checklists, samples, gates, tier
coverage): one case per catalogue entry, with the exact code, line and column."""

import pytest

from app.rubric import CATALOGUE, check_rubric, format_problem, load_rubric

from .base2 import BASE2, edit2

_S_SECOND = "{min: 60, fraction: 0.6}]\n          L"

#: (code, edited rubric text, line, column, a phrase the English message or hint must hold)
CASES2 = [
    ("R310", edit2("        brackets:\n", "        target: 90\n        brackets:\n"), 41, 9,
     "remove «target»"),
    ("R311", edit2(_S_SECOND, "{min: 60, fraction: 6}]\n          L"), 42, 59, "«6»"),
    ("R312", edit2(_S_SECOND, "{min: 60, max: 70, fraction: 0.6}]\n          L"), 42, 39,
     "exactly one of «min» or «max»"),
    ("R313", edit2(_S_SECOND, "{max: 60, fraction: 0.6}]\n          L"), 42, 14,
     "mix «min» and «max»"),
    ("R314", edit2(_S_SECOND, "{min: 80, fraction: 0.6}]\n          L"), 42, 45,
     "the bound 80 appears twice"),
    ("R315", edit2("        weight: 10\n        brackets:",
                   "        weight: 10\n        min: 50\n        max: 20\n        brackets:"),
     41, 14, "«min» 50 is not below «max» 20"),
    ("R320", edit2("aggregate: mean", "aggregate: meen"), 52, 38, "did you mean «mean»?"),
    ("R321", edit2("samples: {min: 2,", "samples: {min: 0,"), 52, 24,
     "at least one site is needed"),
    ("R322", edit2("        formula: green_area / population\n",
                   "        formula: green_area / population\n        samples: {min: 2}\n"),
     35, 9, "both «samples» and «inputs»"),
    ("R340", edit2("        samples: {min: 2, aggregate: mean}\n",
                   "        samples: {min: 2, aggregate: mean}\n        declared: true\n"),
     53, 9, "only the inspector observes sites"),
    ("R330", edit2("points: 2}", "points: 0}"), 58, 41, "greater than 0"),
    ("R331", edit2("full_at: 3", "full_at: 4"), 60, 18, "at most the 3 points"),
    ("R406", edit2("grades: [5, 12]", "grades: [6, 11]"), 4, 1, "the grade(s) «5», «12»"),
    ("R407", edit2("    grades: [1, 4]\n", "    population: [0, 999]\n").replace(
        "    grades: [5, 12]\n", "    population: [2000, null]\n"), 4, 1,
     "the population(s) «1000–1999»"),
    ("R701", edit2("formula: green_area / population", "formula: green_area / / population"),
     34, 31, "cannot be read at «/»"),
    ("R702", edit2("formula: green_area / population", "formula: green_aera / population"),
     34, 18, "did you mean «green_area»?"),
    ("R703", edit2("formula: green_area / population", "formula: (green_area / population"),
     34, 42, "ends before it is complete"),
    ("R704", edit2("formula: green_area / population", "formula: sqrt(green_area)"), 34, 18,
     "calls «sqrt»"),
    ("R705", edit2("          green_area: {title",
                   "          9th: {title: t}\n          green_area: {title"), 33, 11,
     "start with a Latin letter"),
    ("R706", edit2("        formula: green_area / population\n", ""), 32, 9,
     "no «formula»"),
    ("R801", edit2("    units: [green]\n", ""), 15, 9, "either «units» or «criteria»"),
    ("R802", edit2("units: [green]", "units: [gren]"), 16, 13, "did you mean «green»?"),
    ("R803", edit2('criteria: ["3.1"]', 'criteria: ["3.2"]'), 20, 16, "did you mean «3.1»?"),
    ("R804", edit2("cap: 59.9", "cap: 159.9"), 18, 10, "between 0 and 100"),
    ("R805", edit2("factor: 0.5", "factor: 1.5"), 22, 13, "between 0 and 1"),
    ("R806", edit2("    min: 50\n", "    min: 50\n    count: 0\n"), 18, 12, "1 or more"),
    ("R807", edit2("    cap: 59.9\n", ""), 15, 9, "exactly one of «cap» or «factor»"),
    ("R808", edit2("  - id: permit", "  - id: core"), 19, 9, "on line 15 and again on line 19"),
]


def test_base_is_valid():
    rubric = load_rubric(BASE2)
    assert [gate.id for gate in rubric.gates] == ["core", "permit"]
    assert rubric.unit("green").na_limit == 0.5
    c11 = rubric.criterion("1.1")
    assert [i.name for i in c11.inputs] == ["green_area"] and c11.computed
    assert c11.formula.profile_names() == ("population",)
    c12 = rubric.criterion("1.2")
    assert c12.bracket_kind == "min" and [b.bound for b in c12.brackets_for("L")] == [80, 95]
    assert rubric.criterion("2.1").samples.min == 2
    c22 = rubric.criterion("2.2")
    assert [(i.key, i.points) for i in c22.items] == [("plan", 2), ("budget", 1)]
    assert c22.full_at == 3


@pytest.mark.parametrize(("code", "text", "line", "col", "phrase"), CASES2,
                         ids=[case[0] for case in CASES2])
def test_each_part2_entry(code, text, line, col, phrase):
    rubric, problems = check_rubric(text, filename="r.yaml")
    assert rubric is None
    assert [(p.code, p.line, p.col) for p in problems] == [(code, line, col)]
    english = format_problem(problems[0], "r.yaml", "en")
    assert english.startswith(f"r.yaml:{line}:{col}: {code} ") and phrase in english
    persian = format_problem(problems[0], "r.yaml", "fa")
    assert persian.startswith(f"r.yaml:{line}:{col}: {code} ")
    if CATALOGUE[code].hints:
        assert "— پیشنهاد: " in persian


def test_profile_name_as_input_says_why():
    text = edit2("formula: green_area / population", "formula: population + area").replace(
        "          green_area: {title", "          area: {title")
    (problem,) = check_rubric(text)[1]
    assert problem.code == "R705"
    assert "profile name" in format_problem(problem, "r", "en")


def test_gaps_are_said_in_persian_digits():
    text = edit2("grades: [5, 12]", "grades: [6, 11]")
    (problem,) = check_rubric(text)[1]
    assert "«۵»، «۱۲»" in format_problem(problem, "r", "fa")


def test_units_all_and_one_list_of_brackets_for_every_tier():
    text = edit2("units: [green]", "units: all").replace(
        "          S: [{min: 80, fraction: 1}, {min: 60, fraction: 0.6}]\n"
        "          L: [{min: 95, fraction: 1}, {min: 80, fraction: 0.6}]\n",
        "          [{max: 10, fraction: 1}, {max: 20, fraction: 0.5}]\n")
    rubric = load_rubric(text)
    assert rubric.gates[0].units == ("green", "clean")
    c12 = rubric.criterion("1.2")
    assert c12.bracket_kind == "max" and c12.brackets_for("S") == c12.brackets_for("L")


def test_a_tab_does_not_hide_the_other_problems():
    text = BASE2.replace("    grades: [1, 4]", "\tgrades: [1, 4]").replace(
        "aggregate: mean", "aggregate: meen")
    codes = [(p.code, p.line) for p in check_rubric(text)[1]]
    assert codes == [("R003", 6), ("R320", 52)]


def test_brackets_only_on_measured_types():
    text = edit2("        samples: {min: 2, aggregate: mean}\n",
                 "        samples: {min: 2, aggregate: mean}\n        brackets: []\n")
    (problem,) = check_rubric(text)[1]
    assert (problem.code, problem.params["key"]) == ("R305", "brackets")


def test_checklist_may_not_have_samples():
    text = edit2("        full_at: 3\n", "        full_at: 3\n        samples: {min: 2}\n")
    (problem,) = check_rubric(text)[1]
    assert (problem.code, problem.params["key"]) == ("R305", "samples")
