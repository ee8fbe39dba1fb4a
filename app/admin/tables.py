r"""Tables from a CSV or XLSX file, for the imports of the administration (municipalities,
users): read, map the header, check cells, keep a previewed file for its import.

The stages, each collecting every problem before anything is refused:

1. read the file into a header and rows of cells (CSV in UTF-8 with or without a BOM, or the
   first sheet of an XLSX workbook), within size limits;
2. map the header names, English or Persian, to the fields of the import's :class:`Column`\ s;
3. check and convert every cell (Persian and Arabic-Indic digits, Arabic ي/ك, separators).

Each import (``places.importing``, ``users.importing``) compares the rows with what exists and
plans the changes; nothing here writes. A problem names the row as a spreadsheet shows it (the
header is row 1), the column as written in the file, the value, and what to fix.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import secrets
import time
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

from app.i18n import NumberError, _, digits, list_separator, normalise_text, read_number, search_key

#: upload limits (the pages and the commands alike)
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 30
#: an XLSX is a zip: refuse one that unpacks to more than this (zip bombs)
MAX_UNPACKED_BYTES = 40 * 1024 * 1024
#: how long a previewed file is kept for its import
STASH_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Column:
    """A field a file may carry, and the header names accepted for it."""

    key: str
    label: object
    #: the Persian header name shown in the help and in messages
    fa: str
    #: further names accepted (besides `key` and `fa`), folded by :func:`header_key`
    aliases: tuple[str, ...] = ()
    #: (low, high) for whole numbers; None for text
    bounds: tuple[int, int] | None = None
    max_chars: int = 100
    #: the number an error message gives as an example (default: the lower bound)
    example: int | None = None
    #: the message (an English id with %(low)s, %(high)s, %(example)s) for a number out of
    #: bounds, when the plain one does not say enough
    out_of_bounds: str | None = None
    #: for a position in degrees: the largest value either side of 0 (90 or 180)
    degrees: int | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.key, self.fa, *self.aliases)


def header_key(text: object) -> str:
    """A header folded for matching: Persian-normalised, lower case, «_», «-» and brackets
    as spaces, spaces collapsed."""
    folded = search_key(str(text or ""))
    folded = re.sub(r"[_\-()\[\]{}:.]", " ", folded)
    return " ".join(folded.split())


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message is translated and says what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the file. `row` is the spreadsheet row (None: the whole file)."""

    row: int | None
    column: str
    value: str
    message: str


# --- numbers in messages ------------------------------------------------------------------

def num(value: object) -> str:
    """A number in the digits of the language messages are being made in (a request's, or
    the one a command forced)."""
    return digits(value)


# --- stage 1: reading ---------------------------------------------------------------------

def read_table(filename: str, data: bytes, max_bytes: int = MAX_BYTES, *,
               empty: str | None = None) -> tuple[list[str], list[tuple[int, list]]]:
    """The header and the data rows (row number, cells) of a CSV or XLSX file; `empty` is
    the message for a file with nothing in it (it says what one row is).

    Wholly blank rows are left out (their numbers are not reused). Raises ImportFileError.
    """
    empty = empty or _("The file is empty. Upload a CSV or XLSX file with a header row and "
                       "one row per municipality.")
    if len(data) > max_bytes:
        raise ImportFileError(_("The file is larger than %(limit)s KB. Split it into smaller "
                                "files.", limit=num(max_bytes // 1024)))
    if not data.strip():
        raise ImportFileError(empty)
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix in ("xls", "ods", "numbers"):
        raise ImportFileError(_("This kind of spreadsheet cannot be read. Save it as an Excel "
                                "workbook (.xlsx) or as CSV UTF-8 and upload that."))
    if data[:4] == b"PK\x03\x04":
        table = _read_xlsx(data)
    else:
        table = _read_csv(data)
    if not table:
        raise ImportFileError(empty)
    header = [cell_text(cell) for cell in table[0][1]]
    while header and not header[-1]:
        header.pop()
    if len(header) > MAX_COLUMNS:
        raise ImportFileError(_("The file has %(n)s columns; at most %(limit)s are read. "
                                "Remove the extra columns.", n=num(len(header)),
                                limit=num(MAX_COLUMNS)))
    rows = [(number, cells) for number, cells in table[1:]
            if any(cell_text(cell) for cell in cells)]
    if len(rows) > MAX_ROWS:
        raise ImportFileError(_("The file has %(n)s rows; at most %(limit)s can be imported "
                                "at once. Split it into smaller files.", n=num(len(rows)),
                                limit=num(MAX_ROWS)))
    return header, rows


def _read_csv(data: bytes) -> list[tuple[int, list]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(_(
            "The file is not UTF-8 text. In Excel choose «Save as» → «CSV UTF-8», or upload "
            "the .xlsx workbook itself.")) from None
    if "\x00" in text:
        raise ImportFileError(_("The file is not a text (CSV) file. Upload a CSV or XLSX "
                                "file."))
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t", "،"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table = []
    try:
        for number, cells in enumerate(reader, start=1):
            if number > MAX_ROWS + 1:
                raise ImportFileError(_(
                    "The file has more than %(limit)s rows. Split it into smaller files.",
                    limit=num(MAX_ROWS)))
            table.append((number, cells[:MAX_COLUMNS + 1]))
    except csv.Error:
        raise ImportFileError(_("The CSV file could not be read (a quotation mark may be "
                                "left open). Save it again from your spreadsheet program."))\
            from None
    return table


def _read_xlsx(data: bytes) -> list[tuple[int, list]]:
    unreadable = _("The file could not be read as an Excel workbook (.xlsx). Save it again "
                   "from your spreadsheet program, or as CSV UTF-8.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportFileError(unreadable) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(_("The workbook is too large when unpacked. Keep only the "
                                "municipalities sheet, or save it as CSV UTF-8."))
    from openpyxl import load_workbook

    table = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # style and extension warnings of foreign files
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                for number, cells in enumerate(
                        sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True), start=1):
                    if number > MAX_ROWS + 1:
                        raise ImportFileError(_(
                            "The file has more than %(limit)s rows. Split it into smaller "
                            "files.", limit=num(MAX_ROWS)))
                    table.append((number, list(cells)))
            finally:
                workbook.close()
    except ImportFileError:
        raise
    except Exception:  # openpyxl raises many kinds on a damaged file; none may become a 500
        raise ImportFileError(unreadable) from None
    return table


def cell_text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return normalise_text(str(cell))


# --- stage 2: the header ------------------------------------------------------------------

def map_header(header: list[str], columns: tuple[Column, ...], *, required: str = "name",
               missing: str | None = None) -> tuple[dict[int, Column], list[Problem]]:
    """Which column index holds which of `columns`; problems for unknown, repeated or missing
    ones (the `required` column must be there; `missing` says so)."""
    aliases = {header_key(name): column for column in columns for name in column.names}
    mapping: dict[int, Column] = {}
    seen: dict[str, str] = {}
    problems = []
    accepted = list_separator().join(f"{c.key}/{c.fa}" for c in columns)
    for index, name in enumerate(header):
        if not name:
            problems.append(Problem(1, "", "", _(
                "Column %(n)s has no name. Give it one of the accepted names, or delete the "
                "column.", n=num(index + 1))))
            continue
        column = aliases.get(header_key(name))
        if column is None:
            problems.append(Problem(1, name, name, _(
                "Unknown column. Rename it to one of: %(names)s; or delete the column.",
                names=accepted)))
            continue
        if column.key in seen:
            problems.append(Problem(1, name, name, _(
                "This column repeats «%(other)s». Keep only one of them.",
                other=seen[column.key])))
            continue
        seen[column.key] = name
        mapping[index] = column
    if header and required not in seen:
        problems.append(Problem(1, "", "", missing or _(
            "No column holds the municipality's name. Add a column named «name» or «نام».")))
    return mapping, problems


# --- stage 3: the cells -------------------------------------------------------------------

def _check_degrees(column: Column, raw: object, text: str) -> float:
    """A latitude or longitude in decimal degrees, such as ۳۴٫۶۴۰۱ or 50.8764."""
    limit = column.degrees
    try:
        if len(text) > 40:
            raise NumberError("large")
        number = read_number(raw if isinstance(raw, (int, float)) else text)
    except NumberError:
        number = None
    if number is None or not -limit <= number <= limit:
        raise ValueError(_("Enter the position in decimal degrees, from %(low)s to %(high)s, "
                           "such as %(example)s.", low=num(-limit), high=num(limit),
                           example=digits("34.6401" if limit == 90 else "50.8764")))
    return round(float(number), 6)


def check_cell(column: Column, raw: object) -> object:
    """The checked value of one cell (None when blank); raises ValueError with the fix."""
    text = cell_text(raw)
    if not text:
        return None
    if column.degrees is not None:
        return _check_degrees(column, raw, text)
    if column.bounds is None:
        if len(text) > column.max_chars:
            raise ValueError(_("This text is too long. Shorten it to at most %(n)s "
                               "characters.", n=num(column.max_chars)))
        if any(ord(ch) < 32 for ch in text):
            raise ValueError(_("Remove the line breaks and control characters from this "
                               "cell."))
        return text
    low, high = column.bounds
    example = num(column.example if column.example is not None else low)
    try:
        if len(text) > 40:
            raise NumberError("large")
        number = read_number(raw if isinstance(raw, (int, float)) else text)
    except NumberError as error:
        if error.reason == "ambiguous":
            raise ValueError(_("This number could be read two ways. Write thousands in "
                               "groups of three (۱٬۲۰۰) or without a separator, and a "
                               "decimal mark as «٫» or «.».")) from None
        if error.reason == "large":
            raise ValueError(_("This number is too large. Enter a whole number from "
                               "%(low)s to %(high)s.", low=num(low), high=num(high)))\
                from None
        raise ValueError(_("Enter a number with digits only, such as %(example)s.",
                           example=example)) from None
    if not float(number).is_integer():
        raise ValueError(_("Enter a whole number, without a decimal point."))
    number = int(number)
    if not low <= number <= high:
        if column.out_of_bounds:
            raise ValueError(_(column.out_of_bounds, low=num(low), high=num(high),
                               example=num(example)))
        raise ValueError(_("Enter a whole number from %(low)s to %(high)s.", low=num(low),
                           high=num(high)))
    return number


def row_values(number: int, cells: list, header: list[str], mapping: dict[int, Column]
               ) -> tuple[dict, list[Problem]]:
    """Row `number`'s checked cells by field key (blank cells left out) and its problems: a
    cell its column refuses, or a filled cell in a column the header row does not name."""
    values, problems = {}, []
    for index in range(len(header), len(cells)):
        if cell_text(cells[index]):
            problems.append(Problem(number, "", display(cells[index]), _(
                "This cell is in column %(n)s, which has no name in the header row. Name "
                "the column or empty the cell.", n=num(index + 1))))
    for index, column in mapping.items():
        raw = cells[index] if index < len(cells) else None
        try:
            value = check_cell(column, raw)
        except ValueError as error:
            problems.append(Problem(number, header[index], display(raw), str(error)))
            continue
        if value is not None:
            values[column.key] = value
    return values, problems


def display(raw: object) -> str:
    text = cell_text(raw)
    return text if len(text) <= 60 else text[:57] + "…"


# --- a checked file kept between the preview and the import --------------------------------

def _stash_dir() -> Path:
    from flask import current_app

    return Path(current_app.config["DATA_DIR"]) / "imports"


def stash_upload(filename: str, data: bytes, user_id: int) -> str:
    """Keep an uploaded file on the server for the import that follows its preview; returns
    the token that names it. Files older than a day are removed on the way."""
    folder = _stash_dir()
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - STASH_SECONDS
    for old in folder.glob("*"):
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < cutoff:
                old.unlink()
    token = secrets.token_hex(16)
    (folder / f"{token}.data").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps(
        {"filename": filename[:200], "user_id": user_id}, ensure_ascii=False), "utf-8")
    return token


def take_upload(token: str, user_id: int) -> tuple[str, bytes] | None:
    """The file kept under `token` by `user_id`, or None (unknown, expired or someone
    else's)."""
    if not re.fullmatch(r"[0-9a-f]{32}", token or ""):
        return None
    folder = _stash_dir()
    try:
        meta = json.loads((folder / f"{token}.json").read_text("utf-8"))
        if meta.get("user_id") != user_id:
            return None
        if (folder / f"{token}.json").stat().st_mtime < time.time() - STASH_SECONDS:
            return None
        return str(meta.get("filename") or "upload"), (folder / f"{token}.data").read_bytes()
    except (OSError, ValueError):
        return None


def drop_upload(token: str) -> None:
    if re.fullmatch(r"[0-9a-f]{32}", token or ""):
        for suffix in (".data", ".json"):
            with contextlib.suppress(OSError):
                (_stash_dir() / f"{token}{suffix}").unlink()
