"""What every ``arzyab`` command shares (the commands of each package use them): the language
option, and the app, built only when a command needs it (a file-only command starts without
Flask)."""

from __future__ import annotations

from functools import update_wrapper

import click

LANG_OPTION = click.option("--lang", type=click.Choice(["fa", "en"]), default="fa",
                           show_default=True, help="Language of the messages.")


def create_app():
    """The app (the factory imported only now)."""
    from app import create_app

    return create_app()


def script_info(ctx: click.Context | None = None):
    """Flask's ScriptInfo of this command line (it builds the app): the one Flask's group
    made, or, under a file-only command, one made now on the root context."""
    from flask.cli import ScriptInfo

    ctx = ctx or click.get_current_context()
    info = ctx.find_object(ScriptInfo)
    if info is None:
        info = ctx.find_root().obj = ScriptInfo(create_app=create_app,
                                                load_dotenv_defaults=False)
    return info


def with_appcontext(f):
    """Flask's ``with_appcontext``, with Flask imported when the command runs."""
    @click.pass_context
    def decorator(ctx, /, *args, **kwargs):
        from flask import current_app

        if not current_app:
            ctx.with_resource(script_info(ctx).load_app().app_context())
        return ctx.invoke(f, *args, **kwargs)

    return update_wrapper(decorator, f)
