"""Answers to part-2 criteria (computed inputs, checklists, samples) and their errors."""

import pytest

from app.rubric import check_answers, coerce_answer, format_problem, load_rubric
from app.rubric.values import AnswerError, Sample

from .base import BASE, edit
from .base2 import BASE2

HEAD = "municipality: {grade: 2, population: 1600}\nanswers:\n"
MANY = ", ".join(f"{{site: s{i}, value: 1}}" for i in range(101))

#: (code, answers text, line, column, a phrase of the English message)
ANSWER_CASES2 = [
    ("A010", HEAD + '  "1.2": {inputs: {x: 1}}\n', 3, 19, "cannot give «inputs»"),
    ("A011", HEAD + '  "1.1": {inputs: {green_aera: 1}}\n', 3, 19, "did you mean «green_area»?"),
    ("A012", HEAD + '  "1.1": {inputs: {green_area: -4}}\n', 3, 19, "«-4»; inputs are numbers"),
    ("A013", HEAD + '  "1.1": 9\n', 3, 10, "computed from its inputs"),
    ("A014", HEAD + '  "2.2": [plan, budjet]\n', 3, 10, "did you mean «budget»?"),
    ("A015", HEAD + '  "2.2": plan\n', 3, 10, "list of ticked item keys"),
    ("A016", HEAD + '  "1.2": {samples: []}\n', 3, 20, "cannot give «samples»"),
    ("A017", HEAD + '  "2.1": {samples: [{value: 2}]}\n', 3, 21, "sample number 1"),
    ("A018", HEAD + '  "2.1": 2\n', 3, 10, "must list «samples»"),
    ("A019", HEAD + f'  "2.1": {{samples: [{MANY}]}}\n', 3, 20, "more than 100 samples"),
    ("A020", HEAD + '  "2.1": {samples: [{site: پارک}]}\n', 3, 21, "«پارک»"),
    ("A025", HEAD + '  "2.1": {samples: [{site: پارک, value: 2}, {site: بازار, value: 7}]}\n',
     3, 45, "at the site «بازار» of criterion «2.1»: the answer «7»"),
    ("A023", HEAD + '  "1.2": "12,5"\n', 3, 10, "could be read two ways"),
    ("A024", HEAD + '  "1.2": "99999999999999999999"\n', 3, 10, "too large"),
]


@pytest.fixture(scope="module")
def rubric2():
    return load_rubric(BASE2)


@pytest.mark.parametrize(("code", "text", "line", "col", "phrase"), ANSWER_CASES2,
                         ids=[case[0] for case in ANSWER_CASES2])
def test_part2_answer_errors(rubric2, code, text, line, col, phrase):
    sheet, problems = check_answers(text, rubric2)
    assert sheet is None
    assert [(p.code, p.line, p.col) for p in problems] == [(code, line, col)]
    assert phrase in format_problem(problems[0], "a.yaml", "en")


def test_bounds_of_a_number_criterion():
    rubric = load_rubric(edit("        floor: 20\n", "        floor: 20\n        max: 60\n"
                              "        min: 2\n"))
    criterion = rubric.criterion("1.3")
    for raw, code in (("1", "A021"), ("61", "A022"), ("-1", "A021")):
        with pytest.raises(AnswerError) as info:
            coerce_answer(criterion, raw)
        assert info.value.code == code
    assert coerce_answer(criterion, "۶۰").value == 60
    assert load_rubric(BASE).criterion("1.3").minimum == 0  # numbers count from 0


def test_well_formed_part2_answers(rubric2):
    text = HEAD + (
        '  "1.1": {inputs: {green_area: "۱۴٬۴۰۰"}, note: اندازه‌گیری شد}\n'
        '  "1.2": "۶۵"\n'
        '  "2.1": {samples: [{site: بوستان ملت, value: 2}, {site: میدان, value: ناقص}]}\n'
        '  "2.2": [budget, plan, plan]\n'
        '  "3.1": بله\n')
    sheet, problems = check_answers(text, rubric2)
    assert problems == []
    answers = sheet.answers
    assert answers["1.1"].inputs == {"green_area": 14400} and answers["1.1"].note
    assert answers["1.2"].value == 65
    assert answers["2.1"].samples == (Sample("بوستان ملت", 2), Sample("میدان", 1))
    assert answers["2.2"].items == ("plan", "budget")  # the rubric's order, once each
    assert sheet.profile == {"grade": 2, "population": 1600}


def test_empty_checklist_is_an_answer_and_missing_input_is_none(rubric2):
    assert coerce_answer(rubric2.criterion("2.2"), []).items == ()
    partial = coerce_answer(rubric2.criterion("1.1"), {"inputs": {"green_area": ""}})
    assert partial.inputs == {}
