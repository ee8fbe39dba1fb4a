"""Turning the report charts' plain data into what a web page can draw.

The charts and colours come from ``app.reports.charts`` (the same helpers as the PDF reports).
The PDF templates set widths and colours with ``style`` attributes; the app's
Content-Security-Policy (``style-src 'self'``) forbids those on web pages, so here each width
becomes a class ``w-0`` … ``w-100`` and each palette colour a class ``c0`` … ``c5`` (``cn`` for
none, ``craw`` for the raw bar), all defined in ``app.css``. A test checks that the stylesheet's
colours are the palette's.
"""

from __future__ import annotations

from functools import lru_cache

from flask import g

from app import workflow
from app.i18n import _, current_lang, format_score
from app.i18n import digits as digits
from app.reports import charts


def colour_class(colour: str | None) -> str:
    """The CSS class of a chart colour: ``c0`` (best band) … ``c5``, ``craw`` or ``cn``."""
    if colour in charts.PALETTE:
        return f"c{charts.PALETTE.index(colour)}"
    if colour == charts.RAW_COLOUR:
        return "craw"
    return "cn"


def web_chart(chart: dict) -> dict:
    """`chart` (from ``charts.bar_chart``) with the classes a web page draws it with."""
    rows = [{**row, "score_class": f"w-{row['score_pct']} {colour_class(row['colour'])}",
             "raw_class": f"w-{row['raw_pct']} craw"} for row in chart["rows"]]
    legend = [{**item, "class": colour_class(item["colour"])} for item in chart["legend"]]
    return {**chart, "rows": rows, "legend": legend}


lang = current_lang


@lru_cache(maxsize=8192)
def _formatted(value: float | None, lang: str) -> str:
    return format_score(value, lang)


def number(value: float | None) -> str:
    """A score as shown («۷۲٫۵», «۸۳٫۰», "—"), remembered: a table repeats the same few
    values."""
    return _formatted(value, lang())


def heat(score: float | None, band: str | None, colours: dict[str, str]) -> dict:
    """A cell of a score table, tinted by its band's colour, its figure already formatted."""
    if score is None:
        return {"score": None, "band": "", "class": "heat-cn", "text": number(None)}
    return {"score": score, "band": band or "", "text": number(score),
            "class": "heat-" + colour_class(colours.get(band or "", charts.NONE_COLOUR))}


def heat_row(units: dict, unit_ids, colours: dict[str, str]) -> list[tuple]:
    """The cells of one row of a unit score table as (class, text) pairs: a table of 50
    municipalities × 13 units draws 650 of them, so they are kept as small as can be."""
    classes = {band: "heat-" + colour_class(colour) for band, colour in colours.items()}
    cells = []
    for unit_id in unit_ids:
        unit = units.get(unit_id)  # a queries.UnitFigures, or None: not evaluated
        if unit is None:
            cells.append(("heat-cn", number(None)))
        else:
            cells.append((classes.get(unit.band, "heat-cn"), number(unit.score)))
    return cells


def status_titles() -> dict[str, str]:
    """State → its title (app.workflow's), translated once per request (a list repeats them
    on every row)."""
    language = lang()
    cached = g.get("_dashboard_status_titles")
    if cached is None or cached[0] != language:
        cached = (language, workflow.titles(language))
        g._dashboard_status_titles = cached
    return cached[1]


def status_title(status: str | None) -> str:
    return status_titles().get(status or workflow.NOT_PLANNED, status or "")


def signed(value: float | None) -> str:
    """A change such as «+۷٫۳» or «−۲» (empty for None); a true minus sign, not a hyphen."""
    if value is None:
        return ""
    text = format_score(abs(value), lang())
    if round(value, 1) > 0:
        return "+" + text
    if round(value, 1) < 0:
        return "−" + text
    return text


def band_items(bands: tuple[str, ...], colours: dict[str, str],
               mins: dict[str, float] | None = None) -> list[dict]:
    """The band legend of a score table: each band with its colour class and, given `mins`,
    the score it starts at (so the colour is never the only way to read a cell), best first."""
    items = []
    for band in bands:
        label = band
        if mins and band in mins:
            label = _("%(band)s: from %(min)s", band=band, min=number(mins[band]))
        items.append({"band": label, "class": colour_class(colours.get(band))})
    return items
