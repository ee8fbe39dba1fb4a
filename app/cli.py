"""The ``arzyab`` command line, built on Flask's CLI (``arzyab db upgrade`` comes from
Flask-Migrate). Commands that read files print translated messages, never a traceback.

The file-only commands (``rubric``, ``score``) start without Flask: importing Flask's CLI,
its plugin commands and the app factory costs about a second of CPU, which a rubric author
checking a file need not pay. Flask is imported when a command needs the app.
"""

from __future__ import annotations

import json
import os
import sys
from functools import cache
from pathlib import Path

import click

from app.cli_options import LANG_OPTION, create_app, with_appcontext
from app.i18n import criterion_id, digits, format_score, list_separator
from app.i18n import message as _message


def _t(lang: str, message: str, **params) -> str:
    """`message` in `lang`, its number parameters in the reader's digits."""
    return _message(lang, message, **params)


#: what Flask's group gives its commands' options: FLASK_… environment variables
_SETTINGS = {"auto_envvar_prefix": "FLASK"}


class _Arzyab(click.Group):
    """``arzyab``: a command line that names one of this group's own (file-only) commands
    first runs here, without Flask; any other one (the app's commands, ``--help``, Flask's
    options) runs through Flask's group, which holds these commands too."""

    def main(self, args=None, prog_name=None, **extra):
        args = sys.argv[1:] if args is None else list(args)
        if args and args[0] in self.commands:
            return super().main(args, prog_name, **extra)
        return _flask_group().main(args, prog_name, **extra)


@click.group(cls=_Arzyab, context_settings=_SETTINGS)
def main():
    """Arzyab (ارزیاب): municipal performance evaluation."""


@cache
def _flask_group():
    """Flask's group of ``arzyab``: this module's commands and the app's (loaded by Flask)."""
    from flask.cli import FlaskGroup

    return FlaskGroup(name=main.name, help=main.help, commands=dict(main.commands),
                      context_settings=dict(_SETTINGS), create_app=create_app,
                      load_dotenv=False, add_default_commands=False, add_version_option=False)


def register_commands(app) -> None:
    """Called by the factory: the commands that need the app and its database."""
    app.cli.add_command(demo_command)
    app.cli.add_command(serve_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(reports_group)
    app.cli.add_command(restore_command)
    from app.admin.cli import municipalities_group, users_group
    app.cli.add_command(municipalities_group)
    app.cli.add_command(users_group)
    from app.reports.cli import report_command
    app.cli.add_command(report_command)


# --- rubric ------------------------------------------------------------------------------------

@click.group("rubric")
def rubric_group():
    """Check and publish rubric files."""


@rubric_group.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@LANG_OPTION
def rubric_check(files, lang):
    """Validate rubric FILES; exit 1 listing every problem when any is invalid."""
    from app.rubric import check_rubric, format_problem
    from app.rubric.examples import check_examples

    failed = False
    for name in files:
        rubric, problems = check_rubric(Path(name), filename=name)
        if rubric is not None:
            problems = list(problems) + check_examples(rubric)
        for problem in problems:
            click.echo(format_problem(problem, name, lang))
        if problems:
            failed = True
            click.echo(_t(lang, "%(file)s: %(n)s problem(s) found.", file=name,
                          n=len(problems)), err=True)
        else:
            click.echo(_t(lang, "%(file)s: valid (%(units)s units, %(criteria)s criteria).",
                          file=name, units=len(rubric.units),
                          criteria=sum(1 for _ in rubric.criteria())))
    sys.exit(1 if failed else 0)


@rubric_group.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@LANG_OPTION
@with_appcontext
def rubric_publish(file, lang):
    """Publish FILE as a new immutable rubric version (unchanged content: nothing to do)."""
    from flask_babel import force_locale

    from app.authoring.services import PublishRefused, publish_file
    from app.db import writing
    from app.rubric import RubricError, format_problem

    try:
        with force_locale(lang), writing():  # the refusal in the language asked for
            version, created = publish_file(Path(file))
            label, digest = version.version_label, version.sha256
    except RubricError as error:
        for problem in error.problems:
            click.echo(format_problem(problem, file, lang))
        sys.exit(1)
    except PublishRefused as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    key = "Published version %(label)s (%(sha)s)." if created else \
        "Unchanged: version %(label)s (%(sha)s) is already published."
    click.echo(_t(lang, key, label=digits(label, lang), sha=digest[:12]))


@rubric_group.command("diff")
@click.argument("old", type=click.Path(exists=True, dir_okay=False))
@click.argument("new", type=click.Path(exists=True, dir_okay=False))
@LANG_OPTION
@click.option("--no-db", is_flag=True, help="Do not look up the open evaluations on OLD.")
def rubric_diff(old, new, lang, no_db):
    """Say in words what changed from rubric file OLD to NEW, and which open evaluations are
    on OLD (when the database is at hand)."""
    from app.authoring.cli import diff_files

    sys.exit(diff_files(old, new, lang, use_db=not no_db))


# --- score -------------------------------------------------------------------------------------

@click.command("score")
@click.argument("rubric_file", type=click.Path(dir_okay=False))
@click.argument("answers_file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the score card as JSON.")
@LANG_OPTION
def score_command(rubric_file, answers_file, as_json, lang):
    """Score an ANSWERS file (YAML or JSON) against a RUBRIC file."""
    from app.rubric import check_rubric, format_problem, load_answers
    from app.rubric.errors import RubricError
    from app.scoring import score

    rubric, problems = check_rubric(Path(rubric_file), filename=rubric_file)
    if problems:
        for problem in problems:
            click.echo(format_problem(problem, rubric_file, lang), err=True)
        sys.exit(1)
    try:
        sheet = load_answers(Path(answers_file), rubric, filename=answers_file)
    except RubricError as error:
        for problem in error.problems:
            click.echo(format_problem(problem, answers_file, lang), err=True)
        sys.exit(1)
    card = score(rubric, sheet.tier_id, sheet.answers, sheet.municipality)
    if as_json:
        click.echo(json.dumps(card.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(_t(lang, "Tier: %(tier)s", tier=card.tier_id))
    for unit in card.units:
        title = rubric.unit(unit.id).title
        if unit.evaluated:
            click.echo(f"  {title}: {format_score(unit.score, lang)} "
                       f"({format_score(unit.raw, lang)}) {unit.band}")
        elif unit.applicable:
            click.echo(f"  {title}: " + _t(lang, "not evaluated"))
    for gate, result in zip(rubric.gates, card.gates, strict=True):
        state = _t(lang, "met") if result.met else _t(lang, "not met")
        click.echo("  " + _t(lang, "Verdict rule %(rule)s: %(state)s",
                             rule=gate.title or gate.id, state=state))
    if card.gated:
        click.echo(_t(lang, "Before the verdict rules: %(score)s (raw %(raw)s)",
                      score=format_score(card.ungated, lang),
                      raw=format_score(card.raw_ungated, lang)))
    click.echo(_t(lang, "Overall: %(score)s (raw %(raw)s), band %(band)s",
                  score=format_score(card.score, lang),
                  raw=format_score(card.raw, lang), band=card.band or "—"))
    if card.missing:
        click.echo(_t(lang, "Not answered yet: %(ids)s",
                      ids=list_separator(lang).join(criterion_id(cid, lang)
                                                    for cid in card.missing)))


# --- demo and serve ----------------------------------------------------------------------------

@click.command("demo")
@with_appcontext
def demo_command():
    """Create the Qom province demo data (idempotent) and print the logins."""
    from app.demo import DEMO_LOGINS, DEMO_PASSWORD, create_demo, demo_certificate

    summary = create_demo()
    click.echo(f"Demo data ready: {summary}")
    click.echo(f"Demo signing certificate (self-signed, not for official use): "
               f"{demo_certificate()}")
    click.echo("Logins (password: {}): {}".format(DEMO_PASSWORD, ", ".join(DEMO_LOGINS)))
    for description in DEMO_LOGINS.values():
        click.echo(f"  {description}")


#: how long a gunicorn worker keeps an idle connection open for the next request (gunicorn's
#: default is 2 s). An inspector's tablet saves every few seconds while working and talks to
#: the server directly over a mobile link, where a new connection costs a round trip of
#: 100–600 ms (more with TLS) and the server an accept, a new socket and a close per save; at
#: 2 s most saves (every 2–5 s) found their connection closed, or raced its closing. An idle
#: kept-alive connection costs a gthread worker a descriptor in its poller, not a thread
#: (a slow client holds no thread while idle), and gunicorn closes kept-alive connections
#: beyond `worker_connections` (1,000 a worker) itself. The load benchmark serves with the same
#: (bench/_server.py).
KEEPALIVE_SECONDS = 30


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="gunicorn worker processes [default: one per CPU, 2 to 4]")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True,
              help="threads per gunicorn worker")
@click.option("--dev", is_flag=True,
              help="Flask's development server instead (one process, reloads on code changes)")
def serve_command(host, port, workers, threads, dev):
    """Run the app under gunicorn (or, with --dev, Flask's development server)."""
    from app import create_app

    # once here, before any worker starts: the configuration is checked (a clear error, not
    # one per worker) and a development secret key is written once, not raced by the workers
    app = create_app()
    if dev:
        from werkzeug.serving import run_simple

        click.echo(f"Arzyab is running at http://{host}:{port}/ (Flask's development server)")
        # the reloader watches our own files: polling every installed module's file each
        # second cost a fifth of a CPU while the server stood idle
        installed = {f"{prefix}{os.sep}*" for prefix in {sys.prefix, sys.base_prefix}}
        run_simple(host, port, app, threaded=True, use_reloader=True, reloader_type="stat",
                   exclude_patterns=installed)
        return
    from app.extensions import db

    with app.app_context():
        db.engine.dispose()  # no connection of this process is inherited by a worker
    workers = workers or min(4, max(2, os.cpu_count() or 2))
    _gunicorn({"bind": f"{host}:{port}", "workers": workers, "threads": threads,
               "worker_class": "gthread", "timeout": 120, "graceful_timeout": 20,
               "keepalive": KEEPALIVE_SECONDS,
               # gunicorn 27's control socket is one path per user: a second server (the
               # load benchmark, another checkout) would take it over
               "control_socket_disable": True,
               "when_ready": lambda _server: click.echo(
                   f"Arzyab is running at http://{host}:{port}/ (gunicorn on port {port}, "
                   f"{workers} workers × {threads} threads)")})


def _gunicorn(options: dict) -> None:
    """Run gunicorn with `options` (its settings' names); each worker builds its own app."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                if key in self.cfg.settings:  # settings older gunicorns do not have
                    self.cfg.set(key, value)

        def load(self):
            from app import create_app

            return create_app()

    Server().run()


# --- batches of reports ------------------------------------------------------------------------

@click.group("reports")
def reports_group():
    """Batches of final reports."""


@reports_group.command("prepare")
@click.option("--cycle", "year", required=True, help="The Jalali year, e.g. ۱۴۰۴.")
@with_appcontext
def reports_prepare(year):
    """Render every missing final report of a cycle (through RQ when REDIS_URL is set)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.i18n import to_latin_digits
    from app.models import EvaluationCycle
    from app.reports.batch import prepare_cycle

    cycle = db.session.scalar(select(EvaluationCycle).where(
        EvaluationCycle.year == int(to_latin_digits(year)) if to_latin_digits(year).isdigit()
        else False))
    if cycle is None:
        click.echo(f"no cycle {year}", err=True)
        sys.exit(1)
    result = prepare_cycle(cycle.id)
    click.echo(f"queued {len(result['queued'])}, rendered {len(result['rendered'])}")


# --- backup and restore ------------------------------------------------------------------------

@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(target):
    """Write a consistent backup (database + photos + stored reports) to TARGET (.tar.gz)."""
    from app.backup import BackupError, backup

    try:
        manifest = backup(Path(target))
    except BackupError as error:
        click.echo(f"backup failed: {error}", err=True)
        sys.exit(1)
    rows = sum(manifest["tables"].values())
    click.echo(f"backup written to {target}: {len(manifest['tables'])} tables, {rows} rows")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def restore_command(source):
    """Restore a backup made by `arzyab backup` into the configured, empty database."""
    from app.backup import BackupError, restore

    try:
        manifest = restore(Path(source))
    except BackupError as error:
        click.echo(f"restore failed: {error}", err=True)
        sys.exit(1)
    click.echo(f"restored {sum(manifest['tables'].values())} rows "
               f"(schema {manifest['revision']})")


# the file-only commands work without building the app (no database needed)
main.add_command(rubric_group)
main.add_command(score_command)


if __name__ == "__main__":
    main()
