"""``arzyab rubric diff OLD NEW``: what changed between two rubric files, in sentences, and
the open evaluations still on OLD when the database is at hand.

The diff needs no database. When the app can be built and its database holds the tables, the
command also lists the evaluations not yet approved that are pinned to the published version
whose text is exactly OLD; otherwise it says why it could not look.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from app.i18n import digits, message


def _t(lang: str, text: str, **params) -> str:
    return message(lang, text, **params)


def diff_files(old: str, new: str, lang: str, *, use_db: bool = True) -> int:
    """Print the differences from OLD to NEW; the exit status (1 when a file is invalid)."""
    from app.authoring.diff import describe_all, diff_rubrics
    from app.rubric import check_rubric, format_problem

    rubrics = []
    for name in (old, new):
        rubric, problems = check_rubric(Path(name), filename=name)
        for problem in problems:
            click.echo(format_problem(problem, name, lang), err=True)
        rubrics.append(rubric)
    if None in rubrics:
        return 1
    before, after = rubrics
    changes = diff_rubrics(before, after)
    def label(value):
        return digits(value, lang)

    click.echo(_t(lang, "From version %(old)s (%(old_file)s) to version %(new)s (%(new_file)s):",
                  old=label(before.version), old_file=old, new=label(after.version),
                  new_file=new))
    if not changes:
        click.echo("  " + _t(lang, "No differences."))
    marker = _t(lang, "affects scores")
    for change, sentence in zip(changes, describe_all(changes, lang), strict=True):
        click.echo(f"- {sentence}" + (f" [{marker}]" if change.affects_scores else ""))
    if use_db:
        _affected(Path(old), lang)
    return 0


class _NoDatabase(Exception):
    """The app has no database holding the published versions."""


def _affected(old: Path, lang: str) -> None:
    """List the open evaluations pinned to OLD's published version, if the database says."""
    from flask import current_app, has_app_context
    from sqlalchemy.exc import SQLAlchemyError

    note = _t(lang, "(The open evaluations could not be listed: no database to read.)")
    if has_app_context():
        app, context = current_app._get_current_object(), None
    else:
        try:
            from app.cli_options import script_info

            app = script_info().load_app()
        except Exception:  # no app to build here: the diff alone is still useful
            click.echo(note, err=True)
            return
        context = app.app_context()
        context.push()
    try:
        _list_pinned(old, lang)
    except (SQLAlchemyError, _NoDatabase):
        click.echo(note, err=True)
    finally:
        if context is not None:
            context.pop()


def _list_pinned(old: Path, lang: str) -> None:
    from sqlalchemy import inspect

    from app.authoring.services import open_evaluations, sha256_of, version_by_sha
    from app.extensions import db

    engine = db.engine
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:" \
            and not os.path.exists(database):
        raise _NoDatabase  # never create an empty database file just to look
    if not inspect(engine).has_table("rubric_versions"):
        raise _NoDatabase
    text = old.read_bytes().decode("utf-8-sig")
    version = version_by_sha(sha256_of(text))
    if version is None:
        click.echo(_t(lang, "No published version has exactly the text of %(file)s, so no "
                            "evaluation is pinned to it.", file=str(old)))
        return
    pinned = open_evaluations([version.id])
    shown_label = digits(version.version_label, lang)
    if not pinned:
        click.echo(_t(lang, "No open evaluation is on version %(label)s.",
                      label=shown_label))
        return
    click.echo(_t(lang, "Open evaluations on version %(label)s (they keep it; these changes "
                        "do not reach them):", label=shown_label))
    from app import workflow

    for evaluation in pinned:
        year = evaluation.cycle.year
        click.echo(f"  - {evaluation.municipality.name} "
                   f"{digits(year, lang)} "
                   f"({workflow.title(evaluation.state, lang)})")
