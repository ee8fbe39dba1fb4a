"""``arzyab municipalities import FILE`` and ``arzyab users import FILE``: the imports of the
upload pages, from the shell.

Messages are translated (``--lang``); a bad file prints every problem (row, column, value,
what to fix) and exits 1 having written nothing. ``--dry-run`` shows what would change.
Whoever runs commands on the server administers the installation; ``--user`` names the
administrator the audit trail records (it must be an active admin).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.cli_options import LANG_OPTION


def _import_command(group, help_text: str):
    """A group's ``import FILE`` command with the options every import takes."""
    def decorate(function):
        function = with_appcontext(function)
        function = LANG_OPTION(function)
        function = click.option("--user", "username", default=None, envvar="ARZYAB_ADMIN_USER",
                                help="The administrator recorded in the audit trail.")(function)
        function = click.option("--dry-run", is_flag=True, help="Check the file and show the "
                                "changes; write nothing.")(function)
        function = click.argument("file", type=click.Path(exists=True, dir_okay=False,
                                                          path_type=Path))(function)
        return group.command("import", help=help_text)(function)
    return decorate


def _actor(username: str | None):
    """The administrator `username` names (None when not given); exits 2 for anyone else."""
    from sqlalchemy import select

    from app.extensions import db
    from app.i18n import _
    from app.models import User

    if not username:
        return None
    actor = db.session.scalar(select(User).where(User.username == username.lower()))
    if actor is None or not actor.active or not actor.has_role("admin"):
        click.echo(_("%(name)s is not an active administrator.", name=username), err=True)
        sys.exit(2)
    return actor


def _read(file: Path) -> bytes:
    from app.admin import tables

    with file.open("rb") as stream:
        return stream.read(tables.MAX_BYTES + 1)  # more: refused as too large


def _refuse_problems(plan) -> None:
    """Print every problem of the import `plan` (row, column, value, what to fix); exit 1
    when it cannot be imported."""
    from app.i18n import _

    for problem in plan.problems:
        place = _("row %(n)s", n=problem.row) if problem.row else _("the file")
        if problem.column:
            place += f", «{problem.column}»"
        if problem.value:
            place += f": «{problem.value}»"
        click.echo(f"{place} — {problem.message}", err=True)
    if not plan.ok:
        click.echo(_("Nothing was imported: correct the rows listed above and run the "
                     "command again."), err=True)
        sys.exit(1)


def _statuses() -> dict[str, str]:
    from app.i18n import _

    return {"new": _("new"), "changed": _("changed"), "unchanged": _("unchanged")}


def _summary(plan) -> str:
    from app.i18n import _

    return _("%(new)s new, %(changed)s changed, %(same)s unchanged.",
             new=plan.count("new"), changed=plan.count("changed"),
             same=plan.count("unchanged"))


@click.group("municipalities")
def municipalities_group():
    """Municipalities and their profiles."""


@_import_command(municipalities_group,
                 "Import or update municipality profiles from a CSV (UTF-8) or XLSX FILE.")
@click.option("--province", default=None, help="The province to import into (default: the "
              "configured PROVINCE_NAME).")
def import_command(file: Path, dry_run: bool, province: str | None, username: str | None,
                   lang: str):
    from flask_babel import force_locale

    from app.admin.places import importing, services
    from app.db import writing
    from app.i18n import _

    province = province or current_app.config["PROVINCE_NAME"]
    with force_locale(lang):
        actor = _actor(username)
        data = _read(file)
        try:
            with writing():
                plan = services.import_municipalities(file.name, data, province, actor=actor,
                                                      dry_run=dry_run)
        except services.ServiceError as error:
            click.echo(error.message, err=True)
            sys.exit(1)
        _refuse_problems(plan)
        labels = {c.key: str(c.label) for c in importing.COLUMNS}
        status = _statuses()
        for row in plan.rows:
            changes = "; ".join(f"{labels[k]}: {old if old is not None else '—'} → {new}"
                                for k, (old, new) in row.changes.items())
            click.echo(f"{row.row}\t{row.name}\t{status[row.status]}"
                       + (f"\t{changes}" if changes else ""))
        if dry_run:
            click.echo(_("Dry run, nothing written: %(summary)s", summary=_summary(plan)))
        else:
            click.echo(_("Imported into province %(province)s", province=plan.province_name)
                       + ": " + _summary(plan))


@click.group("users")
def users_group():
    """User accounts."""


@_import_command(users_group, "Create or change user accounts from a CSV (UTF-8) or XLSX FILE "
                 "(username, full name, roles, province, municipality); prints each new "
                 "account's temporary password once.")
def import_users_command(file: Path, dry_run: bool, username: str | None, lang: str):
    from flask_babel import force_locale

    from app.admin.users import services
    from app.db import writing
    from app.i18n import _

    with force_locale(lang):
        actor = _actor(username)
        data = _read(file)
        with writing():
            plan = services.import_users(file.name, data, actor=actor, dry_run=dry_run)
        _refuse_problems(plan)
        status = _statuses()
        for row in plan.rows:
            password = plan.passwords.get(row.username)
            click.echo(f"{row.row}\t{row.username}\t{status[row.status]}"
                       + (f"\t{password}" if password else ""))
        summary = _summary(plan)
        click.echo(_("Dry run, nothing written: %(summary)s", summary=summary) if dry_run
                   else summary)
