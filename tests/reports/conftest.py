"""Helpers for the report tests: the demo evaluations by town and year, and the poppler tools
(pdftotext, pdffonts, pdfinfo) that look at the PDFs we render."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Evaluation, EvaluationCycle, Municipality

# bidi controls pdftotext puts around runs, and ZWNJ (extraction keeps or drops it at random)
_MARKS = re.compile("[\u200c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def evaluation_of(town: str, year: int) -> Evaluation:
    return db.session.scalar(
        select(Evaluation).join(Municipality).join(EvaluationCycle)
        .where(Municipality.name == town, EvaluationCycle.year == year))


@pytest.fixture
def dastjerd(demo_ctx) -> Evaluation:
    """The demo's approved Dastjerd ۱۴۰۴ evaluation (the story of the seed article)."""
    return evaluation_of("دستجرد", 1404)


def normalise(text: str) -> str:
    """Text as pdftotext extracts it, made comparable: presentation forms folded (NFKC),
    direction marks and ZWNJ removed, whitespace collapsed."""
    text = _MARKS.sub("", unicodedata.normalize("NFKC", text))
    return re.sub(r"\s+", " ", text)


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return normalise(out.stdout.decode("utf-8"))


def pdf_pages(path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    return int(re.search(r"^Pages:\s+(\d+)", out.stdout, re.M).group(1))


def pdf_fonts(path: Path) -> list[dict]:
    """pdffonts' table: name, embedded, subset."""
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True)
    fonts = []
    for line in out.stdout.splitlines()[2:]:
        parts = line.split()
        # name type… encoding emb sub uni object-id generation
        fonts.append({"name": parts[0], "embedded": parts[-5] == "yes",
                      "subset": parts[-4] == "yes"})
    return fonts
