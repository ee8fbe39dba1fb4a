"""Worked examples in a rubric: their shape is checked on load, their scores by `check`."""

from app.rubric import check_rubric, format_problem, load_rubric
from app.rubric.examples import check_examples

from .base import BASE

EXAMPLES = """\
examples:
  - name: درست
    municipality: {name: دستجرد, grade: 2}
    answers: {"1.1": "۹۰", "1.2": کامل, "1.3": 8, "1.4": بله}
    expect: {score: 100, band: خوب}
  - name: بی‌طبقه
    municipality: {population: 5}
    answers: {}
  - name: شاخص ناشناخته
    municipality: {tier: S}
    answers: {"9.9": 1}
  - name: امتیاز
    municipality: {tier: S}
    answers: {"1.1": 90, "1.2": 2, "1.3": 8, "1.4": true}
    expect: {score: 90}
  - name: رده
    municipality: {tier: L}
    answers: {"1.4": false}
    expect: {band: خوب}
"""


def test_examples_are_loaded_and_scored():
    rubric = load_rubric(BASE + EXAMPLES)
    assert [example.name for example in rubric.examples] == [
        "درست", "بی‌طبقه", "شاخص ناشناخته", "امتیاز", "رده"]
    assert rubric.examples[0].line == 42
    problems = check_examples(rubric)
    assert [(p.code, p.line) for p in problems] == [
        ("X001", 46), ("X002", 49), ("X003", 55), ("X004", 59)]  # mismatches: at «expect:»
    lines = [format_problem(p, "r.yaml", "en") for p in problems]
    assert "expects the score 90, but it scores 100" in lines[2]
    assert "expects the band «خوب», but it gets «ضعیف»" in lines[3]
    assert "نمونه «رده» سطح «خوب» را انتظار دارد" in format_problem(problems[3], "r", "fa")


def test_example_shape_errors():
    text = BASE + "examples:\n  - name: x\n    municipality: {tier: Q, grade: ۱٫۵}\n" \
                  "    answers: [1]\n    expect: {scor: 3}\n"
    problems = check_rubric(text)[1]
    assert [(p.code, p.line, p.col) for p in problems] == [
        ("R206", 43, 26), ("R105", 43, 36), ("R101", 44, 14), ("R108", 45, 14)]


def test_unknown_code_still_formats_on_one_line():
    from app.rubric import RubricProblem

    line = format_problem(RubricProblem("Z999", 1, 2, {"a": "x\ny"}), "f", "en")
    assert line == "f:1:2: Z999 a=x y"
