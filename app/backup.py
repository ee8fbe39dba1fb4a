"""Consistent backups and restores: the database and the files under DATA_DIR in one archive.

SQLite is copied with its online backup API (a consistent snapshot while the app runs);
PostgreSQL with ``pg_dump``. Photos and stored reports are added beside it, and a manifest
records the schema revision and the row count of every table so a restore can be checked.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect, text

from app.extensions import db

FORMAT = 1


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why."""


def row_counts() -> dict[str, int]:
    tables = sorted(inspect(db.engine).get_table_names())
    with db.engine.connect() as connection:
        return {t: connection.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one()
                for t in tables}


def _revision() -> str | None:
    with db.engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception:  # noqa: BLE001 - no alembic table: not a migrated database
            return None


def backup(target: Path) -> dict:
    """Write a backup archive to `target` (.tar.gz); return its manifest."""
    engine = db.engine
    data_dir = Path(current_app.config["DATA_DIR"])
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        if engine.dialect.name == "sqlite":
            dump = work / "database.sqlite"
            source = sqlite3.connect(engine.url.database)
            try:
                with sqlite3.connect(dump) as copy:
                    source.backup(copy)
            finally:
                source.close()
        else:
            dump = work / "database.pgdump"
            _run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}",
                  _libpq_url(engine.url)])
        manifest = {"format": FORMAT, "dialect": engine.dialect.name,
                    "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "revision": _revision(), "tables": row_counts()}
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2))
        partial = target.with_name(target.name + ".part")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(work / "manifest.json", "manifest.json")
            archive.add(dump, dump.name)
            if data_dir.exists():
                archive.add(data_dir, "data")
        partial.replace(target)
    return manifest


def restore(source: Path) -> dict:
    """Restore an archive made by :func:`backup` into the configured, empty database."""
    engine = db.engine
    if any(count for count in _existing_counts().values()):
        raise BackupError("the target database is not empty; restore only into an empty one")
    data_dir = Path(current_app.config["DATA_DIR"])
    with tempfile.TemporaryDirectory() as work, tarfile.open(source, "r:gz") as archive:
        work = Path(work)
        archive.extractall(work, filter="data")
        manifest = json.loads((work / "manifest.json").read_text())
        if manifest.get("format") != FORMAT:
            raise BackupError("this archive was made by another version of the backup format")
        if manifest["dialect"] != engine.dialect.name:
            raise BackupError(f"the archive holds a {manifest['dialect']} database; "
                              f"the target is {engine.dialect.name}")
        db.session.remove()
        engine.dispose()
        if engine.dialect.name == "sqlite":
            target = Path(engine.url.database)
            for suffix in ("-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            shutil.copyfile(work / "database.sqlite", target)
        else:
            _run(["pg_restore", "--no-owner", "--exit-on-error",
                  f"--dbname={_libpq_url(engine.url)}", str(work / "database.pgdump")])
        if (work / "data").exists():
            shutil.copytree(work / "data", data_dir, dirs_exist_ok=True)
    restored = row_counts()
    if restored != manifest["tables"]:
        raise BackupError(f"restored row counts differ from the archive's: {restored}")
    return manifest


def _existing_counts() -> dict[str, int]:
    try:
        return row_counts()
    except Exception:  # noqa: BLE001
        return {}


def _libpq_url(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError as error:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)") from error
    except subprocess.CalledProcessError as error:
        raise BackupError(f"{command[0]} failed: {error.stderr.strip()[:500]}") from error
