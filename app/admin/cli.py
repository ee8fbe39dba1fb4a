"""``arzyab municipalities import FILE``: the import of the upload page, from the shell.

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


@click.group("municipalities")
def municipalities_group():
    """Municipalities and their profiles."""


@municipalities_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and show the changes; write "
              "nothing.")
@click.option("--province", default=None, help="The province to import into (default: the "
              "configured PROVINCE_NAME).")
@click.option("--user", "username", default=None, envvar="ARZYAB_ADMIN_USER",
              help="The administrator recorded in the audit trail.")
@click.option("--lang", type=click.Choice(["fa", "en"]), default="fa", show_default=True,
              help="Language of the messages.")
@with_appcontext
def import_command(file: Path, dry_run: bool, province: str | None, username: str | None,
                   lang: str):
    """Import or update municipality profiles from a CSV (UTF-8) or XLSX FILE."""
    from flask_babel import force_locale
    from sqlalchemy import select

    from app.admin import tables
    from app.admin.places import importing, services
    from app.db import writing
    from app.extensions import db
    from app.i18n import _
    from app.models import User

    province = province or current_app.config["PROVINCE_NAME"]
    with force_locale(lang):
        actor = None
        if username:
            actor = db.session.scalar(select(User).where(User.username == username.lower()))
            if actor is None or not actor.active or not actor.has_role("admin"):
                click.echo(_("%(name)s is not an active administrator.", name=username),
                           err=True)
                sys.exit(2)
        with file.open("rb") as stream:
            data = stream.read(tables.MAX_BYTES + 1)  # more: refused as too large
        try:
            with writing():
                plan = services.import_municipalities(file.name, data, province, actor=actor,
                                                      dry_run=dry_run)
        except services.ServiceError as error:
            click.echo(error.message, err=True)
            sys.exit(1)
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
        labels = {c.key: str(c.label) for c in importing.COLUMNS}
        status = {"new": _("new"), "changed": _("changed"), "unchanged": _("unchanged")}
        for row in plan.rows:
            changes = "; ".join(f"{labels[k]}: {old if old is not None else '—'} → {new}"
                                for k, (old, new) in row.changes.items())
            click.echo(f"{row.row}\t{row.name}\t{status[row.status]}"
                       + (f"\t{changes}" if changes else ""))
        summary = _("%(new)s new, %(changed)s changed, %(same)s unchanged.",
                    new=plan.count("new"), changed=plan.count("changed"),
                    same=plan.count("unchanged"))
        if dry_run:
            click.echo(_("Dry run, nothing written: %(summary)s", summary=summary))
        else:
            click.echo(_("Imported into province %(province)s", province=plan.province_name)
                       + ": " + summary)


@click.group("users")
def users_group():
    """User accounts."""


@users_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and show the changes; write "
              "nothing.")
@click.option("--user", "username", default=None, envvar="ARZYAB_ADMIN_USER",
              help="The administrator recorded in the audit trail.")
@click.option("--lang", type=click.Choice(["fa", "en"]), default="fa", show_default=True,
              help="Language of the messages.")
@with_appcontext
def import_users_command(file: Path, dry_run: bool, username: str | None, lang: str):
    """Create or change user accounts from a CSV (UTF-8) or XLSX FILE (username, full name,
    roles, province, municipality); prints each new account's temporary password once."""
    from flask_babel import force_locale
    from sqlalchemy import select

    from app.admin import tables
    from app.admin.users import services
    from app.db import writing
    from app.extensions import db
    from app.i18n import _
    from app.models import User

    with force_locale(lang):
        actor = None
        if username:
            actor = db.session.scalar(select(User).where(User.username == username.lower()))
            if actor is None or not actor.active or not actor.has_role("admin"):
                click.echo(_("%(name)s is not an active administrator.", name=username),
                           err=True)
                sys.exit(2)
        with file.open("rb") as stream:
            data = stream.read(tables.MAX_BYTES + 1)
        with writing():
            plan = services.import_users(file.name, data, actor=actor, dry_run=dry_run)
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
        status = {"new": _("new"), "changed": _("changed"), "unchanged": _("unchanged")}
        for row in plan.rows:
            password = plan.passwords.get(row.username)
            click.echo(f"{row.row}\t{row.username}\t{status[row.status]}"
                       + (f"\t{password}" if password else ""))
        summary = _("%(new)s new, %(changed)s changed, %(same)s unchanged.",
                    new=plan.count("new"), changed=plan.count("changed"),
                    same=plan.count("unchanged"))
        click.echo(_("Dry run, nothing written: %(summary)s", summary=summary) if dry_run
                   else summary)
