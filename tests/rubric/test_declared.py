"""The «declared» key: on a unit every criterion of it is declared, a criterion may say
otherwise, and a value that is not a yes/no is refused with its line (the authors' guide,
section 6-8 / 6.8)."""

from pathlib import Path

from app.rubric import check_rubric, load_rubric

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / "rubrics" / "municipal-units.yaml").read_text(encoding="utf-8")


def test_the_shipped_rubric_declares_a_unit_and_two_criteria():
    rubric = load_rubric(TEXT)
    declared = [c.id for c in rubric.declared()]
    revenue = [c.id for c in rubric.unit("revenue").criteria]
    assert declared[:len(revenue)] == revenue  # the whole revenue unit
    assert set(declared) - set(revenue) == {"3.1", "5.1"}


def test_a_criterion_opts_out_of_its_declared_unit():
    text = TEXT.replace('      - id: "2.2"\n', '      - id: "2.2"\n        declared: false\n', 1)
    assert text != TEXT
    rubric = load_rubric(text)
    assert "2.2" not in [c.id for c in rubric.declared()]
    assert "2.1" in [c.id for c in rubric.declared()]


def test_a_declared_value_must_be_yes_or_no():
    text = TEXT.replace("    declared: true\n", "    declared: perhaps\n", 1)
    rubric, problems = check_rubric(text)
    assert rubric is None and [p.code for p in problems] == ["R106"]
    assert problems[0].line == TEXT[:TEXT.index("    declared: true\n")].count("\n") + 1
