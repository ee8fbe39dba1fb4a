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
from urllib.parse import urlencode

from flask import g, url_for
from markupsafe import Markup, escape

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


def number(value: float | None, language: str | None = None) -> str:
    """A score as shown («۷۲٫۵», «۸۳٫۰», "—"), remembered: a table repeats the same few
    values (`language`: the reader's, when the caller has asked for it already)."""
    return _formatted(value, language or lang())


def heat(score: float | None, band: str | None, colours: dict[str, str]) -> dict:
    """A cell of a score table, tinted by its band's colour, its figure already formatted."""
    if score is None:
        return {"score": None, "band": "", "class": "heat-cn", "text": number(None)}
    return {"score": score, "band": band or "", "text": number(score),
            "class": "heat-" + colour_class(colours.get(band or "", charts.NONE_COLOUR))}


@lru_cache(maxsize=8192)
def _heat_cell(css_class: str, value: float | None, lang: str) -> str:
    return f'<td class="num heat {escape(css_class)}">{escape(_formatted(value, lang))}</td>'


def heat_row(units: dict, unit_ids, colours: dict[str, str]) -> Markup:
    """The cells of one row of a unit score table, as HTML: a table of 50 municipalities ×
    13 units draws 650 of them, which written cell by cell in the template took a third of
    the ranking page's time (and a table repeats the same few cells)."""
    return heat_cells(colours, lang())(units, unit_ids)


def heat_cells(colours: dict[str, str], language: str):
    """:func:`heat_row` for many rows of one table: the bands' classes and the reader's
    language found once, for the table, not once per row."""
    classes = {band: "heat-" + colour_class(colour) for band, colour in colours.items()}
    empty = _heat_cell("heat-cn", None, language)

    def row(units: dict, unit_ids) -> Markup:
        cells = []
        for unit_id in unit_ids:
            unit = units.get(unit_id)  # a queries.UnitFigures, or None: not evaluated
            cells.append(empty if unit is None else
                         _heat_cell(classes.get(unit.band, "heat-cn"), unit.score, language))
        return Markup("".join(cells))

    return row


def options(choices, selected) -> Markup:
    """The ``<option>`` elements of a filter's select, as HTML: `choices` are values shown
    as they are, or (value, text) pairs (a national overview lists some 200 counties, which
    a template loop took milliseconds to write)."""
    return _options(tuple(choices), selected)


@lru_cache(maxsize=256)
def _options(choices: tuple, selected) -> Markup:
    pairs = ((c, c) if isinstance(c, str) else c for c in choices)
    return Markup("".join(
        f'<option value="{escape(value)}"{" selected" if value == selected else ""}>'
        f'{escape(text)}</option>' for value, text in pairs))


def id_links(endpoint: str, key: str):
    """A function giving ``url_for(endpoint, **{key: id})`` for any id at the cost of one
    ``url_for``: the URL of a sentinel id with the id put in its place (a page of 50 rows
    linked three ways asked for 150 URLs)."""
    sentinel = "987654321"
    url = url_for(endpoint, **{key: int(sentinel)})
    assert url.count(sentinel) == 1, url
    head, tail = url.split(sentinel)
    return lambda value: f"{head}{int(value)}{tail}"


#: the characters Werkzeug leaves as they are in a query string's values (its ``_urlencode``)
QUERY_SAFE = "!$'()*,/:;?@"


def query_url(endpoint: str, args: dict, **path) -> str:
    """``url_for(endpoint, **path, **args)``, `args` being the query string's (text or
    numbers, none of them a variable of the route): the route's URL made once per request,
    the query string added here as Werkzeug writes it (an overview links itself some twenty
    ways, and each ``url_for`` cost ~0.1 ms)."""
    bases = g.get("_dashboard_urls")
    if bases is None:
        bases = g._dashboard_urls = {}
    key = (endpoint, *path.items())
    base = bases.get(key)
    if base is None:
        base = bases[key] = url_for(endpoint, **path)
        assert "?" not in base, base
    # as text before they are remembered (1 and True are one key to a cache, not one value)
    items = tuple((name, value if isinstance(value, str) else str(value))
                  for name, value in args.items() if value is not None)
    return f"{base}?{_query_string(items)}" if items else base


@lru_cache(maxsize=4096)
def _query_string(items: tuple) -> str:
    """`items` as a query string, remembered (pages repeat their links' arguments, and
    quoting Persian text costs)."""
    return urlencode(items, safe=QUERY_SAFE)


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


def signed(value: float | None, language: str | None = None) -> str:
    """A change such as «+۷٫۳» or «−۲» (empty for None); a true minus sign, not a hyphen
    (`language`: the reader's, when the caller has asked for it already)."""
    if value is None:
        return ""
    text = format_score(abs(value), language or lang())
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


def comparison_links(f, provinces: list[tuple[int, str]]) -> list[dict]:
    """The links to the province comparison PDF of the cycle shown, one per province in view
    (the chosen one, else each the user may see: 31 for the country), their text translated
    once."""
    if not f.year:
        return []
    title = _("Province comparison of %(year)s (PDF)", year=digits(f.year))
    several = len(provinces) > 1
    return [{"href": query_url("reports.cycle_pdf", {"province": name}, year=f.year),
             "text": f"{title} — {name}" if several else title}
            for pid, name in provinces if f.province_id is None or f.province_id == pid]


def add_marks(rows: list[dict]) -> None:
    """Each row's marks as HTML, their texts translated once for the page (a translation
    costs more than the rest of a row): a score lowered by a verdict rule
    (``row["gated_mark"]``, with the score before the rules) and, for the ranking's rows, an
    evaluation ranked before all its criteria are answered (``row["unfinished_badge"]``)."""
    lowered, rule = _("Lowered by a verdict rule; before the rules: %(score)s"), _("rule")
    so_far = _("Ranked on the answers given so far")
    unfinished = _("unfinished: %(answered)s of %(applicable)s answered")
    language = lang()
    for row in rows:
        gated = row["ungated_score"] is not None and row["ungated_score"] != row["score"]
        if gated:
            title = lowered % {"score": _formatted(row["ungated_score"], language)}
            row["gated_mark"] = Markup(f'<abbr class="dash-gated" title="{escape(title)}">'
                                       f'{escape(rule)}</abbr>')
        else:
            row["gated_mark"] = ""
        if "complete" in row and not row["complete"]:
            text = unfinished % {"answered": digits(row["answered_count"], language),
                                 "applicable": digits(row["applicable_count"], language)}
            row["unfinished_badge"] = Markup(
                f' <span class="badge dash-unfinished" title="{escape(so_far)}">'
                f'{escape(text)}</span>')
        else:
            row["unfinished_badge"] = ""


def overview_rows(rows: list[dict], statuses: dict[str, str], *, several: bool, comma: str,
                  t_evaluation: str, t_pdf: str) -> Markup:
    """The ``<tr>`` rows of the overview's table, as HTML: written by a template loop, 50
    rows of eleven cells were the largest part of the page's time. `statuses` are the
    states' titles (:func:`status_titles`), `several` whether the province column is shown,
    `comma` what joins the inspectors' names, `t_evaluation` and `t_pdf` the links' texts.
    Every value is escaped here as the template would."""
    dash = "—"
    links = f'">{escape(t_evaluation)}</a> <a href="'
    pdf_end = f'">{escape(t_pdf)}</a>'
    out = []
    for row in rows:
        status = row["status"] or "none"
        heat = row["heat"]
        cells = [f'<tr data-municipality="{escape(row["municipality_id"])}">'
                 f'<th scope="row"><a href="{escape(row["href"])}">{escape(row["name"])}</a></th>']
        if several:
            cells.append(f"<td>{escape(row['province'])}</td>")
        cells.append(f"<td>{escape(row['county'] or dash)}</td>"
                     f'<td class="dash-tier">{escape(row["tier_title"] or dash)}</td>'
                     f'<td><span class="badge status-{escape(status)}">'
                     f"{escape(statuses[status])}</span>")
        if row["progress"]:
            cells.append(f'<span class="muted dash-progress">{escape(row["progress"])}</span>')
        cells.append(f'</td><td class="num heat {escape(heat["class"])}">{escape(heat["text"])}')
        if row["gated"]:
            cells.append(f" {escape(row['gated_mark'])}")
        cells.append(f'</td><td class="num">{escape(row["raw_text"])}</td>'
                     f"<td>{escape(row['band'] or dash)}</td>"
                     f"<td>{escape(comma.join(row['inspectors']) or dash)}</td>"
                     f'<td class="num">{escape(row["updated_text"])}</td><td class="dash-links">')
        if row["viewable"]:
            cells.append(f'<a href="{escape(row["evaluation_href"])}{links}'
                         f'{escape(row["pdf_href"])}{pdf_end}')
        cells.append("</td></tr>\n")
        out.append("".join(cells))
    return Markup("".join(out))


def ranking_rows(rows: list[dict], statuses: dict[str, str], *, several: bool,
                 in_tier: str) -> Markup:
    """The ``<tr>`` rows of the peer ranking's table, as HTML, each peer group headed by its
    tier (and province, when `several` are shown) and its size (`in_tier`, the translated
    «%(n)s in this tier»): a template loop took most of the page's time. Every value is
    escaped here as the template would."""
    dash = "—"
    out = []
    group = None
    for row in rows:
        texts = row["texts"]
        if (row["province"], row["tier_id"]) != group:
            group = (row["province"], row["tier_id"])
            place = f" — {escape(row['province'])}" if several else ""
            size = escape(in_tier % {"n": digits(row["peers"])})
            out.append(f'<tr class="dash-group"><th scope="rowgroup" colspan="9">'
                       f'{escape(row["tier_title"])}{place} <span class="muted">({size})'
                       f"</span></th></tr>\n")
        status = ""
        if not workflow.is_final_state(row["status"]):
            status = (f' <span class="badge status-{escape(row["status"])}">'
                      f"{escape(statuses[row['status']])}</span>")
        gated = f" {escape(row['gated_mark'])}" if row["gated_mark"] else ""
        change = row["change"]
        if change is not None:
            way = "up" if change > 0 else "down" if change < 0 else "same"
            change_cell = (f'<span class="dash-change {way}">{escape(row["change_text"])}'
                           f'</span> <span class="muted">({escape(texts["previous_score"])})'
                           f"</span>")
        else:
            change_cell = dash
        out.append(
            f'<tr data-municipality="{escape(row["municipality_id"])}" '
            f'data-tier="{escape(row["tier_id"])}">'
            f'<td class="num"><strong>{escape(texts["rank"])}</strong> '
            f'<span class="muted">{escape(row["of_text"])}</span></td>'
            f'<th scope="row"><a href="{escape(row["href"])}">{escape(row["name"])}</a>'
            f'{status}{escape(row["unfinished_badge"])}</th>'
            f'<td class="num heat heat-{escape(row["colour_class"])}">'
            f'<strong>{escape(texts["score"])}</strong>{gated}</td>'
            f"<td>{escape(row['band'] or dash)}</td>"
            f'<td class="num">{escape(texts["raw_score"])}</td>'
            f'<td class="num">{escape(texts["raw_rank"])}</td>'
            f'<td class="num">{escape(texts["tier_average"])}</td>'
            f'<td class="num">{escape(texts["province_average"])}</td>'
            f'<td class="num">{change_cell}</td></tr>\n')
    return Markup("".join(out))
