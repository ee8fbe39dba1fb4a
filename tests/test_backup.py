"""Backup and restore: a consistent copy restores into an empty database and matches."""

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from app.backup import BackupError, backup, restore, row_counts
from app.extensions import db
from tests.conftest import _close, _make_app


def _fingerprint() -> dict[str, str]:
    """A hash of every row of every table (ordered by primary key)."""
    result = {}
    with db.engine.connect() as connection:
        for table in sorted(inspect(db.engine).get_table_names()):
            if table == "alembic_version":
                continue
            rows = connection.execute(text(f'SELECT * FROM "{table}" ORDER BY 1')).all()
            result[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return result


def test_backup_restores_into_an_empty_database_identically(demo_app, databases, tmp_path):
    archive = tmp_path / "arzyab-backup.tar.gz"
    evidence = Path(demo_app.config["DATA_DIR"]) / "evidence"
    evidence.mkdir(parents=True, exist_ok=True)
    (evidence / "abc.jpg").write_bytes(b"photo bytes")
    with demo_app.app_context():
        manifest = backup(archive)
        before = _fingerprint()
    assert manifest["tables"]["evaluations"] == 9 and archive.stat().st_size > 0

    target_dir = tmp_path / "restored"
    target_dir.mkdir()
    uri = databases.blank(target_dir)
    restored = _make_app(uri, target_dir / "data")
    with restored.app_context():
        restore(archive)
        assert _fingerprint() == before
        assert row_counts()["evaluations"] == 9
        with pytest.raises(BackupError, match="not empty"):
            restore(archive)
        _close(restored)
    assert (target_dir / "data" / "evidence" / "abc.jpg").read_bytes() == b"photo bytes"
    databases.drop(uri)
