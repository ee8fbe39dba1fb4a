"""The `arzyab` command line as the spec fixes it, run as a real process."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARZYAB = [sys.executable, "-m", "app.cli"]

RUBRIC = """\
id: tiny
version: "1"
title: شیوه‌نامهٔ آزمایشی
reference_tier: big
tiers:
  - {id: small, grades: [1, 6]}
  - {id: big, grades: [7, 12]}
bands:
  - {min: 75, label: خوب}
  - {min: 50, label: مناسب}
  - {min: 0, label: ضعیف}
scales:
  s3: {0: هیچ, 1: کم, 2: زیاد}
units:
  - id: clean
    title: پاکیزگی
    weight: {small: 3, big: 1}
    criteria:
      - {id: "1.1", title: پوشش, type: percent, weight: 2, target: {small: 80, big: 100}}
      - {id: "1.2", title: برنامه, type: scale, scale: s3, weight: 1}
  - id: fire
    title: آتش‌نشانی
    weight: 1
    criteria:
      - {id: "2.1", title: زمان رسیدن, type: number, better: lower, target: 5, floor: 15,
         weight: 1, allow_na: true}
      - {id: "2.2", title: ایستگاه دارد, type: yesno, weight: 1}
"""

ANSWERS = """\
municipality: {name: آزمون, grade: 3}
answers:
  "1.1": "۶۰"
  "1.2": کم
  "2.1": {value: "۱۰", note: دور است}
  "2.2": خیر
"""


def run(*args, cwd=ROOT):
    return subprocess.run([*ARZYAB, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_sample_rubric_is_valid():
    result = run("rubric", "check", ROOT / "rubrics/municipal-units.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "معتبر" in result.stdout


def test_broken_rubric_lists_every_problem_with_place_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(RUBRIC.replace('id: "1.1"', "id: 1.10").replace("weight: 2", "wieght: 2")
                   .replace("type: yesno", "type: yesnoo"), encoding="utf-8")
    result = run("rubric", "check", bad)
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith(str(bad))]
    assert len(lines) >= 3
    for line in lines:
        assert line.split(":")[1].isdigit() and line.split(":")[2].isdigit()
    assert "Traceback" not in result.stdout + result.stderr
    english = run("rubric", "check", bad, "--lang", "en")
    assert "did you mean" in english.stdout.lower() or "weight" in english.stdout


def test_score_matches_hand_computation(tmp_path):
    (tmp_path / "r.yaml").write_text(RUBRIC, encoding="utf-8")
    (tmp_path / "a.yaml").write_text(ANSWERS, encoding="utf-8")
    result = run("score", tmp_path / "r.yaml", tmp_path / "a.yaml", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    # tier small (grade 3). clean: 1.1 = 60/80 = 0.75 (raw 60/100 = 0.6), 1.2 = 1/2 = 0.5
    #   unit = (2*0.75 + 1*0.5)/3 = 66.67; raw = (2*0.6 + 0.5)/3 = 56.67
    # fire: 2.1 = (15-10)/(15-5) = 0.5 (same targets), 2.2 = 0 -> 25.0
    # overall (weights small: 3 and 1) = (3*66.667 + 25)/4 = 56.25 -> 56.3
    # raw = (3*56.667 + 25)/4 = 48.75 -> 48.8
    assert data["tier"] == "small" and data["complete"] is True and data["missing"] == []
    assert data["overall"]["score"] == 56.3 and data["overall"]["band"] == "مناسب"
    assert data["overall"]["raw"] == 48.8
    units = {u["id"]: u for u in data["units"]}
    assert units["clean"]["score"] == 66.7 and units["clean"]["raw"] == 56.7
    assert units["clean"]["weight"] == 3 and units["fire"]["score"] == 25.0
    c11 = next(c for c in data["criteria"] if c["id"] == "1.1")
    assert c11["fraction"] == 0.75 and c11["raw_fraction"] == 0.6
    assert c11["max_points"] == 2 and c11["points"] == 1.5


def test_draft_answers_list_missing(tmp_path):
    (tmp_path / "r.yaml").write_text(RUBRIC, encoding="utf-8")
    (tmp_path / "a.json").write_text(json.dumps(
        {"municipality": {"name": "x", "tier": "big"}, "answers": {"1.1": 100}}),
        encoding="utf-8")
    data = json.loads(run("score", tmp_path / "r.yaml", tmp_path / "a.json", "--json").stdout)
    assert data["complete"] is False and data["missing"] == ["1.2", "2.1", "2.2"]
    assert data["overall"]["score"] == 100.0


@pytest.mark.parametrize("answers, criterion", [
    ('"9.9": 1', "9.9"),           # unknown criterion
    ('"1.2": 7', "1.2"),           # outside the scale
    ('"1.1": 120', "1.1"),         # percent over 100
    ('"2.2": {na: ندارد}', "2.2"),  # N/A where not allowed
    ('"2.1": {na: ""}', "2.1"),    # N/A without a reason
])
def test_bad_answers_name_the_criterion_and_exit_1(tmp_path, answers, criterion):
    (tmp_path / "r.yaml").write_text(RUBRIC, encoding="utf-8")
    (tmp_path / "a.yaml").write_text(
        f"municipality: {{name: x, grade: 3}}\nanswers:\n  {answers}\n", encoding="utf-8")
    result = run("score", tmp_path / "r.yaml", tmp_path / "a.yaml", "--json")
    assert result.returncode == 1
    assert criterion in result.stderr and "Traceback" not in result.stderr


def test_part2_rubric_scores_through_the_cli_with_gates(tmp_path):
    from tests.rubric.base2 import BASE2

    rubric = tmp_path / "p2.yaml"
    rubric.write_text(BASE2, encoding="utf-8")
    answers = tmp_path / "a.yaml"
    answers.write_text(
        "municipality: {name: دستجرد, grade: 2, population: 1600}\nanswers:\n"
        '  "1.1": {inputs: {green_area: "۱۴٬۴۰۰"}}\n  "1.2": 85\n'
        '  "2.1": {samples: [{site: الف, value: 2}, {site: ب, value: 1}, {site: ج, value: 2}]}\n'
        '  "2.2": [plan, budget]\n  "3.1": خیر\n', encoding="utf-8")
    out = subprocess.run([*ARZYAB, "score", str(rubric), str(answers), "--json"],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout
    data = json.loads(out)
    assert data["overall"]["ungated"] == 93.7 and data["overall"]["score"] == 46.8
    assert [g["met"] for g in data["gates"]] == [True, False]
    words = subprocess.run([*ARZYAB, "score", str(rubric), str(answers), "--lang", "en"],
                           capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert "Verdict rule permit: not met" in words
    assert "Before the verdict rules: 93.7" in words
