"""`arzyab serve`: gunicorn's settings that are the product's (app/cli.py)."""

from __future__ import annotations

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
