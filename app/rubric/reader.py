"""Reading a YAML (or JSON) file safely into a tree of nodes that keep their positions.

Stages, each one refusing the file before the next does any real work:

1. bytes, capped in size;
2. UTF-8 text (a BOM is fine), else the position of the first bad byte;
3. no tab in any line's indentation (every such line is reported);
4. a stream of parser events, counted and with the nesting depth watched, refusing anchors,
   aliases and tags — nothing is built yet, so an alias bomb costs nothing;
5. the node tree (ruamel.yaml nodes, built from those same events), never Python objects: the
   validator sees every scalar's source text, whether it was quoted, and its line and column.

Two parsers, never used to construct objects. libyaml's (ruamel.yaml.clib, about 4 µs an
event) reads a file first; the pure-Python parser of ``YAML(typ="safe", pure=True)``, whose
messages, lines and columns are the ones the guide documents, reads it again when libyaml finds
any problem, and reads alone a file holding what the two read differently (`_PURE_ONLY`, an
empty value). So a file is refused exactly as the pure parser refuses it, and read into exactly
its nodes: tests/rubric/test_two_parsers.py compares them on thousands of broken copies of the
test rubrics. The pure parser costs about 60 µs an event, so the event cap (50,000, some ten
times a large rubric) also caps the time a hostile file can take (about 3 s).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.parser import Parser as PureParser

from app.rubric.errors import RubricProblem

DEFAULT_MAX_BYTES = 512 * 1024
DEFAULT_MAX_EVENTS = 50_000
DEFAULT_MAX_DEPTH = 30

_ALLOWED_TAGS = {"tag:yaml.org,2002:str"}
_CORE = "tag:yaml.org,2002:"

__all__ = [
    "DEFAULT_MAX_BYTES", "DEFAULT_MAX_DEPTH", "DEFAULT_MAX_EVENTS", "MappingNode", "Node",
    "ScalarNode", "SequenceNode", "kind_of", "parse_nodes", "position", "read_tree",
]


def _yaml(*, pure: bool = True) -> YAML:
    return YAML(typ="safe", pure=pure)


#: characters the two parsers read differently (YAML 1.1's line breaks, tabs where the pure
#: parser refuses them, a byte-order mark after the start): a file holding one is read by the
#: pure parser alone, as is one whose last line has no line break (the parsers end its
#: collections at different places)
_PURE_ONLY = re.compile("[\t\ufeff\x85\u2028\u2029]")

#: libyaml's parser reads first (pyproject.toml installs ruamel.yaml.clib; without it, ruamel
#: gives its pure parser even when asked for the other, and that one reads alone)
FAST = _yaml(pure=False).Parser is not PureParser


# --- bytes and text ---------------------------------------------------------------------------

def read_bytes(source: str | bytes | os.PathLike, max_bytes: int,
               problems: list[RubricProblem], filename: str | None = None
               ) -> tuple[bytes | str | None, str]:
    """The raw content and the display name; a problem is appended to `problems` instead.

    `source` is a path (``pathlib.Path`` or another ``os.PathLike``), or the content as
    ``bytes`` or ``str``. A ``str`` is always content, never a file name: text that came from
    a user must not be able to make the server read a file.
    """
    if isinstance(source, os.PathLike):
        path = Path(source)
        name = filename or str(source)
        try:
            size = path.stat().st_size
            if size > max_bytes:
                problems.append(RubricProblem("R001", 1, 1, {"size": size, "limit": max_bytes}))
                return None, name
            with path.open("rb") as handle:
                data = handle.read(max_bytes + 1)
        except OSError as exc:
            problems.append(RubricProblem("R012", 1, 1,
                                          {"reason": exc.strerror or type(exc).__name__}))
            return None, name
        if len(data) > max_bytes:  # the file grew while we looked
            problems.append(RubricProblem("R001", 1, 1, {"size": len(data), "limit": max_bytes}))
            return None, name
        return data, name
    name = filename or "<text>"
    size = len(source) if isinstance(source, bytes) else len(source.encode("utf-8", "replace"))
    if size > max_bytes:
        problems.append(RubricProblem("R001", 1, 1, {"size": size, "limit": max_bytes}))
        return None, name
    return source, name


def decode(data: bytes | str, problems: list[RubricProblem]) -> str | None:
    if isinstance(data, str):
        return data[1:] if data.startswith("\ufeff") else data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start
        line_start = data.rfind(b"\n", 0, start) + 1
        line = data.count(b"\n", 0, start) + 1
        before = data[line_start:start]
        if line == 1 and before.startswith(b"\xef\xbb\xbf"):
            before = before[3:]
        col = len(before.decode("utf-8", "replace")) + 1
        problems.append(RubricProblem("R002", line, col, {"byte": f"0x{data[start]:02X}"}))
        return None


def check_tabs(text: str, problems: list[RubricProblem]) -> None:
    """Report every line whose indentation holds a tab."""
    for number, line in enumerate(text.splitlines(), start=1):
        indent = len(line) - len(line.lstrip(" \t"))
        position = line.find("\t", 0, indent)
        if position >= 0 and line.strip():
            problems.append(RubricProblem("R003", number, position + 1))


# --- events and nodes -------------------------------------------------------------------------

def _mark(mark) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


class _PureNeeded(Exception):
    """Raised on libyaml's events where the pure parser would place a node elsewhere."""


def parse_nodes(text: str, problems: list[RubricProblem], *,
                max_events: int = DEFAULT_MAX_EVENTS,
                max_depth: int = DEFAULT_MAX_DEPTH) -> Node | None:
    """The document's root node, or None (with problems appended).

    Read by libyaml's parser; if that finds any problem, read again by the pure one, and its
    problems are the ones reported (see the module's docstring).
    """
    if FAST and text.endswith("\n") and _PURE_ONLY.search(text) is None:
        found: list[RubricProblem] = []
        try:
            root = _parse_nodes(text, found, max_events, max_depth, pure=False)
        except Exception:  # noqa: BLE001 - _PureNeeded, or whatever else libyaml trips on
            pass  # the pure parser reads it again and says what is wrong
        else:
            if not found:
                return root
    return _parse_nodes(text, problems, max_events, max_depth, pure=True)


def _parse_nodes(text: str, problems: list[RubricProblem], max_events: int, max_depth: int,
                 *, pure: bool) -> Node | None:
    """One pass over one parser's events both checks the limits and builds the nodes."""
    # a run of opening brackets makes the scanner look far ahead (quadratic) before the
    # parser reports the first of them: refuse it before parsing
    run = re.search(r"[\[{](?:\s*[\[{]){" + str(max_depth) + "}", text)
    if run is not None:
        at = run.end() - 1  # the first bracket past the limit
        line = text.count("\n", 0, at) + 1
        col = at - (text.rfind("\n", 0, at) + 1) + 1
        problems.append(RubricProblem("R007", line, col, {"limit": max_depth}))
        return None
    yaml = _yaml(pure=pure)
    resolver = yaml.resolver  # the same YAML 1.2 rules for both parsers' scalars
    resolved: dict = {}  # (text, implicit) → tag: a rubric repeats its keys hundreds of times
    ok = True
    depth = 0
    documents = 0
    root: Node | None = None
    # each frame: [collection node, key waiting for its value (mappings)]
    stack: list[list] = []

    def attach(node: Node) -> None:
        nonlocal root
        if not stack:
            root = node
            return
        frame = stack[-1]
        if isinstance(frame[0], MappingNode):
            if frame[1] is None:
                frame[1] = node
            else:
                frame[0].value.append((frame[1], node))
                frame[1] = None
        else:
            frame[0].value.append(node)

    try:
        for count, event in enumerate(yaml.parse(text), start=1):
            if count > max_events:
                line, col = _mark(event.start_mark)
                problems.append(RubricProblem("R008", line, col, {"limit": max_events}))
                return None
            if isinstance(event, DocumentStartEvent):
                documents += 1
                if documents == 2:
                    line, col = _mark(event.start_mark)
                    problems.append(RubricProblem("R010", line, col))
                    ok = False
                continue
            if isinstance(event, AliasEvent):
                line, col = _mark(event.start_mark)
                problems.append(RubricProblem("R006", line, col, {"name": event.anchor}))
                ok = False
                continue
            if isinstance(event, NodeEvent) and event.anchor is not None:
                line, col = _mark(event.start_mark)
                problems.append(RubricProblem("R005", line, col, {"name": event.anchor}))
                ok = False
            tag = getattr(event, "tag", None)
            if isinstance(event, (ScalarEvent, CollectionStartEvent)) and tag is not None:
                if str(tag) not in _ALLOWED_TAGS:
                    line, col = _mark(event.start_mark)
                    shown = str(tag)
                    if shown.startswith(_CORE):
                        shown = "!!" + shown[len(_CORE):]
                    problems.append(RubricProblem("R011", line, col, {"tag": shown}))
                    ok = False
                    tag = None
            if documents > 1 or not ok:
                # keep checking the limits and reporting, but build nothing more
                if isinstance(event, CollectionStartEvent):
                    depth += 1
                    if depth > max_depth:
                        line, col = _mark(event.start_mark)
                        problems.append(RubricProblem("R007", line, col, {"limit": max_depth}))
                        return None
                elif isinstance(event, CollectionEndEvent):
                    depth -= 1
                continue
            if isinstance(event, ScalarEvent):
                if not pure and not event.value and not event.style:
                    raise _PureNeeded  # an empty value: the parsers place it differently
                if tag is None:
                    key = (event.value, event.implicit)
                    tag = resolved.get(key)
                    if tag is None:
                        tag = resolved[key] = resolver.resolve(ScalarNode, *key)
                attach(ScalarNode(tag, event.value, event.start_mark, event.end_mark,
                                  style=event.style or None))
            elif isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > max_depth:
                    line, col = _mark(event.start_mark)
                    problems.append(RubricProblem("R007", line, col, {"limit": max_depth}))
                    return None
                if isinstance(event, MappingStartEvent):
                    node = MappingNode(tag or _CORE + "map", [], event.start_mark, None,
                                       flow_style=event.flow_style)
                else:
                    node = SequenceNode(tag or _CORE + "seq", [], event.start_mark, None,
                                        flow_style=event.flow_style)
                attach(node)
                stack.append([node, None])
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
                stack.pop()[0].end_mark = event.end_mark
    except MarkedYAMLError as exc:
        line, col = _mark(exc.problem_mark or exc.context_mark)
        problems.append(RubricProblem("R004", line, col,
                                      {"problem": exc.problem or exc.context or "?"}))
        return None
    except YAMLError as exc:  # the reader's "unacceptable character" and the like
        position = getattr(exc, "position", None)
        line, col = 1, 1
        if isinstance(position, int):
            line = text.count("\n", 0, position) + 1
            col = position - (text.rfind("\n", 0, position) + 1) + 1
        problem = (str(exc).splitlines() or ["?"])[0]
        problems.append(RubricProblem("R004", line, col, {"problem": problem}))
        return None
    except (RecursionError, MemoryError, ValueError, TypeError) as exc:  # never a traceback
        problems.append(RubricProblem("R004", 1, 1, {"problem": type(exc).__name__}))
        return None
    if not ok:
        return None
    if root is None or (isinstance(root, ScalarNode) and kind_of(root) == "null"):
        problems.append(RubricProblem("R009", 1, 1))
        return None
    return root


def read_tree(source, *, filename: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
              max_events: int = DEFAULT_MAX_EVENTS, max_depth: int = DEFAULT_MAX_DEPTH,
              json_tabs: bool = False) -> tuple[Node | None, str, list[RubricProblem]]:
    """All reading stages: (root node or None, display name, problems)."""
    problems: list[RubricProblem] = []
    data, name = read_bytes(source, max_bytes, problems, filename)
    if data is None:
        return None, name, problems
    text = decode(data, problems)
    if text is None:
        return None, name, problems
    if json_tabs and text.lstrip().startswith(("{", "[")):
        # JSON is indented with tabs as often as not; a raw tab is never valid inside a JSON
        # string, so turning tabs into spaces changes nothing else (and keeps every column)
        text = text.replace("\t", " ")
    check_tabs(text, problems)
    if problems:
        # report the tabs, then read on as if they were spaces, so that every other problem
        # of the file is reported at once too (the guide promises all problems, not the first)
        text = _untabbed(text, max_events, max_depth)
    node = parse_nodes(text, problems, max_events=max_events, max_depth=max_depth)
    return node, name, problems


def _untabbed(text: str, max_events: int, max_depth: int) -> str:
    """`text` with the tabs of each line's indentation as spaces: the first tab width (2, 4 or
    8) with which the file reads as YAML, else 2."""
    def expand(width: int) -> str:
        lines = []
        for line in text.split("\n"):
            indent = len(line) - len(line.lstrip(" \t"))
            lines.append(line[:indent].expandtabs(width) + line[indent:])
        return "\n".join(lines)

    for width in (2, 4, 8):
        candidate = expand(width)
        trial: list[RubricProblem] = []
        parse_nodes(candidate, trial, max_events=max_events, max_depth=max_depth)
        if not trial:
            return candidate
    return expand(2)


# --- looking at nodes -------------------------------------------------------------------------

def position(node: Node) -> tuple[int, int]:
    """1-based (line, column) where `node` starts."""
    return _mark(node.start_mark)


def kind_of(node: Node) -> str:
    """"mapping", "list", or for a scalar how YAML resolved it: str, int, float, bool, null."""
    if isinstance(node, MappingNode):
        return "mapping"
    if isinstance(node, SequenceNode):
        return "list"
    tag = str(node.tag)
    if node.style not in (None, "") or not tag.startswith(_CORE):
        return "str"
    kind = tag[len(_CORE):]
    return kind if kind in ("int", "float", "bool", "null") else "str"
