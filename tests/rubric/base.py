"""A small valid rubric that the error tests break one line at a time."""

#: line numbers matter: the tests assert the line and column of every problem
BASE = """\
id: demo
version: "1"
title: نمونه
tiers:
  - id: S
    grades: [1, 4]
  - id: L
    grades: [5, 12]
bands:
  - {min: 50, label: خوب}
  - {min: 0, label: ضعیف}
scales:
  s3: {0: هیچ, 1: ناقص, 2: کامل}
units:
  - id: waste
    title: پسماند
    weight: {S: 14, L: 10}
    criteria:
      - id: "1.1"
        title: پوشش
        type: percent
        weight: 25
        target: {S: 90, L: 98}
      - id: "1.2"
        title: سایت دفن
        type: scale
        scale: s3
        weight: 10
      - id: "1.3"
        title: زمان
        type: number
        better: lower
        target: 8
        floor: 20
        allow_na: true
        weight: 5
      - id: "1.4"
        title: مصوبه
        type: yesno
        weight: 5
"""


def edit(old: str, new: str, text: str = BASE) -> str:
    """BASE with `old` (which must occur exactly once) replaced by `new`."""
    assert text.count(old) == 1, old
    return text.replace(old, new)
