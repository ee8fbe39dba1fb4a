"""Mixed Persian and Latin text laid out so that it reads right: rubric lines left-to-right with
each Persian value isolated, and Persian messages right-to-left with each piece of code isolated.

Without this the Unicode bidirectional algorithm moves the quotes and guillemets at the ends of
a Persian value to the wrong side of a YAML line (``title: "قبولی: «اصلی»"``), and scrambles a
fragment such as ``id: "1.10"`` or ``brackets.M[1]`` inside a Persian sentence. ``<bdi>`` gives
each piece its own direction (the first strong letter decides) without changing the text, so
what is copied from the page is exactly what is in the file.

Pure: strings in, :class:`markupsafe.Markup` out.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

#: letters of the Arabic script (Persian included), in their Unicode blocks
_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
#: a run of code in a sentence: Latin letters, digits and the punctuation of YAML and formulas,
#: beginning and ending with a letter, digit, quote or bracket
_CODE = re.compile(r"""[A-Za-z0-9_"'\[{(][A-Za-z0-9_ .:"'\[\]{}()\-+*/=,<>…]*"""
                   r"""[A-Za-z0-9_"'\]})…]|[A-Za-z0-9_]""")
_LATIN = re.compile(r"[A-Za-z0-9]")


def _isolate(text: str, direction: str | None = None) -> Markup:
    attribute = Markup(f' dir="{direction}"') if direction else Markup("")
    return Markup("<bdi{}>{}</bdi>").format(attribute, text)


def yaml_segments(line: str) -> list[tuple[str, bool]]:
    """The pieces of one YAML line: (text, whether it is a value or comment to isolate).

    Quoted strings, plain scalars and comments are values; indentation, ``- ``, ``key:``
    separators and flow punctuation (``{ } [ ] ,``) are structure. Only the text matters here,
    so a line that is not valid YAML is split the same way and shown unchanged."""
    pieces: list[tuple[str, bool]] = []
    depth, i, n = 0, 0, len(line)

    def structure(text: str) -> None:
        if pieces and not pieces[-1][1]:
            pieces[-1] = (pieces[-1][0] + text, False)
        else:
            pieces.append((text, False))

    while i < n:
        ch = line[i]
        if ch in "\"'":
            end = _quoted_end(line, i)
            pieces.append((line[i:end], True))
            i = end
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            mark = i + 1
            while mark < n and line[mark] in " \t":
                mark += 1
            structure(line[i:mark])
            if mark < n:
                pieces.append((line[mark:], True))
            break
        elif ch in "{[":
            depth += 1
            structure(ch)
            i += 1
        elif ch in "}]":
            depth = max(0, depth - 1)
            structure(ch)
            i += 1
        elif (ch == "," and depth) or ch in " \t" or (
                ch == ":" and (i + 1 == n or line[i + 1] in " \t")) or (
                ch == "-" and (i + 1 == n or line[i + 1] in " \t") and not line[:i].strip(" -")):
            structure(ch)
            i += 1
        else:
            end = _plain_end(line, i, depth)
            pieces.append((line[i:end], True))
            i = end
    return pieces


def _quoted_end(line: str, start: int) -> int:
    quote, i = line[start], start + 1
    while i < len(line):
        if quote == '"' and line[i] == "\\":
            i += 2
            continue
        if line[i] == quote:
            if quote == "'" and line[i + 1:i + 2] == "'":
                i += 2
                continue
            return i + 1
        i += 1
    return len(line)


def _plain_end(line: str, start: int, depth: int) -> int:
    """Where a plain scalar that starts at `start` ends (trailing spaces left out)."""
    i = start
    while i < len(line):
        ch = line[i]
        if ch == ":" and (i + 1 == len(line) or line[i + 1] in " \t"):
            break
        if ch == "#" and line[i - 1] in " \t":
            break
        if depth and ch in ",{}[]":
            break
        i += 1
    while i > start and line[i - 1] in " \t":
        i -= 1
    return i


def yaml_line(line: str) -> Markup:
    """One rubric line for a left-to-right listing: every Persian value in its own isolate."""
    out = Markup("")
    for text, value in yaml_segments(line):
        out += _isolate(text) if value and _ARABIC.search(text) else escape(text)
    return out


def sentence(text: str, lang: str) -> Markup:
    """A message for the page: in Persian every run of code (keys, ids, formulas, a fix such
    as ``id: "1.10"``) in a left-to-right isolate; in English the text as it is."""
    if lang != "fa":
        return escape(text)
    out, last = Markup(""), 0
    for match in _CODE.finditer(text):
        if not _LATIN.search(match.group()):
            continue
        out += escape(text[last:match.start()]) + _isolate(match.group(), "ltr")
        last = match.end()
    return out + escape(text[last:])
