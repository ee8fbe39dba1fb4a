"""User accounts from a CSV or XLSX file: the columns, and the plan of an import.

The file is read and its cells checked by :mod:`app.admin.tables` (the same reading as the
municipalities' import); here each row is compared with the account of the same username:
new, changed or unchanged. Roles are written by their key or their name in either language,
several in one cell («inspector، reviewer»); the province and the municipality by name.
Nothing here writes: :func:`app.admin.users.services.import_users` writes a plan that has no
problems, all of it in one transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.admin.tables import (
    MAX_BYTES,
    Column,
    ImportFileError,
    Problem,
    cell_text,
    display,
    header_key,
    map_header,
    num,
    read_table,
    row_values,
)
from app.i18n import _, _l, list_separator, normalise_text, search_key, translator
from app.models import MUNICIPALITY_ROLES, PROVINCE_ROLES, ROLES

COLUMNS = (
    Column("username", _l("Username"), "نام کاربری", ("login", "user", "کاربر")),
    Column("full_name", _l("Full name"), "نام و نام خانوادگی",
           ("name", "نام", "full name"), max_chars=200),
    Column("roles", _l("Roles"), "نقش‌ها", ("role", "نقش")),
    Column("province", _l("Province"), "استان"),
    Column("municipality", _l("Municipality"), "شهرداری", ("نام شهرداری",)),
)
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,59}")


@dataclass
class UserRow:
    """What importing one row will do."""

    row: int
    username: str
    #: "new", "changed" or "unchanged"
    status: str
    full_name: str = ""
    roles: list[str] = field(default_factory=list)
    province_id: int | None = None
    municipality_id: int | None = None
    #: field → (old, new) for a changed row
    changes: dict = field(default_factory=dict)
    user_id: int | None = None


@dataclass
class UserPlan:
    filename: str
    rows: list[UserRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    applied: bool = False
    #: username → the temporary password of each account created (shown once)
    passwords: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)


def role_names() -> dict[str, str]:
    """Every way a role may be written (its key, its title in Persian and English), folded,
    → the role."""
    from app.models.users import ROLE_TITLES

    names = {}
    for role in ROLES:
        names[header_key(role)] = role
        for lang in ("fa", "en"):
            names[header_key(translator(lang).gettext(ROLE_TITLES[role]))] = role
    return names


def read_roles(text: str) -> list[str]:
    """The roles a cell names; ValueError saying which word is no role."""
    names = role_names()
    roles = []
    for word in re.split(r"[,،;؛/|]+", text):
        word = header_key(word)
        if not word:
            continue
        role = names.get(word)
        if role is None:
            raise ValueError(_("«%(word)s» is no role. Write one or more of: %(roles)s.",
                               word=word, roles=list_separator().join(ROLES)))
        if role not in roles:
            roles.append(role)
    return roles


def plan_users(filename: str, data: bytes, *, users: list, provinces: list,
               municipalities: list, max_bytes: int = MAX_BYTES) -> UserPlan:
    """Check a file and compare it with `users` (the accounts the administrator runs);
    `provinces` and `municipalities` are those the administrator may give. Never raises for
    a bad file: its problems are in the plan."""
    plan = UserPlan(filename=filename)
    try:
        header, rows = read_table(filename, data, max_bytes=max_bytes, empty=_(
            "The file is empty. Upload a CSV or XLSX file with a header row and one row per "
            "user."))
    except ImportFileError as error:
        plan.problems.append(Problem(None, "", "", error.message))
        return plan
    mapping, plan.problems = map_header(header, COLUMNS, required="username", missing=_(
        "No column holds the username. Add a column named «username» or «نام کاربری»."))
    plan.columns = [column.key for column in mapping.values()]
    if not rows and not plan.problems:
        plan.problems.append(Problem(None, "", "", _(
            "The file has a header but no users. Add one row per user.")))
    if plan.problems:
        return plan
    name_of = {c.key: header[i] for i, c in mapping.items()}
    by_username = {u.username: u for u in users}
    province_by_key = {search_key(p.name): p for p in provinces}
    town_by_key: dict[tuple[int, str], object] = {}
    towns_named: dict[str, list] = {}
    for town in municipalities:
        key = town.name_key or search_key(town.name)
        town_by_key[(town.province_id, key)] = town
        towns_named.setdefault(key, []).append(town)
    first_row: dict[str, int] = {}
    for number, cells in rows:
        values, problems = row_values(number, cells, header, mapping)

        def problem(key, value, message, problems=problems, number=number):
            problems.append(Problem(number, name_of.get(key, key), display(value), message))

        username = normalise_text(values.get("username", "")).lower()
        if not USERNAME.fullmatch(username):
            problem("username", username, _(
                "The username may hold only Latin letters, digits, «.», «-» and «_», 2 to 60 "
                "of them, starting with a letter or digit."))
        elif username in first_row:
            problem("username", username, _("This user is already in row %(row)s. Keep only "
                                            "one row for them.", row=num(first_row[username])))
        else:
            first_row[username] = number
        current = by_username.get(username)
        roles = []
        if "roles" in values:
            try:
                roles = read_roles(values["roles"])
            except ValueError as error:
                problem("roles", values["roles"], str(error))
        elif current is None:
            problem("roles", "", _("%(name)s is a new user: write their roles.",
                                   name=username))
        province = None
        if "province" in values:
            province = province_by_key.get(search_key(values["province"]))
            if province is None:
                problem("province", values["province"], _(
                    "Unknown province, or one you do not administer. Write its name as the "
                    "administration pages show it."))
        town = None
        if "municipality" in values:
            key = search_key(values["municipality"])
            if province is not None:
                town = town_by_key.get((province.id, key))
            elif len(towns_named.get(key, [])) == 1:
                town = towns_named[key][0]
            if town is None:
                problem("municipality", values["municipality"], _(
                    "Unknown municipality, or one you do not administer (write its province "
                    "too when two provinces have a town of that name)."))
        if roles and set(roles) & set(MUNICIPALITY_ROLES) and town is None \
                and "municipality" not in values:
            problem("municipality", "", _("A municipality's account needs the municipality it "
                                          "speaks for."))
        if roles and set(roles) & set(MUNICIPALITY_ROLES) and len(roles) > 1:
            problem("roles", values.get("roles", ""), _(
                "A municipality's account holds that role alone."))
        if roles and set(roles) & set(PROVINCE_ROLES) and province is None \
                and "province" not in values and town is None:
            problem("province", "", _("A director-general works for one province: write "
                                      "it."))
        if problems:
            plan.problems.extend(problems)
            continue
        row = UserRow(row=number, username=username, status="new",
                      full_name=normalise_text(values.get("full_name", "")), roles=roles,
                      province_id=town.province_id if town is not None else
                      (province.id if province is not None else None),
                      municipality_id=town.id if town is not None else None)
        if current is None:
            plan.rows.append(row)
            continue
        row.user_id = current.id
        wanted = {"full_name": row.full_name if "full_name" in values else current.full_name,
                  "roles": sorted(roles) if roles else sorted(current.role_set),
                  "province_id": row.province_id if ("province" in values or town)
                  else current.province_id,
                  "municipality_id": row.municipality_id if "municipality" in values
                  else current.municipality_id}
        have = {"full_name": current.full_name, "roles": sorted(current.role_set),
                "province_id": current.province_id, "municipality_id": current.municipality_id}
        row.full_name, row.roles = wanted["full_name"], wanted["roles"]
        row.province_id, row.municipality_id = wanted["province_id"], wanted["municipality_id"]
        row.changes = {k: (have[k], wanted[k]) for k in wanted if have[k] != wanted[k]}
        row.status = "changed" if row.changes else "unchanged"
        plan.rows.append(row)
    return plan


__all__ = ["COLUMNS", "UserPlan", "UserRow", "cell_text", "plan_users", "read_roles"]
