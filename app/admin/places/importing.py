"""Municipality profiles from a CSV or XLSX file: the columns, and the plan of an import.

The file is read and its cells checked by :mod:`app.admin.tables`; here each row is compared
with the municipality of the same name in the province: new, changed or unchanged, with the
changes. Nothing here writes: :func:`app.admin.places.services.import_municipalities` writes a
plan that has no problems, all of it in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.admin.tables import (
    MAX_BYTES,
    MAX_ROWS,
    Column,
    ImportFileError,
    Problem,
    check_cell,
    map_header,
    num,
    read_table,
    row_values,
)
from app.i18n import N_, _, _l, normalise_text, search_key

__all__ = ["BY_KEY", "COLUMNS", "MAX_BYTES", "MAX_ROWS", "PROFILE_FIELDS", "ImportPlan",
           "RowPlan", "check_cell", "map_header", "plan_import"]

COLUMNS = (
    Column("name", _l("Name"), "نام", ("municipality", "نام شهرداری", "شهرداری", "نام شهر",
                                       "شهر")),
    Column("province", _l("Province"), "استان"),
    Column("county", _l("County"), "شهرستان"),
    Column("grade", _l("Grade"), "درجه", ("درجه شهرداری",), bounds=(1, 12)),
    Column("population", _l("Population"), "جمعیت", bounds=(0, 50_000_000)),
    Column("census_year", _l("Census year"), "سال سرشماری", ("census", "سرشماری"),
           bounds=(1300, 1500), example=1395,
           out_of_bounds=N_("Enter the census year in the Jalali calendar, from %(low)s to "
                            "%(high)s (for example %(example)s).")),
    Column("budget_million_rial", _l("Budget (million rials)"), "بودجه",
           ("budget", "بودجه میلیون ریال"), bounds=(0, 2_000_000_000)),
    Column("staff_count", _l("Staff"), "کارکنان", ("staff", "تعداد کارکنان"),
           bounds=(0, 1_000_000)),
    Column("area_hectares", _l("Area (hectares)"), "مساحت", ("area", "مساحت هکتار"),
           bounds=(0, 2_000_000_000)),
    # the town centre (not part of the tier profile): distances of visits and photos
    Column("latitude", _l("Latitude of the town centre"), "عرض جغرافیایی",
           ("lat", "عرض"), degrees=90),
    Column("longitude", _l("Longitude of the town centre"), "طول جغرافیایی",
           ("lon", "lng", "طول"), degrees=180),
)
BY_KEY = {column.key: column for column in COLUMNS}
#: the fields that make up a municipality's profile (all but the name and the province)
PROFILE_FIELDS = tuple(c.key for c in COLUMNS if c.key not in ("name", "province"))


@dataclass
class RowPlan:
    """What importing one row will do."""

    row: int
    name: str
    #: "new", "changed" or "unchanged"
    status: str
    #: the checked values of the cells given (blank cells mean "leave as it is")
    values: dict = field(default_factory=dict)
    #: field → (old, new) for a changed row
    changes: dict = field(default_factory=dict)
    municipality_id: int | None = None


@dataclass
class ImportPlan:
    """A checked file: every row's plan, or the problems that stop the import."""

    filename: str
    province_name: str
    rows: list[RowPlan] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: the columns found, in file order (field keys)
    columns: list[str] = field(default_factory=list)
    #: set once written
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)


# --- stage 4: the plan --------------------------------------------------------------------

def plan_import(filename: str, data: bytes, province_name: str, existing: list,
                max_bytes: int = MAX_BYTES) -> ImportPlan:
    """Check a file and compare it with `existing` (the province's municipalities).

    Never raises for a bad file: file-level problems are returned with ``row`` None (or 1 for
    the header row).
    """
    province_name = normalise_text(province_name)
    plan = ImportPlan(filename=filename, province_name=province_name)
    try:
        header, rows = read_table(filename, data, max_bytes=max_bytes)
    except ImportFileError as error:
        plan.problems.append(Problem(None, "", "", error.message))
        return plan
    mapping, plan.problems = map_header(header, COLUMNS)
    plan.columns = [column.key for column in mapping.values()]
    if not rows and not plan.problems:
        plan.problems.append(Problem(None, "", "", _(
            "The file has a header but no municipalities. Add one row per municipality.")))
    if plan.problems:
        return plan

    by_key = {m.name_key or search_key(m.name): m for m in existing}
    first_row_of: dict[str, int] = {}
    province_key = search_key(province_name)
    for number, cells in rows:
        values, row_problems = row_values(number, cells, header, mapping)
        name_header = next(header[i] for i, c in mapping.items() if c.key == "name")
        name = values.get("name")
        if name is None and not any(p.column == name_header for p in row_problems):
            row_problems.append(Problem(number, name_header, "", _(
                "Every row needs the municipality's name. Fill it in or delete the row.")))
        province = values.pop("province", None)
        if province is not None and search_key(province) != province_key:
            column_name = next(header[i] for i, c in mapping.items() if c.key == "province")
            row_problems.append(Problem(number, column_name, province, _(
                "This file is being imported into province %(chosen)s. Move this row to a "
                "file of its own province, or choose that province.", chosen=province_name)))
        if name is not None:
            key = search_key(name)
            if key in first_row_of:
                row_problems.append(Problem(number, name_header, name, _(
                    "This municipality is already in row %(row)s. Keep only one row for it.",
                    row=num(first_row_of[key]))))
            else:
                first_row_of[key] = number
        if row_problems:
            plan.problems.extend(row_problems)
            continue
        current = by_key.get(search_key(name))
        if current is None:
            if "grade" not in values:
                grade_header = next((header[i] for i, c in mapping.items()
                                     if c.key == "grade"), "grade")
                plan.problems.append(Problem(number, grade_header, "", _(
                    "%(name)s is a new municipality: fill in its grade (1 to 12).",
                    name=name)))
                continue
            plan.rows.append(RowPlan(row=number, name=name, status="new", values=values))
            continue
        changes = {key: (getattr(current, key), value) for key, value in values.items()
                   if key in PROFILE_FIELDS and getattr(current, key) != value}
        plan.rows.append(RowPlan(row=number, name=current.name,
                                 status="changed" if changes else "unchanged", values=values,
                                 changes=changes, municipality_id=current.id))
    return plan


