"""The dashboard's files: the overview and all answers of a cycle as CSV or XLSX, and a ZIP of
every final report of a cycle.

- CSV is UTF-8 with a byte-order mark, so that Excel reads Persian; numbers keep Latin digits
  and a «.» so that any program can read them back.
- XLSX (openpyxl, write-only so that a national cycle fits in memory) has its sheet set right
  to left, the header row frozen, and every timestamp twice: as Jalali text and as a real date
  cell (Tehran time) that sorts and filters as a date.
- Text that a spreadsheet would take for a formula (``=``, ``+``, ``-``, ``@`` first) is kept
  text: an XLSX cell is typed as a string, a CSV cell gets a leading apostrophe.
- The ZIP holds the stored final PDF of each final (signed-off) evaluation, byte for byte as
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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.dashboard import queries
from app.dashboard.presentation import status_titles
from app.i18n import N_, _, current_lang, jalali_date, jalali_datetime, list_separator, local_time
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
    comma = list_separator(lang)
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


ANSWER_COLUMNS = (
    (N_("Province"), 12), (N_("Municipality"), 18), (N_("County"), 14), (N_("Tier"), 24),
    (N_("Status"), 16), (N_("Unit"), 26), (N_("Criterion number"), 10),
    (N_("Criterion"), 48), (N_("Value"), 10), (N_("Answer"), 22), (N_("Not applicable"), 10),
    (N_("Reason"), 30), (N_("Note"), 40), (N_("Last change (Jalali)"), 18),
    (N_("Last change (date)"), 18),
)


def answer_columns() -> list[Column]:
    return [Column(_(title), width=width) for title, width in ANSWER_COLUMNS]


def answers_table(f, user, *, progress=None) -> tuple[list[Column], Iterator[list]]:
    """Every stored answer of the filtered evaluations `user` may open (app.access), one row
    each: by province,
    municipality and evaluation, the criteria in each rubric's order. The rows are made as
    they are read (a chunk of evaluations at a time), so an export of the whole country
    holds a few hundred evaluations' answers in memory, never all of them.

    `progress(done, total)` is called after each chunk with the evaluations written."""
    evaluations = queries.answer_evaluations(f, user)
    return answer_columns(), _answer_rows(evaluations, progress)


def _answer_rows(evaluations: list, progress) -> Iterator[list]:
    lang = current_lang()
    statuses = status_titles()
    not_applicable, yes = _("Not applicable"), _("Yes")
    rubrics = queries.rubrics_of({row.rubric_version_id for row in evaluations})
    # per rubric version: criterion id → (position, unit title, criterion)
    criteria = {}
    tiers = {}
    for version, rubric in rubrics.items():
        units = {unit.id: unit.title for unit in rubric.units}
        criteria[version] = {c.id: (index, units.get(c.unit_id, ""), c)
                             for index, c in enumerate(rubric.criteria())}
        tiers[version] = {t.id: t.title or t.id for t in rubric.tiers}
    unknown = (10**6, "", None)
    for start in range(0, len(evaluations), queries.ANSWER_CHUNK):
        chunk = evaluations[start:start + queries.ANSWER_CHUNK]
        answers = queries.answers_of([e.evaluation_id for e in chunk])
        for evaluation in chunk:
            places = criteria.get(evaluation.rubric_version_id, {})
            tier = tiers.get(evaluation.rubric_version_id, {}).get(evaluation.tier_id,
                                                                   evaluation.tier_id)
            status = statuses.get(evaluation.status, evaluation.status)
            rows = sorted(answers.get(evaluation.evaluation_id, ()),
                          key=lambda row, places=places: (
                              places.get(row.criterion_id, unknown)[0], row.criterion_id))
            for row in rows:
                _index, unit_title, criterion = places.get(row.criterion_id, unknown)
                text, moment = _when(row.updated_at, lang)
                yield [
                    evaluation.province, evaluation.name, evaluation.county, tier, status,
                    unit_title, Code(row.criterion_id), criterion.title if criterion else "",
                    None if row.na else row.value,
                    not_applicable if row.na else answer_text(criterion, row.value, row.data,
                                                              lang),
                    yes if row.na else "", row.na_reason or "", row.note or "", text, moment,
                ]
        if progress is not None:
            progress(start + len(chunk), len(evaluations))


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


def to_csv(columns: list[Column], rows: Iterable[list]) -> bytes:
    """UTF-8 with a byte-order mark (Excel then reads Persian), CRLF line ends."""
    return b"".join(csv_chunks(columns, rows))


def csv_chunks(columns: list[Column], rows: Iterable[list], *, every: int = 500
               ) -> Iterator[bytes]:
    """The CSV of :func:`to_csv` in pieces of `every` rows, as they are made (a streamed
    response sends each piece at once)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.title for c in columns])
    first, count = True, 0
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
        count += 1
        if count % every == 0:
            yield (b"\xef\xbb\xbf" if first else b"") + out.getvalue().encode("utf-8")
            first = False
            out.seek(0)
            out.truncate()
    yield (b"\xef\xbb\xbf" if first else b"") + out.getvalue().encode("utf-8")


def to_xlsx(columns: list[Column], rows: Iterable[list], title: str,
            target: str | Path | None = None) -> bytes | None:
    """One right-to-left sheet with a bold, frozen header row; written to `target` (a path)
    when given, row by row as they come (openpyxl's write-only mode keeps none of them),
    else returned as bytes."""
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
    if target is not None:
        workbook.save(str(target))
        return None
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


# --- the ZIP of final reports ------------------------------------------------------------------

def reports_zip(evaluations: list, *, user) -> tuple[IO[bytes], int, list[str]]:
    """A ZIP of the stored final PDF of each final evaluation, and ``manifest.csv`` (file,
    municipality, year, report number, score, band, sign-off date, the file's sha256).

    Returns the file (positioned at its start), how many reports it holds, and the names of
    the municipalities whose report could not be produced (logged; listed in the manifest).
    """
    lang = current_lang()
    spool = tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024)
    manifest = [Column(_("File")), Column(_("Province")), Column(_("Municipality")),
                Column(_("Year")), Column(_("Report number")), Column(_("Adjusted score")),
                Column(_("Band")), Column(_("Signed off on")), Column("sha256")]
    lines: list[list] = []
    names: set[str] = set()
    failed: list[str] = []
    count = 0
    facts = [(e.id, e.municipality.province.name, e.municipality.name, e.cycle.year,
              e.report_number, e.score, e.band, e.signed_at, reports.report_filename(e))
             for e in evaluations]
    try:
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
    except BaseException:
        spool.close()  # every render slot stayed taken (RendererBusy), or the client left
        raise
    spool.seek(0)
    return spool, count, failed


def _zip_info(name: str, when: dt.datetime | None) -> zipfile.ZipInfo:
    moment = _local(when) if when else dt.datetime.now()
    stamp = (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, 0)
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_STORED
    return info
