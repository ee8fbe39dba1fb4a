"""Broken rubrics: one case per catalogue entry, asserting the exact code, line and column."""


import pytest

from app.rubric import CATALOGUE, RubricError, check_rubric, format_problem, load_rubric

from .base import BASE, edit

UNIT_2 = ("  - id: waste\n    title: دوم\n    weight: 1\n    criteria:\n"
          "      - {id: '9', title: t, type: yesno, weight: 1}\n")

#: (code, edited rubric text, line, column, a phrase the English message or hint must hold)
CASES = [
    ("R101", edit("  - {min: 50, label: خوب}", "  - خوب"), 10, 5,
     "band number 1 must be a mapping of «key: value» lines, but it is «خوب»"),
    ("R102", edit("bands:\n  - {min: 50, label: خوب}\n  - {min: 0, label: ضعیف}",
                  "bands: خوب"), 9, 8, "must be a list"),
    ("R103", edit("title: پوشش", "title: [a, b]"), 20, 16, "must be text"),
    ("R104", edit("weight: 25", "weight: زیاد"), 22, 17, "«زیاد»"),
    ("R105", edit("grades: [1, 4]", "grades: [1.5, 4]"), 6, 14, "«1.5»"),
    ("R106", edit("allow_na: true", "allow_na: شاید"), 35, 19, "true or false"),
    ("R107", edit("        title: زمان\n", ""), 29, 9, "required key «title»"),
    ("R108", edit("title: پوشش\n", "title: پوشش\n        evidance: سند\n"), 21, 9,
     "did you mean «evidence»?"),
    ("R109", edit("weight: 25\n", "weight: 25\n        weight: 30\n"), 23, 9,
     "on line 22 and again on line 23"),
    ("R110", edit("title: پوشش", 'title: ""'), 20, 16, "«title» in unit «waste»"),
    ("R111", edit("type: yesno\n", "type: yesno\n        applies_to: []\n"), 40, 21,
     "no items"),
    ("R201", edit('- id: "1.1"', "- id: 1.10"), 19, 13, 'put it in quotes: id: "1.10"'),
    ("R202", edit("bands:", "  - id: S\n    population: [0, 9]\nbands:"), 9, 9,
     "on line 5 and again on line 9"),
    ("R203", BASE + UNIT_2, 41, 9, "unit id «waste»"),
    ("R204", edit('- id: "1.4"', '- id: "1.1"'), 37, 13, "on line 19 and again on line 37"),
    ("R205", edit("type: yesno", "type: yesnoo"), 39, 15, "did you mean «yesno»?"),
    ("R206", edit("type: yesno\n", "type: yesno\n        applies_to: [L, M]\n"), 40, 25,
     "unknown tier «M»"),
    ("R207", edit("scale: s3", "scale: s33"), 27, 16, "did you mean «s3»?"),
    ("R208", edit("target: {S: 90, L: 98}", "target: {S: 90}"), 23, 17, "tier «L»"),
    ("R209", edit("better: lower", "better: lowr"), 32, 17, "did you mean «lower»?"),
    ("R210", edit("type: yesno\n", "type: yesno\n        applies_to: [L]\n",
                  edit("    weight: {S: 14, L: 10}\n",
                       "    weight: {S: 14, L: 10}\n    applies_to: [S]\n")), 41, 21,
     "its unit applies only to «S»"),
    ("R301", edit("weight: 10", "weight: 0"), 28, 17, "greater than 0"),
    ("R302", edit("        target: 8\n", ""), 29, 9, "needs «target»"),
    ("R303", edit("target: 8", "target: -8"), 33, 17, "«-8»"),
    ("R304", edit("target: {S: 90, L: 98}", "target: {S: 90, L: 120}"), 23, 28,
     "«target.L»"),
    ("R305", edit("type: yesno\n", "type: yesno\n        target: 3\n"), 40, 9,
     "remove «target»"),
    ("R306", edit("target: {S: 90, L: 98}\n", "target: {S: 90, L: 98}\n        floor: 95\n"),
     24, 16, "the floor 95 of tier «S»"),
    ("R307", edit("floor: 20", "floor: 5"), 34, 16, "above the target 8"),
    ("R308", edit("type: yesno\n", "type: yesno\n        note_required_below: 150\n"), 40, 30,
     "«150»"),
    ("R309", edit("title: نمونه\n", "title: نمونه\nna_limit: 0\n"), 4, 11, "at most 1"),
    ("R316", edit("    weight: {S: 14, L: 10}\n",
                  "    weight: {S: 14, L: 10}\n    expected_minutes: 0\n"), 18, 23, "at most 600"),
    ("R401", edit("grades: [1, 4]", "grades: [1, 4, 6]"), 6, 13, "a pair [from, to]"),
    ("R402", edit("grades: [5, 12]", "grades: [5, 13]"), 8, 17, "«13»"),
    ("R403", edit("grades: [5, 12]", "grades: [12, 5]"), 8, 13, "swap them: [5, 12]"),
    ("R404", edit("    grades: [1, 4]\n", "    grades: [1, 4]\n    population: [-5, 10]\n"),
     7, 18, "«-5»"),
    ("R405", edit("    grades: [1, 4]\n", ""), 5, 5, "(«L») can never match"),
    ("R501", edit("{min: 0, label", "{min: 10, label"), 11, 11, "must start at 0"),
    ("R502", edit("{min: 50,", "{min: 150,"), 10, 11, "«150»"),
    ("R503", edit("{min: 50,", "{min: 0,"), 11, 11, "two bands start at 0"),
    ("R601", edit("1: ناقص", "یک: ناقص"), 13, 16, "level «یک»"),
    ("R602", edit("{0: هیچ, 1: ناقص, 2: کامل}", "{0: هیچ}"), 13, 7, "1 level(s)"),
    ("R603", edit("1: ناقص", "۰: ناقص"), 13, 16, "the level 0 appears twice"),
    ("R604", edit("1: ناقص", "1: هیچ"), 13, 19, "the label «هیچ»"),
]


def _codes(text):
    return [(p.code, p.line, p.col) for p in check_rubric(text)[1]]


@pytest.mark.parametrize(("code", "text", "line", "col", "phrase"), CASES,
                         ids=[case[0] for case in CASES])
def test_each_catalogue_entry(code, text, line, col, phrase):
    rubric, problems = check_rubric(text, filename="r.yaml")
    assert rubric is None
    assert [(p.code, p.line, p.col) for p in problems] == [(code, line, col)]
    english = format_problem(problems[0], "r.yaml", "en")
    assert english.startswith(f"r.yaml:{line}:{col}: {code} ")
    assert phrase in english
    assert "\n" not in english
    persian = format_problem(problems[0], "r.yaml", "fa")
    assert persian.startswith(f"r.yaml:{line}:{col}: {code} ")
    if CATALOGUE[code].hints:
        assert "— پیشنهاد: " in persian


def test_persian_message_example():
    text = edit("title: پوشش\n", "title: پوشش\n        wieght: 3\n",
                edit("        weight: 25\n", ""))
    lines = RubricError(check_rubric(text)[1], "r.yaml").lines("fa")
    assert "r.yaml:21:9: R108 کلید ناشناخته «wieght» در واحد «waste»، شاخص «۱٫۱» — " \
           "پیشنهاد: منظورتان «weight» است؟" in lines


def test_several_problems_are_all_reported():
    text = edit("type: yesno", "type: yesnoo")
    text = edit("weight: 10", "weight: -1", text)
    text = edit("grades: [5, 12]", "grades: [5, 13]", text)
    text = edit('- id: "1.1"', "- id: 1.10", text)
    text = edit("    title: پسماند\n", "    title: پسماند\n    title: دوباره\n", text)
    with pytest.raises(RubricError) as info:
        load_rubric(text, filename="many.yaml")
    found = [(p.code, p.line) for p in info.value.problems]
    assert found == [("R402", 8), ("R109", 17), ("R201", 20), ("R301", 29), ("R205", 40)]
    assert len(str(info.value).splitlines()) == 5


def test_required_top_level_keys_all_reported():
    problems = check_rubric("id: x\nextra: 1\n")[1]
    assert [(p.code, p.params.get("key")) for p in problems] == [
        ("R107", "version"), ("R107", "title"), ("R107", "tiers"), ("R107", "bands"),
        ("R107", "units"), ("R108", "extra")]


def test_unknown_key_without_close_match_lists_allowed_keys():
    text = edit("title: پوشش\n", "title: پوشش\n        zzz: 1\n")
    (problem,) = check_rubric(text)[1]
    assert "the keys allowed here are: «id», «title»" in format_problem(problem, "r", "en")


# --- reading the file -------------------------------------------------------------------------

def test_R001_oversized_file_refused(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * (600 * 1024))
    assert _codes(path) == [("R001", 1, 1)]
    assert _codes_max(BASE, 100) == [("R001", 1, 1)]


def _codes_max(text, max_bytes):
    return [(p.code, p.line, p.col) for p in check_rubric(text, max_bytes=max_bytes)[1]]


def test_R002_windows_1256_is_not_utf8():
    data = "id: demo\nversion: '1'\ntitle: نمونه\n".encode("cp1256")
    problems = check_rubric(data)[1]
    assert [(p.code, p.line, p.col) for p in problems] == [("R002", 3, 8)]
    assert check_rubric(b"id: \xc3\xa9\xff")[1][0].col == 6  # counted in characters
    assert "Windows-1256" in format_problem(problems[0], "r.yaml", "en")


def test_R003_every_tab_indented_line_is_reported():
    text = BASE.replace("    grades: [1, 4]", "\tgrades: [1, 4]").replace(
        "    title: پسماند", "  \ttitle: پسماند")
    assert _codes(text) == [("R003", 6, 1), ("R003", 16, 3)]


def test_R004_syntax_error_has_position_and_no_traceback():
    assert _codes("id: demo\ntitle: a: b\n") == [("R004", 2, 9)]
    assert _codes('id: "open\n') == [("R004", 2, 1)]
    assert _codes("id: \x07\n")[0][0] == "R004"


def test_R005_R006_anchors_and_aliases_refused():
    text = edit("weight: 25", "weight: &w 25", edit("weight: 10", "weight: *w"))
    assert _codes(text) == [("R005", 22, 17), ("R006", 28, 17)]


def test_R007_deep_nesting_refused():
    assert _codes("a: " + "[" * 5000 + "]" * 5000) == [("R007", 1, 34)]
    assert _codes("a: " + "[x, " * 40 + "]" * 40) == [("R007", 1, 120)]
    block = "".join(f"{'  ' * i}k{i}:\n" for i in range(40))
    assert _codes(block) == [("R007", 31, 61)]


def test_R008_too_many_items_refused():
    assert _codes_events(BASE, 50)[0][0] == "R008"
    text = "a: [" + "0," * 250_000 + "0]"  # 500 KB: under the size cap
    assert [code for code, *_ in _codes(text)] == ["R008"]


def _codes_events(text, max_events):
    return [(p.code, p.line, p.col) for p in check_rubric(text, max_events=max_events)[1]]


def test_billion_laughs_refused():
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    problems = check_rubric("\n".join(lines) + "\n")[1]
    codes = {p.code for p in problems}
    assert {"R005", "R006"} <= codes
    assert problems[0].code == "R005" and (problems[0].line, problems[0].col) == (1, 5)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_R009_empty_file(text):
    assert _codes(text) == [("R009", 1, 1)]


def test_R010_second_document_refused():
    assert _codes(BASE + "---\nid: x\n") == [("R010", 41, 1)]


def test_R011_tags_refused():
    text = edit("title: نمونه", "title: !!python/object:os.system نمونه")
    problems = check_rubric(text)[1]
    assert [(p.code, p.line, p.col) for p in problems] == [("R011", 3, 8)]
    assert "«!!python/object:os.system»" in format_problem(problems[0], "r", "en")


def test_quoted_str_tag_is_allowed():
    text = edit('- id: "1.1"', "- id: !!str 1.1")
    assert load_rubric(text).criterion("1.1") is not None
