"""Problems in app/rubric found while writing the authors' guide, each a test of what the guide
promises: every problem of a samples rule at once, a refused example answer saying why, the
right hint for a computed criterion, a bad sample told at its own line with its site."""

from __future__ import annotations

from app.rubric import check_answers, check_rubric, format_problem, load_rubric
from app.rubric.examples import check_examples

RUBRIC = """\
id: t
version: "1"
title: آزمون
tiers:
  - {id: S, grades: [1, 6]}
  - {id: L, grades: [7, 12]}
bands:
  - {min: 0, label: ضعیف}
scales:
  s4: {0: هیچ, 1: کم, 2: نیمه, 3: بیشتر, 4: کامل}
units:
  - id: green
    title: فضای سبز
    weight: 1
    criteria:
      - id: "1.1"
        title: سرانه
        type: number
        weight: 1
        inputs: {green_area: {title: مساحت}}
        formula: green_area / population
        target: 7
      - id: "1.2"
        title: پاکیزگی
        type: scale
        scale: s4
        weight: 1
        samples: {min: 2}
"""


def test_every_problem_of_a_samples_rule_at_once():
    text = RUBRIC.replace("samples: {min: 2}", "samples: {min: 0, aggregate: avg}")
    _rubric, problems = check_rubric(text, filename="t.yaml")
    assert {p.code for p in problems} == {"R321", "R320"}


def test_a_refused_example_answer_says_why():
    text = RUBRIC + """\
examples:
  - name: نمونه
    municipality: {name: x, grade: 2, population: 1600}
    answers: {"1.1": 6}
    expect: {band: ضعیف}
"""
    problems = check_examples(load_rubric(text))
    assert [p.code for p in problems] == ["X002"]
    assert "inputs" in format_problem(problems[0], "t.yaml", "en")


def test_samples_on_a_computed_criterion_point_to_the_inputs():
    answers = ('municipality: {name: x, grade: 2, population: 1600}\n'
               'answers:\n  "1.1": {inputs: {green_area: 5}, samples: [{site: a, value: 1}]}\n')
    _sheet, problems = check_answers(answers, load_rubric(RUBRIC), filename="a.yaml")
    assert [p.code for p in problems] == ["A016"]
    assert "inputs" in format_problem(problems[0], "a.yaml", "en").split("suggestion")[1]


def test_a_bad_sample_is_reported_at_its_own_line():
    answers = ('municipality: {name: x, grade: 2, population: 1600}\n'
               'answers:\n  "1.2":\n    samples:\n      - {site: بوستان ملت, value: 3}\n'
               '      - {site: میدان امام, value: 9}\n')
    _sheet, problems = check_answers(answers, load_rubric(RUBRIC), filename="a.yaml")
    assert [p.code for p in problems] == ["A025"]  # the scale's A002, at that site
    assert problems[0].line == 6
    english = format_problem(problems[0], "a.yaml", "en")
    assert "میدان امام" in english and "is not a level of its scale" in english
