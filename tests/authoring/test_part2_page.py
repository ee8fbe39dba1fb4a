"""The authors' check page with the part-2 rules: computed examples scored with their town's
profile, the gates of each trial score, what changed in words, and mixed Persian and Latin
text laid out so that it reads right."""

from __future__ import annotations

import html
import re

from app.authoring.bidi import sentence, yaml_line, yaml_segments

from .test_diff import PART2
from .test_views import _post

EXAMPLE = """\
examples:
  - name: دستجرد
    municipality: {name: دستجرد, grade: 2, population: 1600}
    answers:
      "6.1": {inputs: {green_area: 9600}}
      "6.2": 70
      "6.3": [plan]
      "6.4": 4
      "7.1": {samples: [{site: بوستان ملت, value: 4}, {site: میدان, value: 2},
                        {site: پارک, value: 3}]}
      "7.2": true
    expect: {band: مناسب}
"""


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_a_computed_example_is_scored_with_its_towns_profile_and_its_gates_shown(author_client):
    page = _post(author_client, {"text": PART2 + EXAMPLE}).text
    assert 'id="results"' in page and "problems" not in re.search(
        r'<section class="card ([a-z ]+)" id="results"', page).group(1)
    run = page.split("data-dry-run", 1)[1].split("</article>", 1)[0]
    # 6.1 = 9600 / 1600 = 6 m² a person against 7: 6/7; 6.2: 70 → the 0.6 step; 6.3: 2 of 3
    # points; 6.4: 4 ≤ 5 → 1. green = 100 × (2×6/7 + 0.6 + 2/3 + 1) / 5 = 79.6;
    # clean = (0.75 + 1) / 2 → 87.5; overall = (2 × 79.62 + 87.5) / 3 = 82.2 → «مناسب»
    assert "۸۲٫۲" in run and "مناسب" in run
    gate = re.search(r'<li class="met" data-gate="core-units" data-met="yes">(.*?)</li>', run,
                     re.S)
    assert gate and "برقرار است" in _text(gate.group(1))
    assert "data-ungated" not in run  # no gate changed the adjusted or the raw score


def test_an_unmet_gate_shows_its_cap_and_the_score_before_it(author_client):
    failing = (PART2 + EXAMPLE).replace('"6.1": {inputs: {green_area: 9600}}',
                                        '"6.1": {inputs: {green_area: 0}}').replace(
        '"6.2": 70', '"6.2": 10').replace('"6.3": [plan]', '"6.3": []').replace(
        "expect: {band: مناسب}", "expect: {band: ضعیف}")
    page = _post(author_client, {"text": failing}, lang="en").text
    run = page.split("data-dry-run", 1)[1].split("</article>", 1)[0]
    # green = 100 × (0 + 0 + 0 + 1) / 5 = 20 < 50: the overall (2×20 + 87.5)/3 = 42.5 stays
    # under the cap of 59.9; the raw score is judged the same way
    assert 'data-gate="core-units" data-met="no"' in run
    assert "the overall score is at most 59.9" in _text(run)
    assert "42.5" in _text(run)


def test_a_gate_cap_that_lowers_the_score_shows_both_figures(author_client):
    capped = (PART2 + EXAMPLE).replace("min: 50\n    cap: 59.9", "min: 90\n    cap: 59.9").replace(
        "expect: {band: مناسب}", "expect: {band: ضعیف}")
    page = _post(author_client, {"text": capped}, lang="en").text
    run = _text(page.split("data-dry-run", 1)[1].split("</article>", 1)[0])
    assert "Before the gates: adjusted 82.2" in run and "59.9" in run


def test_the_version_diff_on_the_page_names_the_new_keys(author_client):
    from app.authoring.services import publish_rubric
    from app.db import writing

    with author_client.application.app_context(), writing():
        publish_rubric(PART2)
    newer = PART2.replace('version: "1"', 'version: "2"').replace(
        "formula: green_area / population", "formula: green_area / population * 1000").replace(
        "min: 50\n    cap: 59.9", "min: 40\n    cap: 59.9")
    page = _post(author_client, {"text": newer}).text
    box = page.split('id="publish"', 1)[1].split("</section>", 1)[0]
    assert 'data-kind="criterion.formula"' in box and 'data-kind="gate.rule"' in box
    # the formula is one left-to-right piece inside the Persian sentence
    assert '«<bdi dir="ltr">green_area / population * 1000</bdi>»' in box
    assert "قاعدهٔ داوری" in _text(box)


# --- the layout of mixed text -----------------------------------------------------------------

def test_yaml_lines_keep_structure_left_to_right_and_isolate_persian_values():
    assert str(yaml_line('    title: "قبولی: واحد «اصلی»"')) == (
        '    title: <bdi>&#34;قبولی: واحد «اصلی»&#34;</bdi>')
    assert str(yaml_line("  - {min: 90, label: خیلی خوب}")) == (
        "  - {min: 90, label: <bdi>خیلی خوب</bdi>}")
    assert str(yaml_line('      - id: "1.10"')) == "      - id: &#34;1.10&#34;"  # all Latin
    assert str(yaml_line("  floor: 30   # بدترین مقدار")) == (
        "  floor: 30   # <bdi>بدترین مقدار</bdi>")
    # nothing is lost or added: the pieces put together are the line
    for line in ('  s4: {0: "انجام: نشده", 1: \'شروع \'\'شده\'}', "x: [a, «ب», c] # ت",
                 "   - plain value, with a comma", 'bad: "unclosed', ""):
        assert "".join(text for text, _value in yaml_segments(line)) == line


def test_persian_sentences_isolate_code_and_english_ones_are_left_alone():
    fa = 'آن را داخل گیومه بگذارید: id: "1.10"، «brackets.M[1]» در واحد «green»'
    assert str(sentence(fa, "fa")) == (
        'آن را داخل گیومه بگذارید: <bdi dir="ltr">id: &#34;1.10&#34;</bdi>، '
        '«<bdi dir="ltr">brackets.M[1]</bdi>» در واحد «<bdi dir="ltr">green</bdi>»')
    assert str(sentence("۱۲٫۵ و «نه»", "fa")) == "۱۲٫۵ و «نه»"
    assert str(sentence('put it in quotes: id: "1.10"', "en")) == (
        "put it in quotes: id: &#34;1.10&#34;")
    assert str(sentence("<script>", "fa")) == '&lt;<bdi dir="ltr">script</bdi>&gt;'
