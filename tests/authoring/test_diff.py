"""The rubric diff: a pure comparison of two Rubric objects into change records, put into
sentences in Persian (default) or English."""

from __future__ import annotations

import pytest

from app.authoring.diff import (
    MESSAGES,
    Change,
    Levels,
    Num,
    Tiers,
    describe,
    describe_all,
    diff_rubrics,
)
from app.i18n import translator
from app.rubric import load_rubric

from .conftest import TINY_V1, TINY_V2, demo_text, demo_v2


def _diff(new_text: str, old_text: str = TINY_V1) -> list[Change]:
    return diff_rubrics(load_rubric(old_text, filename="old.yaml"),
                        load_rubric(new_text, filename="new.yaml"))


def _kinds(changes) -> list[str]:
    return [change.kind for change in changes]


def _only(changes, kind: str) -> Change:
    found = [change for change in changes if change.kind == kind]
    assert len(found) == 1, _kinds(changes)
    return found[0]


def test_the_same_rubric_has_no_differences():
    assert _diff(TINY_V1) == []
    demo = load_rubric(demo_text())
    assert diff_rubrics(demo, demo) == []


def test_two_versions_in_order_with_every_change_named():
    changes = _diff(TINY_V2)
    assert _kinds(changes) == ["rubric.version", "criterion.weight", "criterion.target",
                               "criterion.added"]
    weight = changes[1]
    assert weight.subject == "1.1"
    assert weight.params["tiers"] == Tiers(("small", "big"), every=True)
    assert (weight.params["old"], weight.params["new"]) == (2, 3)
    target = changes[2]
    assert target.params["tiers"] == Tiers(("small",))
    assert (target.params["old"], target.params["new"]) == (80, 70)
    assert describe_all(changes, "en") == [
        "The version label changed from 1 to 2.",
        "The weight of the criterion 1.1 «پوشش» in every tier changed from 2 to 3.",
        "The target of the criterion 1.1 «پوشش» in tier small changed from 80 to 70.",
        "The criterion 2.3 «مانور سالانه» was added to the unit «آتش\u200cنشانی» (fire).",
    ]
    assert [change.affects_scores for change in changes] == [False, True, True, True]


def test_persian_is_the_default_with_persian_digits():
    changes = _diff(TINY_V2)
    sentences = describe_all(changes)
    assert sentences == describe_all(changes, "fa")
    assert "۸۰" in sentences[2] and "۷۰" in sentences[2] and "80" not in sentences[2]
    assert "۱٫۱" in sentences[1]
    for sentence in sentences:  # translated: the English words are gone
        assert "changed" not in sentence and "criterion" not in sentence


def test_every_sentence_has_a_persian_translation():
    gettext = translator("fa").gettext
    missing = [msgid for msgid in MESSAGES.values() if gettext(msgid) == msgid]
    assert not missing


@pytest.mark.parametrize(("old", "new", "kind", "params"), [
    ("weight: {small: 3, big: 1}", "weight: {small: 4, big: 1}", "unit.weight",
     {"old": 3, "new": 4, "tiers": Tiers(("small",))}),
    ("title: پاکیزگی", "title: پاکیزگی شهر", "unit.title",
     {"old": "پاکیزگی", "new": "پاکیزگی شهر"}),
    ("better: lower, target: 5, floor: 15", "better: lower, target: 5, floor: 20",
     "criterion.floor", {"old": 15, "new": 20, "tiers": Tiers(("small", "big"), True)}),
    ("type: number, better: lower, target: 5, floor: 15,",
     "type: number, target: 5, floor: 1,", "criterion.better", {}),
    ("title: ایستگاه دارد, type: yesno, weight: 1}",
     "title: ایستگاه دارد, type: yesno, weight: 1, applies_to: [big]}",
     "criterion.applies_to", {"old": Tiers(("small", "big"), True), "new": Tiers(("big",))}),
    ("weight: 1, allow_na: true}", "weight: 1}", "criterion.allow_na.off", {}),
    ("title: ایستگاه دارد, type: yesno, weight: 1}",
     "title: ایستگاه دارد, type: yesno, weight: 1, allow_na: true}", "criterion.allow_na.on",
     {}),
    ("title: پوشش, type: percent", "title: پوشش جمع‌آوری, type: percent", "criterion.title",
     {"old": "پوشش", "new": "پوشش جمع‌آوری"}),
    ("{id: \"2.2\", title: ایستگاه دارد, type: yesno,",
     "{id: \"2.2\", title: ایستگاه دارد, type: scale, scale: s3,", "criterion.type", {}),
    ("na_limit: 0.34\n", "na_limit: 0.5\n", "rubric.na_limit", {"old": 0.34, "new": 0.5}),
    ("reference_tier: big", "reference_tier: small", "rubric.reference_tier",
     {"old": "big", "new": "small"}),
    ("  - {min: 75, label: خوب}", "  - {min: 70, label: خوب}", "band.min",
     {"old": 75, "new": 70, "label": "خوب"}),
    ("  - {min: 75, label: خوب}", "  - {min: 75, label: خیلی خوب}", "band.label",
     {"min": 75, "old": "خوب", "new": "خیلی خوب"}),
    ("  - {min: 75, label: خوب}\n", "  - {min: 90, label: عالی}\n  - {min: 75, label: خوب}\n",
     "band.added", {"label": "عالی", "new": 90}),
    ("{id: small, title: شهرهای کوچک, grades: [1, 6]}",
     "{id: small, title: شهرهای کوچک, grades: [1, 7]}", "tier.grades", {}),
    ("{id: big, title: شهرهای بزرگ, grades: [7, 12]}",
     "{id: big, title: شهرهای بزرگ و مراکز استان, grades: [7, 12]}", "tier.title", {}),
    ("s3: {0: هیچ, 1: کم, 2: زیاد}", "s3: {0: هیچ, 1: اندک, 2: زیاد}", "scale.levels",
     {"old": Levels(((0, "هیچ"), (1, "کم"), (2, "زیاد"))),
      "new": Levels(((0, "هیچ"), (1, "اندک"), (2, "زیاد")))}),
])
def test_each_kind_of_change(old, new, kind, params):
    text = TINY_V1 if "na_limit" not in old else TINY_V1.replace(
        "reference_tier: big\n", "reference_tier: big\nna_limit: 0.34\n")
    assert text.count(old) == 1, old
    changes = _diff(text.replace(old, new), text)
    change = _only(changes, kind)
    for name, value in params.items():
        assert change.params[name] == value, (name, change.params)
    for lang in ("fa", "en"):
        assert describe(change, lang).strip()


def test_a_named_scale_change_is_told_once_and_an_inline_one_per_criterion():
    changes = _diff(TINY_V1.replace("2: زیاد}", "2: زیاد, 3: کامل}"))
    assert _kinds(changes) == ["scale.levels"]  # not again for criterion 1.2, which uses it
    inline = TINY_V1.replace("type: scale, scale: s3,", "type: scale, scale: {0: نه, 1: آری},")
    changes = _diff(inline.replace("1: آری}", "1: بله}"), inline)
    assert _kinds(changes) == ["criterion.levels"]
    assert describe(changes[0], "en") == (
        "The answer levels of the criterion 1.2 «برنامه» changed from «0: نه, 1: آری» "
        "to «0: نه, 1: بله».")
    changes = _diff(inline)
    assert _kinds(changes) == ["criterion.levels"]  # the named scale became an inline one


def test_units_and_criteria_added_removed_and_moved():
    moved = TINY_V1.replace(
        '      - {id: "1.2", title: برنامه, type: scale, scale: s3, weight: 1}\n', "").replace(
        '      - {id: "2.2", title: ایستگاه دارد, type: yesno, weight: 1}\n',
        '      - {id: "2.2", title: ایستگاه دارد, type: yesno, weight: 1}\n'
        '      - {id: "1.2", title: برنامه, type: scale, scale: s3, weight: 1}\n')
    change = _only(_diff(moved), "criterion.unit")
    assert describe(change, "en") == ("The criterion 1.2 «برنامه» moved from the unit "
                                      "«پاکیزگی» (clean) to the unit «آتش\u200cنشانی» (fire).")
    without_fire = TINY_V1.split("  - id: fire\n")[0] + "examples: []\n"
    changes = _diff(without_fire.replace("examples: []\n", ""))
    assert _kinds(changes) == ["unit.removed", "criterion.removed", "criterion.removed",
                               "example.removed"]
    changes = diff_rubrics(load_rubric(without_fire.replace("examples: []\n", "")),
                           load_rubric(TINY_V1))
    assert _kinds(changes)[:3] == ["unit.added", "criterion.added", "criterion.added"]


def test_the_demo_rubric_second_version():
    changes = diff_rubrics(load_rubric(demo_text()), load_rubric(demo_v2()))
    assert _kinds(changes) == ["rubric.version", "criterion.weight"]
    assert changes[1].params["new"] == Num(35)
    assert describe(changes[1], "fa") == (
        "وزن شاخص ۷٫۱ «سرانه فضای سبز عمومی» در همه رده‌ها از ۳۰ به ۳۵ تغییر کرد.")
