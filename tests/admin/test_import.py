"""Municipality import: reading CSV/XLSX, headers in English or Persian, every cell checked,
all or nothing, and the ``arzyab municipalities import`` command."""

from __future__ import annotations

import io

import pytest
from flask_babel import force_locale
from openpyxl import Workbook
from sqlalchemy import func, select

from app.admin import tables
from app.admin.places import importing
from app.admin.places import services as places
from app.db import writing
from app.extensions import db
from app.models import AuditEvent, Municipality, Province
from tests.admin.conftest import town, user

GOOD_CSV = (
    "نام,شهرستان,درجه,جمعیت,سال سرشماری,بودجه,کارکنان\n"
    "قنوات,قم,۴,۱۰٬۲۰۰,۱۴۰۰,۴۲۰۰۰۰,۸۵\n"        # changed: population and census year
    "كهك,کهک,3,2891,1395,210000,40\n"            # Arabic ي/ك in the name: unchanged
    "خلجستان,خلجستان,٢,١٢٠٠,١٣٩٥,,\n"             # new, Arabic-Indic digits
)
BAD_CSV = GOOD_CSV + "دستجرد,خلجستان,۱۵,۱۶۰۰,۱۳۹۵,,\n"  # row 5: grade 15


def xlsx_bytes(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _plan(data: bytes, filename="towns.csv", existing=()):
    with force_locale("en"):
        return importing.plan_import(filename, data, "قم", list(existing))


# --- reading and checking (no database) ----------------------------------------------------

@pytest.mark.parametrize("header, key", [
    ("name", "name"), ("نام", "name"), ("Name ", "name"), ("نام شهرداری", "name"),
    ("county", "county"), ("شهرستان", "county"), ("grade", "grade"), ("درجه", "grade"),
    ("population", "population"), ("جمعیت", "population"), ("census_year", "census_year"),
    ("Census Year", "census_year"), ("سال سرشماری", "census_year"),
    ("سال\u200cسرشماری", "census_year"), ("budget_million_rial", "budget_million_rial"),
    ("بودجه (میلیون ریال)", "budget_million_rial"), ("staff_count", "staff_count"),
    ("کاركنان", "staff_count"), ("area_hectares", "area_hectares"), ("مساحت", "area_hectares"),
])
def test_headers_in_english_or_persian(ctx, header, key):
    mapping, problems = importing.map_header([header, "نام" if key != "name" else "درجه"],
                                             importing.COLUMNS)
    assert not problems
    assert mapping[0].key == key


def test_unknown_and_repeated_headers_are_named(ctx):
    with force_locale("en"):
        _mapping, problems = importing.map_header(["name", "grade", "درجه", "notes"],
                                                  importing.COLUMNS)
    assert [(p.row, p.column) for p in problems] == [(1, "درجه"), (1, "notes")]
    assert "Keep only one" in problems[0].message
    assert "Rename it to one of" in problems[1].message and "census_year" in problems[1].message


@pytest.mark.parametrize("column, raw, expected", [
    ("grade", "۱۲", 12), ("grade", "٣", 3), ("grade", 4, 4), ("grade", 4.0, 4),
    ("population", "۱٬۲۰۱٬۱۵۸", 1201158), ("population", "1,201,158", 1201158),
    ("population", "\u200f۹۰۰\u200e", 900), ("census_year", "۱۳۹۵", 1395),
    ("county", "كهك", "کهک"), ("county", "  ", None), ("population", None, None),
])
def test_cells_accept_persian_digits_and_letters(ctx, column, raw, expected):
    assert importing.check_cell(importing.BY_KEY[column], raw) == expected


@pytest.mark.parametrize("column, raw, fix", [
    ("grade", "۱۵", "from 1 to 12"), ("grade", "0", "from 1 to 12"),
    ("grade", "۲٫۵", "whole number"), ("grade", "دو", "digits only"),
    ("population", "-5", "from 0 to"), ("census_year", "2016", "Jalali calendar"),
    ("county", "x" * 101, "at most 100"), ("county", "a\nb", "line breaks"),
])
def test_bad_cells_say_what_to_fix(ctx, column, raw, fix):
    with force_locale("en"), pytest.raises(ValueError, match=fix):
        importing.check_cell(importing.BY_KEY[column], raw)


def test_bad_row_is_named_with_column_value_and_fix(ctx):
    plan = _plan(BAD_CSV.encode())
    assert not plan.ok
    [problem] = plan.problems
    assert (problem.row, problem.column, problem.value) == (5, "درجه", "۱۵")
    assert "from 1 to 12" in problem.message


def test_every_problem_is_collected(ctx):
    data = ("name,grade,population\n"
            "الف,۱۳,abc\n"
            ",2,10\n"
            "ب,,\n"
            "الف,2,5\n").encode()
    plan = _plan(data)
    assert [(p.row, p.column) for p in plan.problems] == [
        (2, "grade"), (2, "population"), (3, "name"), (4, "grade"), (5, "name")]
    assert "already in row 2" in plan.problems[-1].message
    assert "new municipality" in plan.problems[3].message


def test_csv_with_bom_semicolons_and_blank_lines(ctx):
    data = "\ufeffname;grade\r\nالف;2\r\n;\r\nب;3\r\n".encode()
    plan = _plan(data)
    assert plan.ok, plan.problems
    assert [(r.row, r.name, r.status) for r in plan.rows] == [(2, "الف", "new"), (4, "ب", "new")]


@pytest.mark.parametrize("data, filename, message", [
    ("name,grade\nالف,2\n".encode("utf-16"), "a.csv", "not UTF-8"),
    ("نام,درجه\nالف,2\n".encode("cp1256"), "a.csv", "not UTF-8"),
    (b"", "a.csv", "empty"),
    (b"PK\x03\x04not really a zip", "a.xlsx", "Excel workbook"),
    (b"\xd0\xcf\x11\xe0 old excel", "a.xls", "Save it as an Excel workbook"),
    (b"name,grade\n", "a.csv", "no municipalities"),
    ('name,grade\n"الف,2\n'.encode(), "a.csv", None),
])
def test_unreadable_files_are_refused_with_a_reason(ctx, data, filename, message):
    plan = _plan(data, filename)
    assert not plan.ok
    if message:
        assert message in plan.problems[0].message
        assert plan.problems[0].row is None


def test_size_and_row_limits(ctx):
    with force_locale("en"):
        big = importing.plan_import("a.csv", b"name,grade\n" + b"x,2\n" * 10, "قم", [],
                                    max_bytes=20)
        assert "larger than" in big.problems[0].message
        many = "name,grade\n" + "".join(f"t{i},2\n" for i in range(importing.MAX_ROWS + 1))
        plan = importing.plan_import("a.csv", many.encode(), "قم", [], max_bytes=10 ** 7)
        assert "rows" in plan.problems[0].message and not plan.rows


def test_xlsx_numbers_and_text(ctx):
    data = xlsx_bytes([["name", "grade", "population", "county"],
                       ["الف", 2, 1500.0, "كهك"], [None, None, None, None],
                       ["ب", "۳", "۲٬۰۰۰", None]])
    plan = _plan(data, "towns.xlsx")
    assert plan.ok, plan.problems
    assert [(r.row, r.values) for r in plan.rows] == [
        (2, {"name": "الف", "grade": 2, "population": 1500, "county": "کهک"}),
        (4, {"name": "ب", "grade": 3, "population": 2000})]


def test_xlsx_zip_bomb_is_refused(ctx, monkeypatch):
    monkeypatch.setattr(tables, "MAX_UNPACKED_BYTES", 1000)
    plan = _plan(xlsx_bytes([["name", "grade"], ["الف", 2]]), "t.xlsx")
    assert "too large when unpacked" in plan.problems[0].message


# --- the service on the demo data ----------------------------------------------------------

def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_bad_row_imports_nothing_then_fixed_file_imports(demo_ctx):
    admin = user("admin")
    before = _count(Municipality), _count(AuditEvent)
    with writing():
        plan = places.import_municipalities("towns.csv", BAD_CSV.encode(), "قم", actor=admin)
    assert not plan.ok and not plan.applied
    assert (_count(Municipality), _count(AuditEvent)) == before
    assert town("قنوات").population == 9903

    with writing():
        plan = places.import_municipalities("towns.csv", GOOD_CSV.encode(), "قم",
                                              actor=admin)
    assert plan.applied
    assert {r.name: r.status for r in plan.rows} == {
        "قنوات": "changed", "کهک": "unchanged", "خلجستان": "new"}
    assert plan.rows[0].changes == {"population": (9903, 10200), "census_year": (1395, 1400)}
    assert _count(Municipality) == before[0] + 1
    qanavat, new = town("قنوات"), town("خلجستان")
    assert (qanavat.population, qanavat.census_year, qanavat.grade) == (10200, 1400, 4)
    assert (new.grade, new.population, new.county, new.name_key) == (2, 1200, "خلجستان",
                                                                     "خلجستان")
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(["municipality.update", "municipality.create"]))).all()
    update = next(e for e in events if e.action == "municipality.update")
    assert update.municipality_id == qanavat.id and update.user_id == admin.id
    assert update.details["old"] == {"population": 9903, "census_year": 1395}
    assert update.details["new"] == {"population": 10200, "census_year": 1400}
    assert update.details["row"] == 2
    assert any(e.action == "municipality.create" and e.municipality_id == new.id
               for e in events)


def test_dry_run_writes_nothing(demo_ctx):
    before = _count(Municipality), _count(AuditEvent)
    with writing():
        plan = places.import_municipalities("towns.csv", GOOD_CSV.encode(), "قم",
                                              dry_run=True)
    assert plan.ok and not plan.applied and plan.count("new") == 1
    assert (_count(Municipality), _count(AuditEvent)) == before


def test_rows_of_another_province_are_refused(demo_ctx):
    data = "name,province,grade\nالف,قم,2\nب,تهران,3\n".encode()
    with force_locale("en"), writing():
        plan = places.import_municipalities("t.csv", data, "قم")
    assert [(p.row, p.column, p.value) for p in plan.problems] == [(3, "province", "تهران")]


def test_import_into_a_new_province_on_an_empty_database(ctx):
    with writing():
        plan = places.import_municipalities("t.csv", "name,grade\nقم,12\n".encode(), "قم")
    assert plan.applied
    province = db.session.scalar(select(Province))
    assert province.name == "قم" and [m.name for m in province.municipalities] == ["قم"]


# --- the command ---------------------------------------------------------------------------

def test_command_dry_run_then_import(demo_app, tmp_path):
    runner = demo_app.test_cli_runner()
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_bytes(b"\xef\xbb\xbf" + BAD_CSV.encode())
    good.write_text(GOOD_CSV, "utf-8")

    result = runner.invoke(args=["municipalities", "import", str(bad), "--lang", "en"])
    assert result.exit_code == 1
    assert "row 5, «درجه»: «۱۵» — Enter a whole number from 1 to 12." in result.output
    assert "Nothing was imported" in result.output

    result = runner.invoke(args=["municipalities", "import", str(good), "--dry-run",
                                 "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Dry run, nothing written: 1 new, 1 changed, 1 unchanged." in result.output
    assert "Population: 9903 → 10200" in result.output

    result = runner.invoke(args=["municipalities", "import", str(good), "--province", "قم",
                                 "--user", "admin"])
    assert result.exit_code == 0, result.output
    with demo_app.app_context():
        assert town("خلجستان").grade == 2
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "municipality.import"))
        assert event.user_id == user("admin").id


def test_command_refuses_a_user_who_is_not_an_admin(demo_app, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(GOOD_CSV, "utf-8")
    result = demo_app.test_cli_runner().invoke(
        args=["municipalities", "import", str(good), "--user", "inspector", "--lang", "en"])
    assert result.exit_code == 2
    assert "not an active administrator" in result.output
    with demo_app.app_context():
        assert town("خلجستان") is None
