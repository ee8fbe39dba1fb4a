"""The page's live score and the server's cannot drift: both are checked against the one file
tests/data/live_score_vectors.json. Here, that the server still reads every typed number, makes
every rule, refuses every change and computes every figure the file holds; in
tests/js/scoring.test.js (node --test, run by scripts/test.sh), that the page's script does the
same from the same file. scripts/live_score_vectors.py writes the file again after a deliberate
change of a rule."""

from __future__ import annotations

import json
import sys

import pytest

from app.config import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import live_score_vectors  # noqa: E402

VECTORS = json.loads(live_score_vectors.TARGET.read_text("utf-8"))


def test_every_typed_number_is_read_as_the_file_says():
    assert VECTORS["numbers"] == live_score_vectors.number_vectors()
    read = dict((text, value) for text, value in VECTORS["numbers"])
    # the cases the issue names: never a silently different number
    assert read["12,5"] == {"error": "ambiguous"} and read["1,2,3"] == {"error": "ambiguous"}
    assert read["1e308"] == {"error": "large"} and read["abc"] == {"error": "not_number"}
    assert read["۱۲٫۵"] == 12.5 and read["۱٬۲۰۰"] == 1200


def test_the_cases_cover_every_type_and_refusals():
    types = {spec["type"] for case in VECTORS["cases"] for spec in case["rules"]["criteria"]
             .values()}
    assert types == {"scale", "yesno", "number", "percent", "checklist"}
    widgets = {spec["widget"] for case in VECTORS["cases"]
               for spec in case["rules"]["criteria"].values()}
    assert widgets >= {"choice", "number", "inputs", "ticks", "samples"}
    assert sum(len(case["refused"]) for case in VECTORS["cases"]) >= 5
    assert any(case["rules"]["gates"] for case in VECTORS["cases"])
    assert any(change.get("na") for case in VECTORS["cases"]
               for change in case["changes"].values())


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["name"] for c in VECTORS["cases"]])
def test_the_server_makes_each_case_as_the_file_holds_it(ctx, case):
    built = live_score_vectors.build_case(case["rubric"], case["tier"], case["profile"],
                                          case["seed"], case["share"])
    # through JSON, as the page receives it (tuples become lists, keys strings)
    built = json.loads(json.dumps(built, ensure_ascii=False))
    for part in ("rules", "changes", "refused", "expected"):
        assert built[part] == case[part], f"{part} differ: run scripts/live_score_vectors.py"
