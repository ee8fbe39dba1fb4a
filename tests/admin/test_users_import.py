"""Users imported from CSV or XLSX, like municipalities: headers in English or Persian, roles
by key or name, a municipality's account bound to its town, all or nothing, a temporary
password shown once per new account."""

import io

from openpyxl import Workbook
from sqlalchemy import select

from app.admin.users.services import import_users
from app.db import writing
from app.extensions import db
from app.models import Municipality, User


def _user(name):
    return db.session.scalar(select(User).where(User.username == name))


def test_csv_creates_and_changes_accounts_with_one_time_passwords(demo_ctx):
    admin = _user("admin")
    data = ("\ufeffنام کاربری,نام و نام خانوادگی,نقش‌ها,استان,شهرداری\n"
            "hamid,حمید رضایی,inspector,قم,\n"
            "kahak,شهرداری کهک,municipality,قم,کهک\n"
            "reviewer,علیرضا جواهر,\"reviewer, manager\",قم,\n").encode("utf-8")
    with writing():
        plan = import_users("users.csv", data, actor=admin)
    assert plan.ok and plan.applied, [p.message for p in plan.problems]
    assert (plan.count("new"), plan.count("changed")) == (2, 1)
    assert set(plan.passwords) == {"hamid", "kahak"}
    kahak = _user("kahak")
    assert kahak.has_role("municipality") and not kahak.has_role("inspector")
    assert kahak.check_password(plan.passwords["kahak"])
    assert kahak.municipality_id == db.session.scalar(
        select(Municipality.id).where(Municipality.name == "کهک"))
    assert kahak.must_change_password
    assert _user("reviewer").has_role("reviewer") and _user("reviewer").has_role("manager")


def test_one_bad_row_imports_nothing(demo_ctx):
    data = ("username,full_name,roles,province,municipality\n"
            "hamid,حمید,inspector,قم,\n"
            "town,شهرداری,municipality,قم,\n"          # a municipality's account needs its town
            "nobody,کسی,wizard,قم,\n").encode()   # no such role
    with writing():
        plan = import_users("users.csv", data, actor=_user("admin"))
    assert not plan.applied and len(plan.problems) >= 2
    assert {p.row for p in plan.problems} >= {3, 4}
    assert _user("hamid") is None and not plan.passwords


def test_xlsx_dry_run_writes_nothing(demo_ctx):
    book = Workbook()
    sheet = book.active
    sheet.append(["username", "full_name", "roles"])
    sheet.append(["sara", "سارا", "author"])
    out = io.BytesIO()
    book.save(out)
    with writing():
        plan = import_users("users.xlsx", out.getvalue(), actor=_user("admin"), dry_run=True)
    assert plan.ok and not plan.applied and plan.count("new") == 1
    assert _user("sara") is None


def test_the_command_checks_dry_runs_and_imports_printing_each_password_once(demo_app,
                                                                            tmp_path):
    runner = demo_app.test_cli_runner()
    bad = tmp_path / "bad.csv"
    bad.write_text("username,full name,roles,province,municipality\n"
                   "hamid,حمید رضایی,chief,قم,\n", encoding="utf-8")
    result = runner.invoke(args=["users", "import", str(bad), "--lang", "en"])
    assert result.exit_code == 1
    assert "row 2" in result.output and "Nothing was imported" in result.output
    assert "Traceback" not in result.output
    refused = runner.invoke(args=["users", "import", str(bad), "--user", "inspector"])
    assert refused.exit_code == 2 and "inspector" in refused.output
    good = tmp_path / "good.csv"
    good.write_text("username,full name,roles,province,municipality\n"
                    "hamid,حمید رضایی,inspector,قم,\n", encoding="utf-8")
    dry = runner.invoke(args=["users", "import", str(good), "--dry-run", "--lang", "en"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run, nothing written: 1 new, 0 changed, 0 unchanged." in dry.output
    with demo_app.app_context():
        assert _user("hamid") is None
    done = runner.invoke(args=["users", "import", str(good), "--user", "admin", "--lang", "en"])
    assert done.exit_code == 0, done.output
    row, username, status, password = done.output.splitlines()[0].split("\t")
    assert (row, username, status) == ("2", "hamid", "new")
    with demo_app.app_context():
        assert _user("hamid").check_password(password)


def test_a_filled_cell_in_a_column_without_a_name_is_refused_as_for_municipalities(demo_ctx):
    data = ("username,full name,roles,province,municipality\n"
            "hamid,حمید رضایی,inspector,قم,,09121234567\n").encode()
    with writing():
        plan = import_users("users.csv", data, actor=_user("admin"))
    assert not plan.ok and not plan.applied
    (problem,) = plan.problems
    assert (problem.row, problem.value) == (2, "09121234567")
    assert "۶" in problem.message  # the column's number, said in Persian
    assert _user("hamid") is None
