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

from .conftest import DEMO_V2_CHANGE_EN, DEMO_V2_CHANGE_FA, TINY_V1, TINY_V2, demo_text, demo_v2


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
    assert changes[1].params["new"] == Num(30)
    assert describe(changes[1], "fa") == DEMO_V2_CHANGE_FA
    assert describe(changes[1], "en") == DEMO_V2_CHANGE_EN


# --- the part-2 keys: computed values, brackets, checklists, samples, gates, limits -----------

PART2 = """\
id: tiny2
version: "1"
title: سنجه‌نامهٔ آزمایشی
reference_tier: L
tiers:
  - {id: S, grades: [1, 6]}
  - {id: L, grades: [7, 12]}
bands:
  - {min: 60, label: مناسب}
  - {min: 0, label: ضعیف}
scales:
  s4: {0: هیچ, 1: کم, 2: نیمه, 3: بیشتر, 4: کامل}
units:
  - id: green
    title: فضای سبز
    weight: 2
    criteria:
      - id: "6.1"
        title: سرانه فضای سبز
        type: number
        weight: 2
        inputs:
          green_area: {title: مساحت فضای سبز, unit_label: مترمربع}
        formula: green_area / population
        target: {S: 7, L: 12}
      - id: "6.2"
        title: پوشش جمع‌آوری
        type: percent
        weight: 1
        brackets:
          S: [{min: 80, fraction: 1}, {min: 60, fraction: 0.6}]
          L: [{min: 95, fraction: 1}, {min: 80, fraction: 0.6}]
      - id: "6.3"
        title: آموزش همگانی
        type: checklist
        weight: 1
        items:
          plan: {title: برنامه مدون, points: 2}
          staff: مسئول تمام‌وقت
        full_at: 3
      - id: "6.4"
        title: روز پاسخ
        type: number
        better: lower
        weight: 1
        target: 5
        max: 365
  - id: clean
    title: پاکیزگی
    weight: 1
    criteria:
      - id: "7.1"
        title: پاکیزگی بوستان‌ها
        type: scale
        scale: s4
        weight: 1
        samples: {min: 3, aggregate: mean}
      - id: "7.2"
        title: نظافت بازار
        type: yesno
        weight: 1
        allow_na: true
gates:
  - id: core-units
    title: قبولی واحدهای اصلی
    units: [green]
    min: 50
    cap: 59.9
"""


def _diff2(old: str, new: str) -> list[Change]:
    text = PART2
    assert text.count(old) == 1, old
    return diff_rubrics(load_rubric(text, filename="old.yaml"),
                        load_rubric(text.replace(old, new), filename="new.yaml"))


@pytest.mark.parametrize(("old", "new", "kind", "english"), [
    ("S: [{min: 80, fraction: 1}, {min: 60, fraction: 0.6}]",
     "S: [{min: 85, fraction: 1}, {min: 60, fraction: 0.5}]", "criterion.brackets",
     "The brackets (step points) of the criterion 6.2 «پوشش جمع‌آوری» in tier S changed from "
     "«from 80: 100%; from 60: 60%» to «from 85: 100%; from 60: 50%»."),
    ("formula: green_area / population", "formula: green_area / population * 1000",
     "criterion.formula",
     "The formula of the criterion 6.1 «سرانه فضای سبز» changed from «green_area / population» "
     "to «green_area / population * 1000»."),
    ("        inputs:\n          green_area: {title: مساحت فضای سبز, unit_label: مترمربع}\n"
     "        formula: green_area / population\n", "", "criterion.formula.removed",
     "The criterion 6.1 «سرانه فضای سبز» is no longer computed (it was «green_area / "
     "population»); the inspector types its value."),
    ("        target: 5\n        max: 365\n",
     "        target: 5\n        inputs: {days: {title: جمع روزها}, cases: {title: شمار}}\n"
     "        formula: days / cases\n", "criterion.formula.added",
     "The criterion 6.4 «روز پاسخ» is now computed by the formula «days / cases» instead of "
     "being typed by the inspector."),
    ("unit_label: مترمربع}\n", "unit_label: مترمربع}\n          parks: {title: شمار بوستان}\n",
     "criterion.input.added",
     "The criterion 6.1 «سرانه فضای سبز» now asks for the input «parks» (شمار بوستان)."),
    ("{title: مساحت فضای سبز, unit_label: مترمربع}", "{title: مساحت فضای سبز, unit_label: هکتار}",
     "criterion.input.title",
     "The input «green_area» of the criterion 6.1 «سرانه فضای سبز» is now asked as «مساحت فضای "
     "سبز (هکتار)» instead of «مساحت فضای سبز (مترمربع)»."),
    ("          staff: مسئول تمام‌وقت\n",
     "          staff: مسئول تمام‌وقت\n          budget: {title: ردیف بودجه, points: 1.5}\n",
     "criterion.item.added",
     "The item «budget» (ردیف بودجه, 1.5 points) was added to the checklist of the criterion "
     "6.3 «آموزش همگانی»."),
    ("          staff: مسئول تمام‌وقت\n        full_at: 3\n", "        full_at: 2\n",
     "criterion.item.removed",
     "The item «staff» (مسئول تمام‌وقت) was removed from the checklist of the criterion 6.3 "
     "«آموزش همگانی»."),
    ("{title: برنامه مدون, points: 2}", "{title: برنامه مدون, points: 3}",
     "criterion.item.points",
     "The item «plan» of the checklist of the criterion 6.3 «آموزش همگانی» is now worth 3 "
     "points instead of 2."),
    ("full_at: 3", "full_at: 2", "criterion.full_at",
     "The checklist of the criterion 6.3 «آموزش همگانی» now earns its whole weight at 2 points "
     "instead of 3."),
    ("samples: {min: 3, aggregate: mean}", "samples: {min: 4, aggregate: min}",
     "criterion.samples",
     "The sites rule of the criterion 7.1 «پاکیزگی بوستان‌ها» changed from the mean of at least "
     "3 sites to the weakest of at least 4 sites."),
    ("        samples: {min: 3, aggregate: mean}\n", "", "criterion.samples.removed",
     "The criterion 7.1 «پاکیزگی بوستان‌ها» is no longer observed at several sites (it was the "
     "mean of at least 3 sites); the inspector gives one value."),
    ("        weight: 1\n        allow_na: true\n",
     "        weight: 1\n        allow_na: true\n        samples: {min: 2, aggregate: share}\n",
     "criterion.samples.added",
     "The criterion 7.2 «نظافت بازار» is now observed at several sites: the share of fully met "
     "sites, at least 2 sites."),
    ("max: 365", "max: 90", "criterion.maximum",
     "The highest value an inspector may give for the criterion 6.4 «روز پاسخ» changed from "
     "365 to 90."),
    ("max: 365", "min: 1\n        max: 365", "criterion.minimum",
     "The lowest value an inspector may give for the criterion 6.4 «روز پاسخ» changed from 0 "
     "to 1."),
    ("    title: پاکیزگی\n", "    title: پاکیزگی\n    na_limit: 0.5\n", "unit.na_limit",
     "The N/A limit of the unit «پاکیزگی» (clean) changed from the rubric's limit, 0.3333 to "
     "0.5."),
    ("  - id: core-units", "  - id: top-band\n    units: all\n    min: 80\n    count: 2\n"
     "    cap: 89.9\n  - id: core-units", "gate.added",
     "The gate «top-band» was added: unless at least 2 of every unit score 80 or more, the "
     "overall score is at most 89.9."),
    ("    cap: 59.9\n", "    cap: 59.9\n  - id: permit\n    title: مجوز دفن\n"
     "    criteria: [\"6.3\"]\n    min: 1\n    factor: 0.67\n", "gate.added",
     "The gate «permit» (مجوز دفن) was added: when any of «6.3» earns less than 100% of its "
     "points, the overall score is multiplied by 0.67."),
    ("    min: 50\n    cap: 59.9\n", "    min: 40\n    cap: 59.9\n", "gate.rule",
     "The gate «core-units» (قبولی واحدهای اصلی) changed: now when any of «green» scores below "
     "40, the overall score is at most 59.9; before, when any of «green» scores below 50, the "
     "overall score is at most 59.9."),
    ("title: قبولی واحدهای اصلی", "title: قبولی واحد فضای سبز", "gate.title",
     "The title of the gate «core-units» changed from «قبولی واحدهای اصلی» to «قبولی واحد فضای "
     "سبز»."),
])
def test_each_part2_change_in_words(old, new, kind, english):
    changes = _diff2(old, new)
    change = _only(changes, kind)
    assert describe(change, "en") == english
    persian = describe(change, "fa")
    assert persian != english and "changed" not in persian
    if kind not in ("criterion.formula", "criterion.formula.removed"):
        # numbers in Persian digits (a formula is shown as written)
        assert not any(ch in persian for ch in "0123456789"), persian
    assert change.affects_scores == (kind not in ("gate.title", "criterion.input.title",
                                                  "criterion.item.title", "criterion.minimum",
                                                  "criterion.maximum"))


def test_a_gate_removed_and_the_persian_words_of_the_glossary():
    without = PART2.split("gates:\n")[0]
    changes = diff_rubrics(load_rubric(PART2), load_rubric(without))
    change = _only(changes, "gate.removed")
    assert describe(change, "en") == (
        "The gate «core-units» (قبولی واحدهای اصلی) was removed (it said: when any of «green» "
        "scores below 50, the overall score is at most 59.9).")
    assert describe(change, "fa") == (
        "قاعدهٔ داوری «core-units» (قبولی واحدهای اصلی) حذف شد (پیش‌تر: اگر امتیاز هر یک از "
        "«green» کمتر از ۵۰ شود، امتیاز کل حداکثر ۵۹٫۹ می‌شود).")
    bracket = _only(_diff2("S: [{min: 80, fraction: 1}, {min: 60, fraction: 0.6}]",
                           "S: [{min: 85, fraction: 1}, {min: 60, fraction: 0.6}]"),
                    "criterion.brackets")
    assert describe(bracket, "fa") == (
        "پله‌های امتیاز شاخص ۶٫۲ «پوشش جمع‌آوری» در ردهٔ S از «از ۸۰: ۱۰۰٪؛ از ۶۰: ۶۰٪» به "
        "«از ۸۵: ۱۰۰٪؛ از ۶۰: ۶۰٪» تغییر کرد.")


def test_one_list_of_brackets_for_every_tier_is_one_change_and_gates_keep_their_order():
    one_list = PART2.replace(
        "        brackets:\n          S: [{min: 80, fraction: 1}, {min: 60, fraction: 0.6}]\n"
        "          L: [{min: 95, fraction: 1}, {min: 80, fraction: 0.6}]\n",
        "        brackets: [{max: 10, fraction: 1}, {max: 20, fraction: 0.5}]\n"
        "        better: lower\n")
    # S and L had different steps: one sentence for each
    assert len([c for c in diff_rubrics(load_rubric(PART2), load_rubric(one_list))
                if c.kind == "criterion.brackets"]) == 2
    other_list = one_list.replace("{max: 20, fraction: 0.5}", "{max: 30, fraction: 0.5}")
    changes = diff_rubrics(load_rubric(one_list), load_rubric(other_list))
    brackets = [c for c in changes if c.kind == "criterion.brackets"]
    assert len(brackets) == 1 and brackets[0].params["tiers"] == Tiers(("S", "L"), every=True)
    assert describe(brackets[0], "en").endswith(
        "in every tier changed from «up to 10: 100%; up to 20: 50%» to «up to 10: 100%; up to "
        "30: 50%».")
    assert "«تا ۱۰: ۱۰۰٪؛ تا ۲۰: ۵۰٪»" in describe(brackets[0], "fa")
    two = PART2 + "  - {id: second, units: [clean], min: 10, factor: 0.5}\n"
    swapped = PART2.replace("gates:\n", "gates:\n  - {id: second, units: [clean], min: 10, "
                                        "factor: 0.5}\n")
    assert _kinds(diff_rubrics(load_rubric(two), load_rubric(swapped))) == ["gate.order"]
    # a type's name comes from the type itself, the new ones too
    as_checklist = PART2.replace(
        "        type: yesno\n        weight: 1\n        allow_na: true\n",
        "        type: checklist\n        weight: 1\n        items: {a: الف}\n")
    change = _only(diff_rubrics(load_rubric(PART2), load_rubric(as_checklist)),
                   "criterion.type")
    assert describe(change, "en") == ("The answer type of the criterion 7.2 «نظافت بازار» "
                                      "changed from yes or no to a checklist.")
    # the same units written as a list or as «all» are the same rule
    listed = PART2.replace("units: [green]", "units: [green, clean]")
    as_all = PART2.replace("units: [green]", "units: all")
    assert diff_rubrics(load_rubric(listed), load_rubric(as_all)) == []
    assert "همه واحدها" in describe(_only(diff_rubrics(load_rubric(PART2),
                                                       load_rubric(listed)), "gate.rule"))
    assert "every unit" in describe(_only(diff_rubrics(load_rubric(PART2), load_rubric(as_all)),
                                          "gate.rule"), "en")
