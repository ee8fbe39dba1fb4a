"""The incremental path of scoring gives exactly the card of the full computation.

Random answers (every criterion type of the shipped rubrics, N/A where allowed, some left
unanswered) and random sequences of changes, on every tier: the engine given the earlier
card's scores of unchanged criteria (``score(known=…)``), and the autosave's scoring of stored
rows through a memory of criterion scores (``app.evaluations.scorecards``), are compared
field by field with scoring every answer anew.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.evaluations.scorecards import CriterionMemo, card_from_rows
from app.rubric import coerce_answer, load_rubric
from app.rubric.formula import profile_values
from app.rubric.values import AnswerValue
from app.scoring import score

ROOT = Path(__file__).resolve().parents[2]
RUBRICS = {name: load_rubric(ROOT / "rubrics" / f"{name}.yaml")
           for name in ("municipal-units", "clean-city")}
PROFILES = [
    {"grade": 2, "population": 1_600, "budget_million_rial": 150_000, "staff_count": 26,
     "area_hectares": 120},
    {"grade": 8, "population": 250_000, "budget_million_rial": 9_000_000,
     "staff_count": 1_400, "area_hectares": 4_000},
    {"grade": 12, "population": 1_201_158, "budget_million_rial": None, "staff_count": 9_800,
     "area_hectares": 15_200},
]
PLAIN = {"suppress_health_check": [HealthCheck.too_slow], "deadline": None}


@st.composite
def situations(draw):
    """A rubric, a tier, a profile, and a way to draw answers for its criteria."""
    rubric = RUBRICS[draw(st.sampled_from(sorted(RUBRICS)))]
    tier = draw(st.sampled_from([t.id for t in rubric.tiers]))
    profile = draw(st.sampled_from(PROFILES))
    return rubric, tier, profile


def draw_answer(draw, criterion, tier, values):
    """None (unanswered), N/A (where allowed) or an answer of the criterion's own type."""
    kind = draw(st.sampled_from(["none", "na", "answer", "answer", "answer"]))
    if kind == "none":
        return None
    if kind == "na" and criterion.allow_na:
        reason = draw(st.sampled_from(["تعطیل است", "در این شهر وجود ندارد"]))
        return AnswerValue(na=True, na_reason=reason)
    quality = draw(st.floats(min_value=0, max_value=1, allow_nan=False))
    raw = criterion.kind.demo_answer(criterion, tier, quality, values)
    return coerce_answer(criterion, raw)


def stored_row(criterion, answer, values):
    """The answer as the database keeps it (value and data columns)."""
    if answer.na:
        return SimpleNamespace(criterion_id=criterion.id, value=None, data=None, na=True,
                               na_reason=answer.na_reason, note="")
    value, data = criterion.kind.to_storage(criterion, answer, values)
    return SimpleNamespace(criterion_id=criterion.id, value=value, data=data, na=False,
                           na_reason="", note="")


def read_back(criterion, row):
    from app.evaluations.services import stored_answer

    return stored_answer(criterion, row)


@settings(max_examples=60, **PLAIN)
@given(st.data())
def test_scoring_with_known_criteria_equals_scoring_everything(data):
    rubric, tier, profile = data.draw(situations())
    values = profile_values(profile)
    criteria = [c for c in rubric.criteria() if c.applies(tier)]
    before = {}
    for criterion in criteria:
        answer = draw_answer(data.draw, criterion, tier, values)
        if answer is not None:
            before[criterion.id] = answer
    earlier = score(rubric, tier, before, profile)
    changed = data.draw(st.sets(st.sampled_from([c.id for c in criteria]), max_size=4))
    after = dict(before)
    for criterion in criteria:
        if criterion.id in changed:
            answer = draw_answer(data.draw, criterion, tier, values)
            if answer is None:
                after.pop(criterion.id, None)
            else:
                after[criterion.id] = answer
    known = {c.id: c for c in earlier.criteria if c.id not in changed}
    only_changed = {cid: a for cid, a in after.items() if cid in changed}
    assert score(rubric, tier, only_changed, profile, known=known) == score(
        rubric, tier, after, profile)


@settings(max_examples=40, **PLAIN)
@given(st.data())
def test_autosave_scoring_through_its_memory_equals_the_full_computation(data):
    rubric, tier, profile = data.draw(situations())
    values = profile_values(profile)
    criteria = [c for c in rubric.criteria() if c.applies(tier)]
    memo = CriterionMemo(size=data.draw(st.sampled_from([5, 10_000])))  # evictions too
    # a few criteria answered again and again (N/A reasons, values, back to unanswered), or
    # any of them
    pool = data.draw(st.sampled_from([[c for c in criteria if c.allow_na][:3] or criteria[:3],
                                      criteria]))
    rows = {}
    for _save in range(data.draw(st.integers(min_value=1, max_value=12))):
        for criterion in data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3)):
            answer = draw_answer(data.draw, criterion, tier, values)
            if answer is None:
                rows.pop(criterion.id, None)
            else:
                rows[criterion.id] = stored_row(criterion, answer, values)
        fast = card_from_rows(rubric, "sha-" + rubric.id, tier, profile, rows.values(),
                              read_back, memo=memo)
        full = score(rubric, tier, {cid: read_back(rubric.criterion(cid), row)
                                    for cid, row in rows.items()}, profile)
        assert fast == full


def test_the_memory_tells_profiles_and_tiers_apart():
    """The same stored answer under another profile or tier is scored again, not recalled."""
    rubric = RUBRICS["municipal-units"]
    computed = next(c for c in rubric.criteria() if c.formula is not None
                    and c.formula.profile_names())
    tier = next(t.id for t in rubric.tiers if computed.applies(t.id))
    small, large = PROFILES[0], PROFILES[1]
    answer = coerce_answer(computed, computed.kind.demo_answer(
        computed, tier, 0.7, profile_values(small)))
    row = stored_row(computed, answer, profile_values(small))
    memo = CriterionMemo()
    for profile in (small, large, small):
        fast = card_from_rows(rubric, "sha", tier, profile, [row], read_back, memo=memo)
        full = score(rubric, tier, {computed.id: read_back(computed, row)}, profile)
        assert fast == full
    assert card_from_rows(rubric, "sha", tier, small, [row], read_back, memo=memo).criterion(
        computed.id) != card_from_rows(rubric, "sha", tier, large, [row], read_back,
                                       memo=memo).criterion(computed.id)


@pytest.mark.parametrize("size", [1, 3])
def test_the_memory_keeps_at_most_its_size(size):
    memo = CriterionMemo(size=size)
    for n in range(10):
        memo.put(("k", n), object())
    assert len(memo) == size
    assert memo.get(("k", 9)) is not None and memo.get(("k", 0)) is None
