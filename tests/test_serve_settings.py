"""`arzyab serve`: gunicorn's settings that are the product's (app/cli.py)."""

from __future__ import annotations

import os
import sys

from click.testing import CliRunner

from app import cli


def test_serve_keeps_idle_connections_open_for_the_tablets_next_save(app, monkeypatch):
    """Tablets save every 2–5 s over a mobile link: a connection kept for gunicorn's default
    2 s would be closed (or closing) at most saves."""
    monkeypatch.setattr("app.create_app", lambda: app)
    given = {}
    monkeypatch.setattr(cli, "_gunicorn", given.update)
    result = CliRunner().invoke(cli.serve_command, ["--port", "5123", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert given["keepalive"] == cli.KEEPALIVE_SECONDS >= 10
    assert given["worker_class"] == "gthread"  # idle connections wait in the poller, not a thread
    assert (given["bind"], given["workers"], given["threads"]) == ("127.0.0.1:5123", 2, 4)


def test_the_development_server_reloads_on_our_files_and_ignores_installed_ones(
        app, monkeypatch):
    """`serve --dev` reloads when a file of the app changes; it does not poll every installed
    module's file each second (that cost a fifth of a CPU with the server idle)."""
    import flask
    from werkzeug import _reloader, serving

    import app as package

    monkeypatch.setattr("app.create_app", lambda: app)
    given = {}
    monkeypatch.setattr(serving, "run_simple", lambda *args, **kwargs: given.update(kwargs))
    result = CliRunner().invoke(cli.serve_command, ["--dev", "--port", "5124"])
    assert result.exit_code == 0, result.output
    assert given["use_reloader"] is True and given["reloader_type"] == "stat"
    # the files werkzeug's stat reloader then watches
    watched = _reloader._find_stat_paths(set(), set(given["exclude_patterns"]))
    assert cli.__file__ in watched and package.__file__ in watched
    assert flask.__file__ not in watched
    assert not [path for path in watched if path.startswith(sys.prefix + os.sep)]
