"""Loading valid rubrics into the frozen model."""

from pathlib import Path

import pytest

from app.rubric import (
    Band,
    Criterion,
    Example,
    Rubric,
    RubricError,
    Scale,
    Tier,
    Unit,
    check_rubric,
    load_rubric,
)
from app.rubric.model import DEFAULT_NA_LIMIT

from .base import BASE, edit

DATA = Path(__file__).parent / "data"


def test_base_loads_into_the_model(base_rubric):
    rubric = base_rubric
    assert isinstance(rubric, Rubric)
    assert (rubric.id, rubric.version, rubric.title) == ("demo", "1", "نمونه")
    assert rubric.tiers == (Tier("S", grades=(1, 4)), Tier("L", grades=(5, 12)))
    assert rubric.bands == (Band(50, "خوب"), Band(0, "ضعیف"))
    assert rubric.reference_tier == "L"  # default: the last tier
    assert rubric.na_limit == DEFAULT_NA_LIMIT
    (unit,) = rubric.units
    assert isinstance(unit, Unit)
    assert unit.weight == {"S": 14, "L": 10}
    assert unit.applies_to == {"S", "L"}
    assert unit.line == 15
    c11, c12, c13, c14 = unit.criteria
    assert all(isinstance(c, Criterion) for c in unit.criteria)
    assert c11.weight == {"S": 25, "L": 25}  # a scalar: the same for every tier
    assert c11.target == {"S": 90, "L": 98}
    assert c11.line == 19 and c11.unit_id == "waste"
    assert c12.scale == rubric.scales["s3"] and isinstance(c12.scale, Scale)
    assert [level.value for level in c12.scale.levels] == [0, 1, 2]
    assert c12.target is None
    assert (c13.better, c13.target, c13.floor, c13.allow_na) == (
        "lower", {"S": 8, "L": 8}, {"S": 20, "L": 20}, True)
    assert c14.type == "yesno" and not c14.allow_na
    assert rubric.tier_for(2, None).id == "S" and rubric.tier_for(9, None).id == "L"


def test_persian_digits_texts_and_unquoted_version():
    text = edit('version: "1"', "version: 1405.10", BASE)
    text = edit("grades: [5, 12]", "grades: [۵, ١٢]", text)
    text = edit("weight: 25", "weight: ۲۵٫۵", text)
    text = edit("target: 8", 'target: "۸"', text)
    text = edit("title: پوشش", "title: پوشش  كيفي\u200f", text)
    rubric = load_rubric(text)
    assert rubric.version == "1405.10"  # the label as written, not 1405.1
    assert rubric.tier("L").grades == (5, 12)
    c11 = rubric.criterion("1.1")
    assert c11.weight == {"S": 25.5, "L": 25.5}
    assert c11.title == "پوشش  کیفی"  # Arabic letters and direction marks normalised
    assert rubric.criterion("1.3").target == {"S": 8, "L": 8}


def test_applies_to_is_intersected_and_targets_kept_for_every_tier():
    text = edit("    weight: {S: 14, L: 10}\n", "    weight: {S: 14, L: 10}\n"
                "    applies_to: [S, L]\n", BASE)
    text = edit("        weight: 5\n      - id: \"1.4\"",
                "        weight: 5\n        applies_to: [L]\n      - id: \"1.4\"", text)
    text = edit("        target: {S: 90, L: 98}", "        target: {S: 90, L: 98}\n"
                "        applies_to: [S]\n        weight: {S: 3}", text.replace(
                    "        weight: 25\n", ""))
    rubric = load_rubric(text)
    c13 = rubric.criterion("1.3")
    assert c13.applies_to == {"L"}
    assert c13.weight == {"L": 5}  # only the tiers it applies to
    assert c13.target == {"S": 8, "L": 8}  # a scalar target: every tier (raw score)
    c11 = rubric.criterion("1.1")
    assert c11.applies_to == {"S"} and c11.weight == {"S": 3}
    assert c11.target == {"S": 90, "L": 98}


def test_optional_keys_inline_scale_and_examples():
    text = BASE.replace("title: نمونه\n", "title: نمونه\ndescription: توضیح\n"
                        "reference_tier: S\nna_limit: ۰٫۵\n")
    text = edit("        scale: s3\n", "        scale: {۰: خیر, ۱: تا حدی, ۲: بله}\n"
                "        note_required_below: 50\n        evidence: صورتجلسه\n"
                "        guidance: بازدید\n        description: شرح\n", text)
    text = edit("    grades: [1, 4]\n", "    title: کوچک\n    description: شهرهای کوچک\n"
                "    population: [0, ۲۰٬۰۰۰]\n", text)
    text = edit("    grades: [5, 12]\n", "    population: [20001, null]\n", text)
    text += """\
examples:
  - name: دستجرد
    municipality: {name: دستجرد, population: 1600}
    answers: {"1.1": 81, "1.3": {na: ندارد}}
    expect: {score: 72.4, band: خوب}
"""
    rubric = load_rubric(text)
    assert rubric.description == "توضیح" and rubric.reference_tier == "S"
    assert rubric.na_limit == 0.5
    small = rubric.tier("S")
    assert (small.title, small.description, small.population) == (
        "کوچک", "شهرهای کوچک", (0, 20000))
    assert rubric.tier("L").population == (20001, None)
    assert rubric.tier_for(None, 1600).id == "S"
    c12 = rubric.criterion("1.2")
    assert [(level.value, level.label) for level in c12.scale.levels] == [
        (0, "خیر"), (1, "تا حدی"), (2, "بله")]
    assert c12.note_required_below == 0.5
    assert (c12.evidence, c12.guidance, c12.description) == ("صورتجلسه", "بازدید", "شرح")
    (example,) = rubric.examples
    assert example == Example("دستجرد", {"name": "دستجرد", "population": 1600},
                              {"1.1": "81", "1.3": {"na": "ندارد"}}, 72.4, "خوب",
                              line=example.line, expect_line=example.expect_line)
    # answers are kept as typed (the type reads them), mismatches point at «expect:»
    assert example.expect_line > example.line


def test_catch_all_tier_last_is_fine():
    text = edit("    grades: [5, 12]\n", "", BASE)
    rubric = load_rubric(text)
    assert rubric.tier("L").grades is None and rubric.tier_for(11, 10**6).id == "L"


def test_bom_is_tolerated():
    rubric = load_rubric(b"\xef\xbb\xbf" + BASE.encode())
    assert rubric.id == "demo"


def test_path_input_and_filename(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(BASE, encoding="utf-8")
    assert load_rubric(path).id == "demo"
    # a str is always content, never a file name (user text must not open server files)
    assert [p.code for p in check_rubric(str(path))[1]] == ["R101"]
    broken = tmp_path / "broken.yaml"
    broken.write_text(BASE.replace("type: yesno", "type: yesnoo"), encoding="utf-8")
    with pytest.raises(RubricError) as info:
        load_rubric(broken)
    assert info.value.filename == str(broken)
    assert str(info.value).startswith(f"{broken}:39:15: R205 ")


def test_check_rubric_returns_problems_without_raising():
    rubric, problems = check_rubric(BASE)
    assert rubric is not None and problems == []
    rubric, problems = check_rubric("id: [")
    assert rubric is None and [p.code for p in problems] == ["R004"]


def test_fixture_file_with_every_feature_loads():
    rubric = load_rubric(DATA / "full.yaml")
    assert [unit.id for unit in rubric.units] == ["waste", "finance"]
    assert rubric.criterion("8.2").applies_to == {"M", "L"}
    assert rubric.criterion("5.1").target == {"S": 30, "M": 20, "L": 15}


def test_R012_missing_file_is_a_problem_not_a_traceback(tmp_path):
    problems = check_rubric(tmp_path / "missing.yaml")[1]
    assert [(p.code, p.line, p.col) for p in problems] == [("R012", 1, 1)]
    assert "No such file" in problems[0].message("en")
    assert [p.code for p in check_rubric(tmp_path)[1]] == ["R012"]
