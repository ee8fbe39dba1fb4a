"""Answers files: conversion by criterion type and every answers error."""

import json

import pytest

from app.rubric import (
    AnswerSheet,
    AnswerValue,
    RubricError,
    coerce_answer,
    format_problem,
    load_answers,
)
from app.rubric.answers import AnswerError, check_answers


def test_yaml_answers(base_rubric):
    text = """\
municipality: {name: دستجرد, grade: ۲}
answers:
  "1.1": "۸۱٫۵"
  1.2: کامل
  "1.3": {na: ایستگاه آتش‌نشانی ندارد}
  "1.4": بله
"""
    sheet = load_answers(text, base_rubric)
    assert isinstance(sheet, AnswerSheet)
    assert sheet.tier_id == "S"
    assert sheet.municipality == {"name": "دستجرد", "grade": 2}
    assert sheet.answers == {
        "1.1": AnswerValue(81.5),
        "1.2": AnswerValue(2),
        "1.3": AnswerValue(na=True, na_reason="ایستگاه آتش‌نشانی ندارد"),
        "1.4": AnswerValue(True),
    }


def test_json_answers_with_tabs_and_explicit_tier(base_rubric):
    text = json.dumps({"municipality": {"name": "قم", "tier": "L", "population": 1_200_000},
                       "answers": {"1.1": 90, "1.2": "۱", "1.3": {"value": "۱۲", "note": "x"},
                                   "1.4": False}}, ensure_ascii=False, indent="\t")
    sheet = load_answers(text.encode(), base_rubric, filename="a.json")
    assert sheet.tier_id == "L"
    assert sheet.answers["1.3"] == AnswerValue(12, note="x")
    assert sheet.answers["1.4"] == AnswerValue(False)


def test_tier_from_population_and_drafts(base_rubric):
    sheet = load_answers('municipality: {grade: "۹"}\nanswers:\n  "1.1":\n  "1.4": ""\n',
                         base_rubric)
    assert sheet.tier_id == "L"
    assert sheet.answers == {"1.1": AnswerValue(), "1.4": AnswerValue()}
    assert load_answers("municipality: {tier: S}\n", base_rubric).answers == {}


@pytest.mark.parametrize(("raw", "value"), [
    (81, 81), ("۸۱", 81), ("٨١", 81), ("۱۲٫۵", 12.5), ("12.5", 12.5), ("۹۰٪", 90),
    ({"value": "۱۰۰", "note": "یادداشت"}, 100),
])
def test_percent_values(base_rubric, raw, value):
    assert coerce_answer(base_rubric.criterion("1.1"), raw).value == value


def test_number_values_with_separators(base_rubric):
    criterion = base_rubric.criterion("1.3")
    assert coerce_answer(criterion, "۱٬۲۰۰").value == 1200
    assert coerce_answer(criterion, "1,200.5").value == 1200.5
    assert coerce_answer(criterion, {"na": True, "reason": "ندارد"}) == AnswerValue(
        na=True, na_reason="ندارد")
    assert coerce_answer(criterion, {"na": False, "value": 3}) == AnswerValue(3)


@pytest.mark.parametrize(("raw", "value"), [
    (True, True), (False, False), ("yes", True), ("No", False), ("بله", True), ("خیر", False),
    ("آری", True), ("نه", False), (1, True), ("0", False), ("۱", True), ("true", True),
])
def test_yes_no_words(base_rubric, raw, value):
    assert coerce_answer(base_rubric.criterion("1.4"), raw).value is value


@pytest.mark.parametrize(("raw", "value"), [(0, 0), ("۲", 2), ("ناقص", 1), (" کامل ", 2)])
def test_scale_numbers_and_labels(base_rubric, raw, value):
    assert coerce_answer(base_rubric.criterion("1.2"), raw).value == value


ANSWER_CASES = [
    ("A001", 'municipality: {tier: S}\nanswers:\n  "1.5": 3\n', 3, 3, "did you mean «1."),
    ("A002", 'municipality: {tier: S}\nanswers:\n  "1.2": ۷\n', 3, 10,
     "the answer «۷» to criterion «1.2» is not a level of its scale; the levels are "
     "«0 = هیچ», «1 = ناقص», «2 = کامل»"),
    ("A003", 'municipality: {tier: S}\nanswers:\n  "1.1": "۱۰۱"\n', 3, 10,
     "«۱۰۱» to criterion «1.1» is a percentage"),
    ("A004", 'municipality: {tier: S}\nanswers:\n  "1.3": {value: زیاد}\n', 3, 18,
     "«زیاد» to criterion «1.3» is not a number"),
    ("A005", 'municipality: {tier: S}\nanswers:\n  "1.4": شاید\n', 3, 10, "yes or no"),
    ("A006", 'municipality: {tier: S}\nanswers:\n  "1.1": {na: ندارد}\n', 3, 15,
     "«allow_na: true»"),
    ("A007", 'municipality: {tier: S}\nanswers:\n  "1.3": {na: true}\n', 3, 15,
     "without a reason"),
    ("A008", 'municipality: {tier: S}\nanswers:\n  "1.3": [1, 2]\n', 3, 10, "wrong shape"),
    ("A009", "municipality: {name: x}\nanswers: {}\n", 1, 15, "grade —, population —"),
    ("R206", "municipality: {tier: LL}\n", 1, 22, "did you mean «L»?"),
    ("R402", "municipality: {grade: 14}\n", 1, 23, "«14»"),
    ("R404", "municipality: {population: -3}\n", 1, 28, "«-3»"),
    ("R108", "municipality: {tier: S}\nanswer: {}\n", 2, 1, "did you mean «answers»?"),
    ("R107", "answers: {}\n", 1, 1, "required key «municipality»"),
]


@pytest.mark.parametrize(("code", "text", "line", "col", "phrase"), ANSWER_CASES,
                         ids=[case[0] for case in ANSWER_CASES])
def test_answers_errors(base_rubric, code, text, line, col, phrase):
    sheet, problems = check_answers(text, base_rubric)
    assert sheet is None
    assert [(p.code, p.line, p.col) for p in problems] == [(code, line, col)]
    assert phrase in format_problem(problems[0], "a.yaml", "en")


def test_more_answer_errors(base_rubric):
    cases = {
        '{value: 1, na: ندارد}': "A008",
        "{na: ''}": "A007",
        "{valu: 3}": "A008",
        '"1e999"': "A024",  # too large, not «not a number»
        "{value: .nan}": "A004",
        "true": "A004",
    }
    for raw, code in cases.items():
        text = f'municipality: {{tier: S}}\nanswers:\n  "1.3": {raw}\n'
        assert [p.code for p in check_answers(text, base_rubric)[1]] == [code], raw
    # a number criterion counts from 0 unless the rubric sets «min» (m² per person, days …)
    assert [p.code for p in check_answers('municipality: {tier: S}\nanswers:\n  "1.3": -1\n',
                                          base_rubric)[1]] == ["A021"]


def test_all_answer_problems_reported(base_rubric):
    text = """\
municipality: {grade: 3}
answers:
  "1.1": 120
  "1.2": 9
  "1.4": شاید
  "9.9": 1
"""
    with pytest.raises(RubricError) as info:
        load_answers(text, base_rubric, filename="a.yaml")
    assert [p.code for p in info.value.problems] == ["A003", "A002", "A005", "A001"]
    assert info.value.lines("fa")[0].startswith("a.yaml:3:10: A003 پاسخ «۱۲۰» به شاخص «۱٫۱»")


def test_coerce_answer_errors_are_value_errors(base_rubric):
    with pytest.raises(ValueError) as info:
        coerce_answer(base_rubric.criterion("1.1"), "-5")
    assert isinstance(info.value, AnswerError)
    assert (info.value.code, info.value.part) == ("A003", "value")
    assert "«-5»" in format_problem(info.value.problem(1, 1), "form", "en")
