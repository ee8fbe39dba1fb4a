"""The authors' guide (rubrics/README.md) cannot drift from the program: its worked example is
scored through the real command line (a process) and every figure in its tables is compared
with the JSON; the files it quotes are the files in the repository; the checker's messages it
quotes are what the checker prints; its glossary is the program's."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.i18n import to_latin_digits, translator
from tests.helpers import arzyab_in_process

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "rubrics" / "README.md"
ARZYAB = [sys.executable, "-m", "app.cli"]
WORKED = ("rubrics/examples/worked-example.yaml", "rubrics/examples/worked-example-answers.yaml")


def run(*args, cwd=ROOT):
    return subprocess.run([*ARZYAB, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def _guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def _halves() -> dict[str, str]:
    """The Persian and the English half of the guide."""
    text = _guide()
    head, english = text.split("\n## English\n", 1)
    return {"fa": head.split("\n## فارسی\n", 1)[1], "en": english}


def _blocks(text: str, marker: str) -> list[tuple[str, str]]:
    """(what the marker names, the fenced block after it) for every ``<!-- marker... -->``."""
    pattern = re.compile(r"<!-- " + marker + r"(?::? ?([^>]*?))? -->\n```[a-z]*\n(.*?)```", re.S)
    return [(name.strip(), body) for name, body in pattern.findall(text)]


def _figures(text: str) -> list[tuple[str, str]]:
    """(figure as written, JSON path) for each row of the figures table."""
    table = text.split("<!-- figures -->", 1)[1].split("<!-- /figures -->", 1)[0]
    rows = []
    for line in table.strip().splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        path = re.fullmatch(r"`(.+)`", cells[2]).group(1)
        rows.append((cells[1], path))
    return rows


def _at(data, path: str):
    """A value of the score JSON by a path such as ``criteria[1.1].fraction`` or
    ``criteria[2.2].samples[بوستان ملت].fraction``: ``name[key]`` picks the list entry whose
    id (or site) is key."""
    value = data
    for name, key in re.findall(r"([a-z_]+)(?:\[([^\]]+)\])?", path):
        value = value[name]
        if key:
            value = next(item for item in value if item.get("id", item.get("site")) == key)
    return value


def _same(written: str, value) -> bool:
    text = to_latin_digits(written).replace("٫", ".").replace("٬", "")
    if isinstance(value, bool) or value is None:
        return text == json.dumps(value)
    if isinstance(value, str):
        return text == value
    decimals = len(text.split(".", 1)[1]) if "." in text else 0
    return abs(float(text) - value) < 0.5 * 10 ** -decimals + 1e-12


def test_the_worked_example_files_are_the_ones_the_guide_shows():
    for lang, text in _halves().items():
        quoted = dict(_blocks(text, "file"))
        assert set(quoted) == set(WORKED), lang
        for path, body in quoted.items():
            assert body == (ROOT / path).read_text(encoding="utf-8"), (lang, path)


def test_every_figure_of_the_worked_example_is_what_score_json_prints():
    result = run("score", *WORKED, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    for lang, text in _halves().items():
        rows = _figures(text)
        assert len(rows) >= 20, lang
        for written, path in rows:
            assert _same(written, _at(data, path)), (lang, path, written, _at(data, path))
    # the two halves give the same figures at the same places
    fa, en = (_figures(text) for text in _halves().values())
    assert [path for _w, path in fa] == [path for _w, path in en]
    # and the rubric's own example expects exactly what the guide arrives at
    assert data["overall"]["score"] == 79.9 and data["overall"]["band"] == "خوب"
    assert data["overall"]["ungated"] == 80.4
    assert [gate["met"] for gate in data["gates"]] == [False]


def test_every_rubric_in_the_repository_passes_the_check():
    files = sorted((ROOT / "rubrics").glob("*.yaml")) + [ROOT / WORKED[0]]
    assert {path.name for path in files} >= {"municipal-units.yaml", "clean-city.yaml",
                                              "worked-example.yaml"}
    result = arzyab_in_process("rubric", "check", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("معتبر") == len(files)


def test_the_checker_messages_quoted_in_the_guide_are_what_it_prints(tmp_path, monkeypatch):
    """The guide's section 11 misspells «weight» in criterion 1.1, writes the id "1.5" as
    1.10, and misspells «green_area» in the formula of 7.1."""
    text = (ROOT / "rubrics" / "municipal-units.yaml").read_text(encoding="utf-8")
    start = text.index('      - id: "1.1"')
    at = text.index("        weight: ", start)
    text = text[:at] + "        wieght: " + text[at + len("        weight: "):]
    text = text.replace('      - id: "1.5"', "      - id: 1.10", 1)
    formula = text.index("formula: green_area / population", text.index('      - id: "7.1"'))
    text = text[:formula] + "formula: green_aera / population" + text[
        formula + len("formula: green_area / population"):]
    (tmp_path / "rubrics").mkdir()
    (tmp_path / "rubrics" / "municipal-units.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # the file named as the guide names it
    for lang, half in _halves().items():
        result = arzyab_in_process("rubric", "check", "--lang", lang,
                                   "rubrics/municipal-units.yaml")
        assert result.returncode == 1
        printed = result.stdout.splitlines()
        quoted = [line for _name, body in _blocks(half, "check-output")
                  for line in body.strip().splitlines()]
        assert len(quoted) == 3, lang
        for line in quoted:
            assert line in printed, (lang, line, printed)


@pytest.mark.parametrize(("msgid", "word"), [
    ("tier «%(id)s»", "رده"),
    ("band «%(id)s»", "سطح"),
    ("Band", "سطح"),
    ("unit «%(id)s»", "واحد"),
    ("criterion «%(id)s»", "شاخص"),
    ("gate «%(id)s»", "قاعدهٔ داوری"),
    ("Rubrics", "سنجه‌نامه"),
    ("Gate", "قاعدهٔ داوری"),
])
def test_the_guide_and_the_program_share_one_glossary(msgid, word):
    assert word in translator("fa").gettext(msgid)
    glossary = _halves()["fa"].split("### ۱.", 1)[0]
    assert f"| {word}" in glossary


def test_the_guide_uses_the_glossary_words_only():
    text = _guide()
    for old in ("طبقه", "معیار", "شیوه‌نامه"):  # the words the glossary replaced
        assert old not in text, old
