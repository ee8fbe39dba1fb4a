"""How fast hostile YAML is refused, against loading the sample rubric in the same run.

    .venv/bin/python bench/yaml_bench.py

The loader caps size, nesting depth and the number of YAML items and refuses anchors and
aliases before building anything; this prints how long each refusal takes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.rubric import check_rubric  # noqa: E402


def timed(text: str, repeat: int = 3) -> tuple[float, list[str]]:
    best, codes = float("inf"), []
    for _ in range(repeat):
        start = time.perf_counter()
        _, problems = check_rubric(text)
        best = min(best, time.perf_counter() - start)
        codes = sorted({p.code for p in problems})
    return best * 1000, codes


def main() -> None:
    sample = (ROOT / "rubrics/municipal-units.yaml").read_text(encoding="utf-8")
    laughs = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    laughs += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    cases = {
        "sample rubric (baseline)": sample,
        "billion laughs": "\n".join(laughs) + "\n",
        "5,000 nested brackets": "a: " + "[" * 5000 + "]" * 5000,
        "250,000 items (500 KB)": "a: [" + "0," * 250_000 + "0]",
        "oversized file (600 KB)": "a: " + "x" * 600_000,
    }
    timed(sample)  # warm up the parser's code paths
    base, _ = timed(sample)
    for name, text in cases.items():
        ms, codes = timed(text)
        print(f"{name:28s} {ms:8.1f} ms  ({ms / base:5.1f}× the sample)  {' '.join(codes)}")


if __name__ == "__main__":
    main()
