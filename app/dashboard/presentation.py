"""Turning the report charts' plain data into what a web page can draw.

The charts and colours come from ``app.reports.charts`` (the same helpers as the PDF reports).
The PDF templates set widths and colours with ``style`` attributes; the app's
Content-Security-Policy (``style-src 'self'``) forbids those on web pages, so here each width
becomes a class ``w-0`` … ``w-100`` and each palette colour a class ``c0`` … ``c5`` (``cn`` for
none, ``craw`` for the raw bar), all defined in ``app.css``. A test checks that the stylesheet's
colours are the palette's.
"""

from __future__ import annotations

from app.i18n import _, current_lang, format_number, persian_digits
from app.reports import charts

STATUS_NONE = "none"


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


def heat(score: float | None, band: str | None, colours: dict[str, str]) -> dict:
    """A cell of a score table, tinted by its band's colour."""
    if score is None:
        return {"score": None, "band": "", "class": "heat-cn"}
    return {"score": score, "band": band or "",
            "class": "heat-" + colour_class(colours.get(band or "", charts.NONE_COLOUR))}


def status_title(status: str | None) -> str:
    return {
        "draft": _("Draft"), "submitted": _("Submitted"),
        "returned": _("Returned for changes"), "approved": _("Approved"),
    }.get(status or "", _("Not planned"))


def digits(value: object) -> str:
    return persian_digits(value) if current_lang() == "fa" else str(value)


def signed(value: float | None) -> str:
    """A change such as «+۷٫۳» or «−۲» (empty for None); a true minus sign, not a hyphen."""
    if value is None:
        return ""
    text = format_number(abs(value), 1, current_lang())
    if round(value, 1) > 0:
        return "+" + text
    if round(value, 1) < 0:
        return "−" + text
    return text


def band_items(bands: tuple[str, ...], colours: dict[str, str]) -> list[dict]:
    """The band legend of a score table: each band with its colour class, best first."""
    return [{"band": band, "class": colour_class(colours.get(band))} for band in bands]
