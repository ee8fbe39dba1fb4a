"""The `arzyab` command line as the spec fixes it: each command run as a real process, and
the variations of its input through the same click group in this process (`invoke`)."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from app.i18n import digits
from tests.helpers import arzyab_in_process as invoke

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
    """`arzyab ARGS` as a real process (each command has at least one test through here)."""
    return subprocess.run([*ARZYAB, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_sample_rubric_is_valid():
    result = run("rubric", "check", ROOT / "rubrics/municipal-units.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "معتبر" in result.stdout


#: what only the app needs (Flask's CLI, its plugin commands, the database layers)
APP_ONLY = ("flask", "flask_limiter", "sqlalchemy", "alembic", "werkzeug", "jinja2")


def test_the_file_only_commands_start_without_the_app(tmp_path):
    """`rubric check` and `score` import no Flask, SQLAlchemy or Alembic: a rubric author's
    check costs a fraction of the second of CPU those cost to import."""
    (tmp_path / "r.yaml").write_text(RUBRIC, encoding="utf-8")
    (tmp_path / "a.yaml").write_text(ANSWERS, encoding="utf-8")
    rubric, answers = str(tmp_path / "r.yaml"), str(tmp_path / "a.yaml")
    script = f"""
import sys
from app.cli import main
for args in (["rubric", "check", {rubric!r}], ["score", {rubric!r}, {answers!r}]):
    try:
        main.main(args)
    except SystemExit as exit:
        assert exit.code == 0, (args, exit.code)
print("imported:", sorted(name for name in {APP_ONLY!r} if name in sys.modules))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "معتبر" in result.stdout and "۵۶٫۳" in result.stdout, result.stdout  # the score
    assert result.stdout.splitlines()[-1] == "imported: []", result.stdout


def test_broken_rubric_lists_every_problem_with_place_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(RUBRIC.replace('id: "1.1"', "id: 1.10").replace("weight: 2", "wieght: 2")
                   .replace("type: yesno", "type: yesnoo"), encoding="utf-8")
    result = invoke("rubric", "check", bad)
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith(str(bad))]
    assert len(lines) >= 3
    for line in lines:
        assert line.split(":")[1].isdigit() and line.split(":")[2].isdigit()
    assert "Traceback" not in result.stdout + result.stderr
    english = invoke("rubric", "check", bad, "--lang", "en")
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
    data = json.loads(invoke("score", tmp_path / "r.yaml", tmp_path / "a.json", "--json").stdout)
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
    result = invoke("score", tmp_path / "r.yaml", tmp_path / "a.yaml", "--json")
    assert result.returncode == 1
    # the id as a Persian sentence names it: «۱٫۱»
    assert digits(criterion, "fa") in result.stderr and "Traceback" not in result.stderr


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
    scored = invoke("score", rubric, answers, "--json")
    assert scored.returncode == 0, scored.stderr
    data = json.loads(scored.stdout)
    assert data["overall"]["ungated"] == 93.7 and data["overall"]["score"] == 46.8
    assert [g["met"] for g in data["gates"]] == [True, False]
    in_words = invoke("score", rubric, answers, "--lang", "en")
    assert in_words.returncode == 0, in_words.stderr
    words = in_words.stdout
    assert "Verdict rule permit: not met" in words
    assert "Before the verdict rules: 93.7" in words


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log_in_over_http(base: str) -> str:
    """Log in as the demo inspector through the real form; the page the login leads to (a
    first page of a cold server can take seconds on a busy machine: the wait is generous)."""
    cookies = urllib.request.HTTPCookieProcessor()
    opener = urllib.request.build_opener(cookies)
    page = opener.open(f"{base}/login", timeout=60).read().decode()
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": "inspector", "password": "arzyab-demo",
                                   "csrf_token": token}).encode()
    with opener.open(f"{base}/login", data=data, timeout=60) as response:
        assert response.url == f"{base}/evaluations/", response.url
        return response.read().decode()


@pytest.mark.parametrize("dev", [False, True], ids=["gunicorn", "dev-server"])
def test_serve_runs_gunicorn_by_default_and_the_dev_server_behind_a_flag(demo_app, dev):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": demo_app.config["SQLALCHEMY_DATABASE_URI"],
           "SECRET_KEY": "serve-test-secret-0123456789",
           "ARZYAB_DATA_DIR": demo_app.config["DATA_DIR"]}
    command = [*ARZYAB, "serve", "--port", str(port), *(["--dev"] if dev else ["--workers",
                                                                             "2"])]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output = []
    try:
        deadline = time.monotonic() + 60
        while not any("Arzyab is running at" in line for line in output):
            assert server.poll() is None and time.monotonic() < deadline, "".join(output)
            output.append(server.stdout.readline())
        banner = next(line for line in output if "Arzyab is running at" in line)
        assert f"http://127.0.0.1:{port}/" in banner
        if dev:
            assert "development server" in banner
        else:
            assert f"gunicorn on port {port}, 2 workers × 4 threads" in banner
        for _ in range(100):  # the dev server prints before it listens
            try:
                page = _log_in_over_http(f"http://127.0.0.1:{port}")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        assert "کهک" in page  # the inspector's assignments
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        rest, _ = server.communicate(timeout=30)
    output.append(rest)
    if not dev:
        assert "".join(output).count("Booting worker") == 2
        assert "development server" not in "".join(output)
