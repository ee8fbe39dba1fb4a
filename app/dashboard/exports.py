"""The dashboard's files: the overview and all answers of a cycle as CSV or XLSX, and a ZIP of
every approved report of a cycle.

- CSV is UTF-8 with a byte-order mark, so that Excel reads Persian; numbers keep Latin digits
  and a «.» so that any program can read them back.
- XLSX (openpyxl, write-only so that a national cycle fits in memory) has its sheet set right
  to left, the header row frozen, and every timestamp twice: as Jalali text and as a real date
  cell (Tehran time) that sorts and filters as a date.
- Text that a spreadsheet would take for a formula (``=``, ``+``, ``-``, ``@`` first) is kept
  text: an XLSX cell is typed as a string, a CSV cell gets a leading apostrophe.
- The ZIP holds the stored final PDF of each approved evaluation, byte for byte as
  ``app.reports.services`` serves it (rendered once on first request), and a manifest.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import tempfile
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.dashboard import queries
from app.dashboard.presentation import status_titles
from app.i18n import _, current_lang, jalali_date, jalali_datetime, local_time
from app.reports import services as reports
from app.reports.render import ReportError
from app.rubric.values import AnswerValue

log = logging.getLogger(__name__)

#: what a spreadsheet reads as the start of a formula
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Code(str):
    """Text that only looks like a number (a criterion id such as ``1.10``): a spreadsheet
    opening the CSV must keep it as written, not read it as 1.1."""


@dataclass(frozen=True)
class Column:
    """A column of an export: its header and its width in a spreadsheet."""

    title: str
    #: XLSX width in characters
    width: int = 14


def _local(value: dt.datetime | None) -> dt.datetime | None:
    """A stored (naive UTC) timestamp as naive Tehran time, for a date cell."""
    if value is None:
        return None
    return local_time(value).replace(tzinfo=None, second=0, microsecond=0)


# --- the tables --------------------------------------------------------------------------------

def overview_table(rows: list[dict]) -> tuple[list[Column], list[list]]:
    """The overview's rows as an export table (every row, not a page)."""
    lang = current_lang()
    columns = [
        Column(_("Province"), width=12), Column(_("Municipality"), width=18),
        Column(_("County"), width=14), Column(_("Grade"), width=8),
        Column(_("Population"), width=12), Column(_("Tier"), width=24),
        Column(_("Status"), width=16), Column(_("Adjusted score"), width=12),
        Column(_("Raw score"), width=12), Column(_("Band"), width=12),
        Column(_("Adjusted score before the verdict rules"), width=12),
        Column(_("Raw score before the verdict rules"), width=12),
        Column(_("Answered"), width=10), Column(_("Applicable criteria"), width=10),
        Column(_("Inspectors"), width=28), Column(_("Report number"), width=14),
        Column(_("Last change (Jalali)"), width=18),
        Column(_("Last change (date)"), width=18),
    ]
    statuses = status_titles()
    comma = "، " if lang == "fa" else ", "
    table = []
    for row in rows:
        planned = row["evaluation_id"] is not None
        text, moment = _when(row["updated_at"] if planned else None, lang)
        table.append([
            row["province"], row["name"], row["county"], row["grade"], row["population"],
            row["tier_title"], statuses[row["status"] or "none"], row["score"],
            row["raw_score"], row["band"] or "", row["ungated_score"], row["raw_ungated_score"],
            row["answered_count"] if planned else None,
            row["applicable_count"] if planned else None, comma.join(row["inspectors"]),
            row["report_number"] or "", text, moment,
        ])
    return columns, table


def answers_table(answer_rows: list) -> tuple[list[Column], list[list]]:
    """Every stored answer, one row each, the criteria in each rubric's order."""
    lang = current_lang()
    statuses = status_titles()
    not_applicable, yes = _("Not applicable"), _("Yes")
    rubrics = queries.rubrics_of({row.rubric_version_id for row in answer_rows})
    # per rubric version: criterion id → (position, unit title, criterion)
    criteria = {}
    tiers = {}
    for version, rubric in rubrics.items():
        units = {unit.id: unit.title for unit in rubric.units}
        criteria[version] = {c.id: (index, units.get(c.unit_id, ""), c)
                             for index, c in enumerate(rubric.criteria())}
        tiers[version] = {t.id: t.title or t.id for t in rubric.tiers}
    unknown = (10**6, "", None)

    def place(row):
        return (row.province, row.name, row.evaluation_id,
                criteria.get(row.rubric_version_id, {}).get(row.criterion_id, unknown)[0],
                row.criterion_id)

    columns = [
        Column(_("Province"), width=12), Column(_("Municipality"), width=18),
        Column(_("County"), width=14), Column(_("Tier"), width=24),
        Column(_("Status"), width=16), Column(_("Unit"), width=26),
        Column(_("Criterion number"), width=10), Column(_("Criterion"), width=48),
        Column(_("Value"), width=10), Column(_("Answer"), width=22),
        Column(_("Not applicable"), width=10), Column(_("Reason"), width=30),
        Column(_("Note"), width=40), Column(_("Last change (Jalali)"), width=18),
        Column(_("Last change (date)"), width=18),
    ]
    table = []
    for row in sorted(answer_rows, key=place):
        _index, unit_title, criterion = criteria.get(row.rubric_version_id, {}).get(
            row.criterion_id, unknown)
        text, moment = _when(row.updated_at, lang)
        table.append([
            row.province, row.name, row.county,
            tiers.get(row.rubric_version_id, {}).get(row.tier_id, row.tier_id),
            statuses.get(row.status, row.status), unit_title,
            Code(row.criterion_id), criterion.title if criterion else "",
            None if row.na else row.value,
            not_applicable if row.na else answer_text(criterion, row.value, row.data, lang),
            yes if row.na else "", row.na_reason or "", row.note or "", text, moment,
        ])
    return columns, table


@lru_cache(maxsize=65536)
def _when(value: dt.datetime | None, lang: str) -> tuple[str, dt.datetime | None]:
    """A stored timestamp as (Jalali text, Tehran time to the minute); remembered, since the
    answers of one save share their timestamp."""
    if value is None:
        return "", None
    return jalali_datetime(value, lang), _local(value)


def answer_text(criterion, value, data=None, lang: str = "fa") -> str:
    """An answer as a reader says it in a cell (the scale level's label, yes/no, the number,
    the ticked items …): its criterion type's short words."""
    if criterion is None:
        if value is None:
            return ""
        number = float(value)
        return str(int(number)) if number.is_integer() else str(number)
    parts = criterion.kind.from_storage(criterion, value, data)
    return criterion.kind.short_text(criterion, AnswerValue(**parts), lang)


# --- writers -----------------------------------------------------------------------------------

def _csv_cell(value) -> object:
    if value is None:
        return ""
    if isinstance(value, Code):
        # ="1.10": what Excel and LibreOffice read as the text 1.10
        return '="' + value.replace('"', '""') + '"'
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def to_csv(columns: list[Column], rows: list[list]) -> bytes:
    """UTF-8 with a byte-order mark (Excel then reads Persian), CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.title for c in columns])
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def to_xlsx(columns: list[Column], rows: list[list], title: str) -> bytes:
    """One right-to-left sheet with a bold, frozen header row."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    sheet.sheet_view.rightToLeft = True
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E6EBF0")
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.title)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_cell(sheet, value):
    """A value as openpyxl writes it: numbers and dates as they are (a date gets a date
    format), text cleaned of characters XML cannot hold, and typed as text when a
    spreadsheet would otherwise read it as a formula."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        if ILLEGAL_CHARACTERS_RE.search(value):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if not value.startswith("="):
            return value
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # text stays text, even when it starts with «=»
        return cell
    return value  # a number, or a date that openpyxl writes as a real date cell


def _sheet_title(title: str) -> str:
    for bad in "[]:*?/\\":
        title = title.replace(bad, " ")
    return title[:31] or "Sheet"


# --- the ZIP of approved reports ---------------------------------------------------------------

def reports_zip(evaluations: list, *, user) -> tuple[IO[bytes], int, list[str]]:
    """A ZIP of the stored final PDF of each approved evaluation, and ``manifest.csv`` (file,
    municipality, year, report number, score, band, approval date, the file's sha256).

    Returns the file (positioned at its start), how many reports it holds, and the names of
    the municipalities whose report could not be produced (logged; listed in the manifest).
    """
    lang = current_lang()
    spool = tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024)
    manifest = [Column(_("File")), Column(_("Province")), Column(_("Municipality")),
                Column(_("Year")), Column(_("Report number")), Column(_("Adjusted score")),
                Column(_("Band")), Column(_("Approved on")), Column("sha256")]
    lines: list[list] = []
    names: set[str] = set()
    failed: list[str] = []
    count = 0
    facts = [(e.id, e.municipality.province.name, e.municipality.name, e.cycle.year,
              e.report_number, e.score, e.band, e.approved_at, reports.report_filename(e))
             for e in evaluations]
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
        for evaluation, fact in zip(evaluations, facts, strict=True):
            eid, province, town, year, number, score, band, approved_at, filename = fact
            name = filename if filename not in names else f"{eid}-{filename}"
            names.add(name)
            try:
                path = reports.stored_file(reports.final_report(evaluation, user=user))
                data = path.read_bytes()
            except (ReportError, OSError) as error:
                log.error("report of evaluation %s left out of the ZIP: %s", eid, error)
                failed.append(town)
                lines.append([_("not available"), province, town, year, number, score, band,
                              jalali_date(approved_at, lang), ""])
                continue
            archive.writestr(_zip_info(name, approved_at), data)
            count += 1
            lines.append([name, province, town, year, number, score, band,
                          jalali_date(approved_at, lang), hashlib.sha256(data).hexdigest()])
        archive.writestr(_zip_info("manifest.csv", None), to_csv(manifest, lines))
    spool.seek(0)
    return spool, count, failed


def _zip_info(name: str, when: dt.datetime | None) -> zipfile.ZipInfo:
    moment = _local(when) if when else dt.datetime.now()
    stamp = (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, 0)
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_STORED
    return info
