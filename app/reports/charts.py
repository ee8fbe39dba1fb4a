"""Bar charts as plain data, drawn with HTML/CSS flex bars by ``templates/reports/_charts.html``.

WeasyPrint does not shape Persian inside SVG ``<text>`` (letters come out reversed and
unjoined), so charts are rows of HTML: a label, then the adjusted bar in its band's colour
beside the raw bar in grey, each with its figure. Everything here is plain data (numbers,
strings, ``#rrggbb`` colours), usable by the reports and by the dashboard alike.

Note for web pages: the macro sets bar widths with ``style="width: …%"``; under the app's
Content-Security-Policy (``style-src 'self'``) a page would draw the same data with
``<meter>`` elements or width classes instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: from the best band to the worst: green through yellow to red
PALETTE = ("#1e7b45", "#4f9a3b", "#93b335", "#d9a520", "#e07b28", "#c23b2e")
RAW_COLOUR = "#9aa3ad"
NONE_COLOUR = "#d5d9de"


def band_colours(bands: Iterable[tuple[float, str]]) -> dict[str, str]:
    """Band label → colour, the highest band green and the lowest red, for any number of bands.

    `bands` are (min, label) pairs in any order.
    """
    ordered = [label for _min, label in sorted(bands, key=lambda band: -band[0])]
    if not ordered:
        return {}
    last = len(PALETTE) - 1
    steps = max(len(ordered) - 1, 1)
    return {label: PALETTE[round(index * last / steps)] for index, label in enumerate(ordered)}


def tint(colour: str, amount: float = 0.72) -> str:
    """`colour` mixed with white (for table cell backgrounds that keep text readable)."""
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    mixed = (round(c + (255 - c) * amount) for c in (red, green, blue))
    return "#" + "".join(f"{c:02x}" for c in mixed)


def percent(value: float | None) -> int:
    """A bar's width in whole percent, clamped to 0–100 (None → 0)."""
    if value is None:
        return 0
    return max(0, min(100, round(value)))


def bar(label: str, score: float | None, raw: float | None, band: str | None,
        colours: dict[str, str], *, note: str = "") -> dict:
    """One row of a chart: the adjusted score beside the raw one."""
    colour = colours.get(band or "", NONE_COLOUR)
    return {"label": label, "score": score, "raw": raw, "band": band or "",
            "score_pct": percent(score), "raw_pct": percent(raw),
            "colour": colour, "raw_colour": RAW_COLOUR, "evaluated": score is not None,
            "note": note}


def bar_chart(rows: Sequence[dict], colours: dict[str, str], *, title: str = "") -> dict:
    """A chart of `rows` (from :func:`bar`) on a 0–100 axis, with its band legend."""
    return {"title": title, "rows": list(rows), "ticks": [0, 20, 40, 60, 80, 100],
            "legend": [{"band": band, "colour": colour} for band, colour in colours.items()],
            "raw_colour": RAW_COLOUR}
