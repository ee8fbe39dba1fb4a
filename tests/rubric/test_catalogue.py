"""The catalogue itself: every code tested, every message translated into Persian."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.i18n import translator
from app.rubric.errors import CATALOGUE, PLACE_SEGMENTS, TERMS, RubricProblem, format_problem

from . import test_answers, test_errors, test_loader, test_part2_answers, test_part2_errors

PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")
TRANSLATIONS = Path(__file__).parents[2] / "app" / "translations"


def _templates():
    for entry in CATALOGUE.values():
        yield entry.code, entry.message
        for name, hint in entry.hints.items():
            yield f"{entry.code}/{name}", hint
    for name, text in {**TERMS, **PLACE_SEGMENTS}.items():
        yield name, text


def test_codes_are_stable_and_well_formed():
    assert all(re.fullmatch(r"[RAX]\d{3}", code) for code in CATALOGUE)
    assert all(entry.code == code for code, entry in CATALOGUE.items())


def test_every_code_has_a_test_case():
    tested = {case[0] for case in test_errors.CASES + test_answers.ANSWER_CASES
              + test_part2_errors.CASES2 + test_part2_answers.ANSWER_CASES2}
    tested |= {"A021", "A022"}  # test_part2_answers.test_bounds_of_a_number_criterion
    tested |= {name.split("_")[1] for module in (test_errors, test_loader)
               for name in dir(module) if re.match(r"test_R\d{3}_", name)}
    tested |= {"R005", "R006"}  # test_R005_R006_anchors_and_aliases_refused
    tested |= {"X001", "X002", "X003", "X004"}  # test_examples_are_loaded_and_scored
    assert sorted(set(CATALOGUE) - tested) == []


@pytest.mark.parametrize(("name", "template"), list(_templates()))
def test_persian_translation_differs_and_keeps_placeholders(name, template):
    persian = translator("fa").gettext(template)
    assert persian != template, f"{name} has no Persian translation"
    assert sorted(PLACEHOLDER.findall(persian)) == sorted(PLACEHOLDER.findall(template)), name
    assert translator("en").gettext(template) == template


def test_po_files_hold_every_template():
    templates = {template for _name, template in _templates()}
    for lang in ("fa", "en"):
        with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
            catalog = read_po(handle)
        missing = {t for t in templates if t not in catalog or not catalog[t].string}
        assert missing == set(), lang


def test_format_problem_is_one_line_with_suggestion():
    problem = RubricProblem("R108", 3, 5, {"key": "wieght\nx", "where": "w"},
                            {"suggestion": "weight"})
    line = format_problem(problem, "r.yaml", "en")
    assert line == "r.yaml:3:5: R108 unknown key «wieght x» in w — suggestion: did you mean " \
                   "«weight»?"
    assert format_problem(problem, "r.yaml", "fa").endswith("— پیشنهاد: منظورتان «weight» است؟")
