"""Fixtures of the authors' tests: a small rubric in two versions, the demo rubric's text, and
clients logged in as the demo author."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Evaluation, EvaluationCycle, Municipality
from tests.helpers import login

ROOT = Path(__file__).resolve().parents[2]
DEMO_RUBRIC = ROOT / "rubrics" / "municipal-units.yaml"

TINY_V1 = """\
id: tiny
version: "1"
title: شیوه‌نامهٔ آزمایشی
reference_tier: big
tiers:
  - {id: small, title: شهرهای کوچک, grades: [1, 6]}
  - {id: big, title: شهرهای بزرگ, grades: [7, 12]}
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
examples:
  - name: شهر نمونه
    municipality: {name: نمونه, grade: 3}
    answers: {"1.1": 60, "1.2": 1, "2.1": 10, "2.2": false}
    expect: {band: مناسب}
"""

#: the second version: a weight and a target changed, a criterion added, one allowed N/A
TINY_V2 = (TINY_V1.replace('version: "1"', 'version: "2"')
           .replace('weight: 2, target: {small: 80, big: 100}',
                    'weight: 3, target: {small: 70, big: 100}')
           .replace('      - {id: "2.2", title: ایستگاه دارد, type: yesno, weight: 1}\n',
                    '      - {id: "2.2", title: ایستگاه دارد, type: yesno, weight: 1}\n'
                    '      - {id: "2.3", title: مانور سالانه, type: yesno, weight: 1,'
                    ' allow_na: true}\n'))


def demo_text() -> str:
    return DEMO_RUBRIC.read_text(encoding="utf-8")


def _label(text: str) -> str:
    return re.search(r'^version: "([^"]+)"$', text, re.M).group(1)


#: the demo rubric's version label, and the one its second version takes ("1405.1" → "1405.2")
DEMO_LABEL = _label(DEMO_RUBRIC.read_text(encoding="utf-8"))
DEMO_V2_LABEL = DEMO_LABEL.rsplit(".", 1)[0] + "." + str(int(DEMO_LABEL.rsplit(".", 1)[1]) + 1)
#: what the second version changes, as the diff says it
DEMO_V2_CHANGE_FA = ("وزن شاخص ۱۲٫۳ «سهم درخواست‌های ۱۳۷ مختومه در مهلت» در همه رده‌ها از ۲۵ به "
                     "۳۰ تغییر کرد.")
DEMO_V2_CHANGE_EN = ("The weight of the criterion 12.3 «سهم درخواست‌های ۱۳۷ مختومه در مهلت» in "
                     "every tier changed from 25 to 30.")


def demo_v2() -> str:
    """The demo rubric's next version: five more points of weight on criterion 12.3 in every
    tier. No worked example answers 12.3, so they still agree and the text can be published."""
    text = demo_text().replace(f'version: "{DEMO_LABEL}"', f'version: "{DEMO_V2_LABEL}"')
    marker = '      - id: "12.3"\n'
    head, tail = text.split(marker, 1)
    body, rest = tail.split("weight: ", 1)
    value, rest = rest.split("\n", 1)
    assert value.strip().isdigit(), value
    return head + marker + body + f"weight: {int(value) + 5}\n" + rest


def evaluation(town: str, year: int = 1404) -> Evaluation:
    return db.session.scalar(
        select(Evaluation).join(Municipality).join(EvaluationCycle)
        .where(Municipality.name == town, EvaluationCycle.year == year))


@pytest.fixture
def author_client(client):
    login(client, "author")
    return client
