"""Text people typed, shown so that it reads as they typed it, in any interface language.

The Unicode bidirectional algorithm reorders a Latin or number run inside Persian text: after
Persian letters a date «2024-11-05» shows as «05-11-2024» and a phone number «021-8888-1234»
as «1234-8888-021» (the digits become Arabic numbers and the hyphens between them take the
Persian direction). An official report printing a wrong date is worse than no date. And a
Persian paragraph inside the English interface is laid out left to right, its full stop on the
wrong side.

:func:`isolate` (the Jinja filter ``bidi``) is the one way such text reaches a page or a PDF:

- every run of Latin letters, digits and the marks that join them in codes, dates, phone
  numbers, URLs and e-mail addresses (``2024-11-05``, ``021-8888-1234``, ``AB-12/3``,
  ``https://…``, ``name@example.ir``) and every Persian-digit run with such marks
  (``۱۴۰۳-۰۸-۱۵``) goes into a left-to-right isolate, ``<bdi dir="ltr">``, when the text is
  right-to-left (a plain number needs none);
- text whose own direction (its first strong letter) differs from the page's is wrapped in an
  isolate of its own direction: Persian in the English interface, English in the Persian one.

The characters are never changed: what is copied from the page is what was typed. Chromium and
WeasyPrint both honour ``<bdi dir>`` (tests/test_bidi.py looks at the rendered page and at the
PDF's page image).
"""

from __future__ import annotations

import re
import unicodedata

from markupsafe import Markup, escape

#: what a run is made of: Latin letters and digits, Persian and Arabic-Indic digits
_CORE = r"[A-Za-z0-9\u00C0-\u024F\u06F0-\u06F9\u0660-\u0669]"
#: what joins the pieces of a run (a date's «-», a URL's «://», an address's «@» …); a space
#: joins two Latin words («Green Plan»), never a Latin word and a Persian one
_JOIN = r"(?:[-./:@_+#&=?~,\\×]+| (?=[A-Za-z0-9]))"
_RUN = re.compile(rf"{_CORE}+(?:{_JOIN}+{_CORE}+)*%?")
_LETTER = re.compile(r"[A-Za-z\u00C0-\u024F]")
#: the marks that turn a number run around after Persian letters (a hyphen, a plus, a percent
#: sign …); a lone number, a decimal point, «,» or «/» between digits keep their order
_TURNS = re.compile(r"[-+@_#&=?~\\×%]")


def direction(text: str, default: str = "rtl") -> str:
    """The direction of `text` by its first strong character, as the Unicode algorithm finds
    it ("rtl" or "ltr"; digits, Persian ones included, are not strong), `default` when it has
    none."""
    for char in text or "":
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return default


def _isolated_runs(text: str) -> Markup:
    out, last = Markup(""), 0
    for match in _RUN.finditer(text):
        run = match.group()
        if not (_LETTER.search(run) or _TURNS.search(run)):
            continue  # a plain number («12», «12.5», «1403/08/15») keeps its order
        out += escape(text[last:match.start()])
        out += Markup('<bdi dir="ltr">{}</bdi>').format(run)
        last = match.end()
    return out + escape(text[last:])


def isolate(text: object, page: str | None = None, block: bool = False) -> Markup:
    """`text` (typed by a person, or a rubric's words) as safe HTML that keeps its runs in
    order on a page (or PDF) of direction `page` ("rtl"/"ltr"; the reader's language's when
    None). With `block`, the text fills an element of its own that says ``dir="auto"`` (a
    paragraph): only its runs are isolated, the element takes the text's direction (and its
    alignment) from the text."""
    if text is None:
        return Markup("")
    text = str(text)
    if page is None:
        from app.i18n import current_lang

        page = "rtl" if current_lang() == "fa" else "ltr"
    own = direction(text, page)
    body = _isolated_runs(text) if own == "rtl" else escape(text)
    if own != page and not block:
        return Markup('<bdi dir="{}">{}</bdi>').format(own, body)
    return body
