"""app.db.writing() after a request has read (the session check's statement always has): the
writing transaction sees what others committed since, takes the write lock at its start, and
keeps the read transaction's connection (SQLite: committed and begun again on it with
BEGIN IMMEDIATE; PostgreSQL at READ COMMITTED: carried on). On both databases."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event, select, text, update

from app.db import is_sqlite, writing
from app.extensions import db
from app.models import Municipality, User


def _first_town(session):
    return session.scalar(select(Municipality).order_by(Municipality.id))


def test_a_write_after_a_read_sees_what_another_connection_committed_meanwhile(demo_app):
    with demo_app.app_context():
        town = _first_town(db.session)  # the read transaction (its snapshot, on SQLite)
        town_id, population = town.id, town.population or 0
        with db.engine.connect() as other:  # another server commits meanwhile
            other.execute(update(Municipality).where(Municipality.id == town_id)
                          .values(population=population + 7))
            other.commit()
        with writing():
            # a read transaction upgraded on SQLite would fail here (its snapshot is old) or
            # read the old figure; the object loaded before is read again
            assert db.session.get(Municipality, town_id).population == population + 7
            town.population = town.population + 1
        db.session.remove()
    with demo_app.app_context():
        assert db.session.get(Municipality, town_id).population == population + 8


def test_the_user_read_before_stays_loaded_and_everything_else_is_read_again(demo_app):
    with demo_app.app_context():
        user = db.session.scalar(select(User).order_by(User.id))
        town = _first_town(db.session)
        with writing():
            assert "username" in user.__dict__  # the session check's user: not reloaded
            assert "population" not in town.__dict__  # expired: read again when used
        db.session.remove()


def test_one_connection_for_the_read_and_the_writing_transaction(demo_app):
    """The read's connection is kept: no return to the pool and second check-out between
    them; on PostgreSQL no COMMIT either (one transaction)."""
    checkouts, commits = [], []

    def checked_out(*_args):
        checkouts.append(1)

    def committed(*_args):
        commits.append(1)

    with demo_app.app_context():
        engine = db.engine
        event.listen(engine, "checkout", checked_out)
        event.listen(engine, "commit", committed)
        try:
            town = _first_town(db.session)
            with writing():
                town.population = (town.population or 0) + 1
        finally:
            event.remove(engine, "checkout", checked_out)
            event.remove(engine, "commit", committed)
        assert len(checkouts) == 1
        assert len(commits) == 1  # the writing transaction's (SQLite: the read's COMMIT is
        # sent on the connection itself)
        db.session.remove()


@pytest.mark.sqlite_only
def test_sqlite_the_writing_transaction_holds_the_write_lock_from_its_start(demo_app):
    with demo_app.app_context():
        assert is_sqlite(db.engine)
        _first_town(db.session)  # a read first, as every request's session check
        with writing():
            db.session.execute(text("SELECT 1"))
            other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
            try:  # another process's writer, not queued: refused at once
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()
        db.session.remove()
