"""libyaml's parser reads every rubric first and the pure-Python one only reads again what it
refuses (app/rubric/reader.py): whatever the file, the nodes and the problems are the ones the
pure parser alone gives — on the shipped rubrics, on the test rubrics, and on a few hundred
broken copies of them (a character deleted, doubled or replaced, a line moved), seeded, so
that a failure is found again."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from app.rubric import reader
from app.rubric.reader import MappingNode, ScalarNode, SequenceNode, read_tree

from .base import BASE
from .base2 import BASE2

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "rubrics").rglob("*.yaml"))
#: characters that matter to a YAML scanner, and a Persian letter and digit
NOISE = list(":-[]{},'\"#&*!|>?%@`\t\n\r ") + ["ی", "۴", "\u200c", "\ufeff", "\x85", "\u2028",
                                               "\u2029", "\x00", "\x7f", "😀", "\r\n"]


def shape(node):
    """A node tree as plain data: kind, tag, text, quoting, and where each node starts and
    ends (line, column)."""
    if node is None:
        return None
    where = (node.start_mark.line, node.start_mark.column,
             node.end_mark.line if node.end_mark else None,
             node.end_mark.column if node.end_mark else None)
    if isinstance(node, ScalarNode):
        return ("scalar", str(node.tag), node.value, node.style or None, where)
    if isinstance(node, SequenceNode):
        return ("seq", str(node.tag), node.flow_style, where, [shape(n) for n in node.value])
    assert isinstance(node, MappingNode)
    return ("map", str(node.tag), node.flow_style, where,
            [(shape(k), shape(v)) for k, v in node.value])


def both(text: str, monkeypatch) -> tuple:
    """(what the app reads, what the pure parser alone reads) for `text`."""
    node, _name, problems = read_tree(text.encode("utf-8"))
    with monkeypatch.context() as patch:
        patch.setattr(reader, "FAST", False)
        pure_node, _name, pure_problems = read_tree(text.encode("utf-8"))
    return (shape(node), problems), (shape(pure_node), pure_problems)


def test_the_fast_parser_is_installed_and_used(monkeypatch):
    """pyproject.toml installs ruamel.yaml.clib; a file it reads is not read again."""
    assert reader.FAST
    calls = []
    real = reader._parse_nodes

    def counted(*args, **kwargs):
        calls.append(kwargs["pure"])
        return real(*args, **kwargs)

    monkeypatch.setattr(reader, "_parse_nodes", counted)
    node, _name, problems = read_tree(BASE.encode("utf-8"))
    assert node is not None and not problems
    assert calls == [False]
    calls.clear()
    _node, _name, problems = read_tree(b"a: [1, 2\n")
    assert [p.code for p in problems] == ["R004"]
    assert calls == [False, True]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_the_shipped_rubrics_read_the_same(path, monkeypatch):
    fast, pure = both(path.read_text(encoding="utf-8"), monkeypatch)
    assert fast == pure
    assert fast[0] is not None


def _mutants(text: str, seed: int, count: int):
    rng = random.Random(seed)
    lines = text.split("\n")
    for _ in range(count):
        at = rng.randrange(len(text))
        how = rng.choice(("delete", "insert", "replace", "double", "move line"))
        if how == "delete":
            yield how, text[:at] + text[at + 1:]
        elif how == "insert":
            yield how, text[:at] + rng.choice(NOISE) + text[at:]
        elif how == "replace":
            yield how, text[:at] + rng.choice(NOISE) + text[at + 1:]
        elif how == "double":
            yield how, text[:at] + text[at] + text[at:]
        else:
            moved = lines[:]
            line = moved.pop(rng.randrange(len(moved)))
            moved.insert(rng.randrange(len(moved) + 1), line)
            yield how, "\n".join(moved)


@pytest.mark.parametrize("name, text, seed", [("base", BASE, 17), ("base2", BASE2, 29)])
def test_broken_copies_read_the_same(name, text, seed, monkeypatch):
    refused = 0
    for number, (how, mutant) in enumerate(_mutants(text, seed, 150)):
        fast, pure = both(mutant, monkeypatch)
        assert fast == pure, f"{name} copy {number} ({how}): {mutant!r}"
        refused += bool(pure[1])
    assert refused >= 20, "the copies should exercise the parsers' refusals too"
