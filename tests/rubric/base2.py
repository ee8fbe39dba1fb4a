"""A small valid rubric using every rule of part 2 of the format, broken one line at a time by
the error tests (the line numbers matter)."""

BASE2 = """\
id: p2
version: "1"
title: نمونه
tiers:
  - id: S
    grades: [1, 4]
  - id: L
    grades: [5, 12]
bands:
  - {min: 60, label: مناسب}
  - {min: 0, label: ضعیف}
scales:
  s3: {0: هیچ, 1: ناقص, 2: کامل}
gates:
  - id: core
    units: [green]
    min: 50
    cap: 59.9
  - id: permit
    criteria: ["3.1"]
    min: 1
    factor: 0.5
units:
  - id: green
    title: فضای سبز
    weight: 10
    na_limit: 0.5
    criteria:
      - id: "1.1"
        title: سرانه
        type: number
        inputs:
          green_area: {title: مساحت, unit_label: مترمربع}
        formula: green_area / population
        target: {S: 7, L: 12}
        weight: 10
      - id: "1.2"
        title: پوشش
        type: percent
        weight: 10
        brackets:
          S: [{min: 80, fraction: 1}, {min: 60, fraction: 0.6}]
          L: [{min: 95, fraction: 1}, {min: 80, fraction: 0.6}]
  - id: clean
    title: پاکیزگی
    weight: 10
    criteria:
      - id: "2.1"
        title: بوستان‌ها
        type: scale
        scale: s3
        samples: {min: 2, aggregate: mean}
        weight: 10
      - id: "2.2"
        title: آموزش
        type: checklist
        items:
          plan: {title: برنامه, points: 2}
          budget: بودجه
        full_at: 3
        weight: 10
      - id: "3.1"
        title: مجوز
        type: yesno
        weight: 1
"""


def edit2(old: str, new: str, text: str = BASE2) -> str:
    """BASE2 with `old` (which must occur exactly once) replaced by `new`."""
    assert text.count(old) == 1, old
    return text.replace(old, new)
