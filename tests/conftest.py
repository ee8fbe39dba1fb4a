"""Shared fixtures: an app on a real SQLite database, migrated once per session and copied
fresh for every test (fast, and nothing leaks between tests); the demo data the same way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app import create_app

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def _make_app(db_path: Path, data_dir: Path, **extra):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
        "SECRET_KEY": "test-secret-key-0123456789",
        "DATA_DIR": str(data_dir),
        **extra,
    }
    return create_app(config)


@pytest.fixture(scope="session")
def template_dbs(tmp_path_factory):
    """Two database files: migrated and empty; migrated with the Qom demo data."""
    from flask_migrate import upgrade

    from app.demo import create_demo

    base = tmp_path_factory.mktemp("templates")
    empty, demo = base / "empty.sqlite", base / "demo.sqlite"
    app = _make_app(empty, base / "data")
    with app.app_context():
        upgrade()
        _close(app)
    shutil.copy(empty, demo)
    app = _make_app(demo, base / "data")
    with app.app_context():
        create_demo()
        _close(app)
    return {"empty": empty, "demo": demo}


def _close(app):
    """Fold the WAL into the database file and close every connection, so it can be copied."""
    from app.extensions import db

    db.session.remove()
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.engine.dispose()


def _app_from(template: Path, tmp_path: Path, **extra):
    db_path = tmp_path / "test.sqlite"
    shutil.copy(template, db_path)
    app = _make_app(db_path, tmp_path / "data", **extra)
    yield app
    with app.app_context():
        _close(app)


@pytest.fixture
def app(template_dbs, tmp_path):
    """An app on a fresh copy of the migrated, empty database."""
    yield from _app_from(template_dbs["empty"], tmp_path)


@pytest.fixture
def demo_app(template_dbs, tmp_path):
    """An app on a fresh copy of the database with the Qom demo data."""
    yield from _app_from(template_dbs["demo"], tmp_path)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def demo_ctx(demo_app):
    with demo_app.app_context():
        yield demo_app


@pytest.fixture
def client(demo_app):
    return demo_app.test_client()


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
