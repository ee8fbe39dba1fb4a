"""``arzyab report``: an evaluation's PDF, or every approved report of a cycle with the province
comparison; ``arzyab report verify FILE.pdf`` checks a file against the issued finals."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.cli import LANG_OPTION, _t


def _write(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp made it private; a report is a normal file
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _bytes(body: Path | bytes) -> bytes:
    return body.read_bytes() if isinstance(body, Path) else body


class ReportGroup(click.Group):
    """``arzyab report ID -o FILE`` writes a report (the ``write`` command, the default);
    ``arzyab report verify FILE`` checks one."""

    def parse_args(self, ctx, args):
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["write", *args]
        return super().parse_args(ctx, args)


@click.group("report", cls=ReportGroup)
def report_command():
    """Write the PDF report of an evaluation or a cycle, or verify a report file."""


@report_command.command("write")
@click.argument("evaluation_id", required=False)
@click.option("--cycle", "year", metavar="YEAR",
              help="Jalali year of a cycle (۱۴۰۴ or 1404): every approved evaluation of it "
                   "plus the province comparison, into the directory given by -o.")
@click.option("--province", help="The province of --cycle (default: PROVINCE_NAME).")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="The PDF file to write (a directory with --cycle).")
@LANG_OPTION
@with_appcontext
def write_command(evaluation_id, year, province, output, lang):
    """Write the PDF report of EVALUATION_ID, or with --cycle the reports of a whole cycle.

    An approved evaluation's report is the stored final (rendered once); any other is a
    watermarked draft.
    """
    from app.extensions import db
    from app.i18n import to_latin_digits
    from app.models import Evaluation
    from app.reports import services

    if (evaluation_id is None) == (year is None):
        raise click.UsageError(_t(lang, "Give either an evaluation number or --cycle YEAR."))
    try:
        if evaluation_id is not None:
            number = to_latin_digits(evaluation_id.strip())
            evaluation = db.session.get(Evaluation, int(number)) if number.isdigit() else None
            if evaluation is None:
                click.echo(_t(lang, "No evaluation numbered %(id)s.", id=evaluation_id),
                           err=True)
                sys.exit(1)
            body, filename = services.report_pdf(evaluation)
            target = output / filename if output.is_dir() else output
            _write(target, _bytes(body))
            click.echo(_t(lang, "Wrote %(file)s.", file=target))
            return

        cycle = services.find_cycle(year)
        if cycle is None:
            click.echo(_t(lang, "No evaluation cycle for the year %(year)s.", year=year), err=True)
            sys.exit(1)
        place = services.find_province(province)
        if place is None:
            click.echo(_t(lang, "No province named %(name)s.", name=province or ""), err=True)
            sys.exit(1)
        written = 0
        for evaluation in services.final_evaluations(cycle, place):
            body, filename = services.report_pdf(evaluation)
            _write(output / filename, _bytes(body))
            click.echo(_t(lang, "Wrote %(file)s.", file=output / filename))
            written += 1
        body, filename = services.comparison_pdf(cycle, place)
        _write(output / filename, body)
        click.echo(_t(lang, "Wrote %(file)s.", file=output / filename))
        click.echo(_t(lang, "%(n)s final reports and the comparison written to %(dir)s.",
                      n=written, dir=output))
    except services.ReportError as error:
        click.echo(_t(lang, "The report could not be rendered: %(error)s", error=str(error)),
                   err=True)
        sys.exit(1)


@report_command.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@LANG_OPTION
@with_appcontext
def verify_command(file, lang):
    """Say whether FILE is an issued final report, byte for byte, with valid signatures
    (exit 0), or not (exit 1). Reads the database, not the network."""
    from flask_babel import force_locale

    from app.i18n import format_score
    from app.reports.verify import verify_file

    with force_locale(lang):
        verdict = verify_file(file.read_bytes())
    click.echo(f"{file}: {verdict.message}")
    click.echo(f"sha256 {verdict.sha256}")
    if verdict.facts is not None:
        facts = verdict.facts
        click.echo(_t(lang, "%(code)s: %(municipality)s, %(cycle)s, score %(score)s (%(band)s), "
                            "%(date)s", code=facts.code, municipality=facts.municipality,
                      cycle=facts.cycle, score=format_score(facts.score, lang),
                      band=facts.band or "—", date=facts.date))
    for check in verdict.signatures:
        state = _t(lang, "valid") if check.valid else _t(lang, "NOT valid")
        click.echo(_t(lang, "signature %(field)s by %(name)s (%(reason)s): %(state)s",
                      field=check.field, name=check.name, reason=check.reason, state=state))
    sys.exit(0 if verdict.valid else 1)
