"""Exports built in the background: the answers of a cycle as XLSX, which takes tens of seconds
for the whole country. Like report batches (``app.reports.batch``), the job goes to the RQ
queue when ``REDIS_URL`` is set (``rq worker arzyab-exports``) and runs in a thread of this
process otherwise.

A job is a folder-less pair of files under ``DATA_DIR/exports``: ``<token>.json`` (who asked,
the file's name, how far it got, whether it is done or failed; replaced atomically at each
step, so any server process reads a whole one) and ``<token>.xlsx`` once done. The token is
random; only the user who started a job can see its progress and download its file. Files
older than :data:`KEEP` are deleted when a new job starts.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import secrets
import threading
from pathlib import Path

from flask import current_app

from app.extensions import db

log = logging.getLogger(__name__)

QUEUE = "arzyab-exports"
JOB_TIMEOUT = 1800
#: finished exports are kept this long
KEEP = dt.timedelta(hours=24)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


def folder(data_dir: str | Path | None = None) -> Path:
    path = Path(data_dir or current_app.config["DATA_DIR"]) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write(path: Path, state: dict) -> None:
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(state, ensure_ascii=False))
    os.replace(partial, path)


def state(token: str, user_id: int) -> dict | None:
    """The job's state (None when there is no such job of this user)."""
    if not _TOKEN.fullmatch(token or ""):
        return None
    try:
        found = json.loads((folder() / f"{token}.json").read_text())
    except (OSError, ValueError):
        return None
    return found if found.get("user_id") == user_id else None


def file_of(token: str, user_id: int) -> Path | None:
    """The finished file of the job, or None."""
    found = state(token, user_id)
    if found is None or found.get("state") != "done":
        return None
    path = folder() / f"{token}.xlsx"
    return path if path.is_file() else None


def start_answers_xlsx(user, query: dict, lang: str, filename: str) -> str:
    """Queue (or start) the answers XLSX of the dashboard query `query` as `user` sees it,
    in language `lang`; return the job's token."""
    _forget_old(folder())
    token = secrets.token_urlsafe(18)
    path = folder() / f"{token}.json"
    _write(path, {"user_id": user.id, "filename": filename, "state": "queued", "done": 0,
                  "total": 0, "created": dt.datetime.now(dt.UTC).isoformat()})
    args = (token, user.id, query, lang, str(current_app.config["DATA_DIR"]))
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        try:
            from redis import Redis
            from rq import Queue

            Queue(QUEUE, connection=Redis.from_url(redis_url)).enqueue(
                build_answers_xlsx, *args, job_timeout=JOB_TIMEOUT, job_id=f"export-{token}")
            return token
        except Exception:  # noqa: BLE001 - Redis unreachable: build it here instead
            log.exception("export queue unreachable; building the export in-process")
    app = current_app._get_current_object()
    threading.Thread(target=_in_thread, args=(app, *args), daemon=True,
                     name=f"export-{token[:6]}").start()
    return token


def _in_thread(app, *args) -> None:
    with app.app_context():
        _build(*args)


def build_answers_xlsx(token: str, user_id: int, query: dict, lang: str,
                       data_dir: str) -> str:
    """The job an RQ worker runs: build the app from the environment and write the file."""
    from app import create_app

    app = create_app()
    with app.app_context():
        try:
            return _build(token, user_id, query, lang, data_dir)
        finally:
            db.session.remove()
            db.engine.dispose()


def _build(token: str, user_id: int, query: dict, lang: str, data_dir: str) -> str:
    """Write the file; the job's state says how it went (a failure is logged, not raised:
    the page shows it)."""
    from flask_babel import force_locale

    from app.dashboard import exports, filters, queries
    from app.dashboard.presentation import digits
    from app.i18n import _
    from app.models import User

    path = folder(data_dir) / f"{token}.json"
    job = json.loads(path.read_text())
    try:
        # a request of the user's language, so that every text of the file is in it
        with current_app.test_request_context("/dashboard/"), force_locale(lang):
            user = db.session.get(User, user_id)
            scope = queries.province_scope(user)
            f = filters.parse(query, scope=scope, cycles=queries.cycles(),
                              provinces=[pid for pid, _name in queries.provinces(scope)],
                              legend_for=queries.legend)
            job["state"] = "running"
            _write(path, job)

            def progress(done: int, total: int) -> None:
                job.update(done=done, total=total)
                _write(path, job)

            columns, rows = exports.answers_table(f, user, progress=progress)
            partial = folder(data_dir) / f"{token}.xlsx.partial"
            title = _("Answers %(year)s", year=digits(f.year or ""))
            exports.to_xlsx(columns, rows, title, target=partial)
            os.replace(partial, folder(data_dir) / f"{token}.xlsx")
        job["state"] = "done"
    except Exception:  # noqa: BLE001 - told on the job's page
        log.exception("export %s failed", token)
        job["state"] = "failed"
    finally:
        _write(path, job)
        db.session.remove()
    return token


def _forget_old(where: Path) -> None:
    limit = dt.datetime.now().timestamp() - KEEP.total_seconds()
    for path in where.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass
