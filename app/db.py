"""Database engine set-up and the writing transaction.

SQLite: WAL, a busy timeout, ``synchronous=FULL`` and foreign keys on every connection, and
the transaction begun by our own ``BEGIN`` (the driver's implicit one is turned off) so that a
writing use case can take the write lock up front with ``BEGIN IMMEDIATE``: read-then-write
transactions from several processes then queue instead of failing with "database is locked".
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.extensions import db

BUSY_TIMEOUT_MS = 15_000
_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent",
                                                                     default=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def configure_engine(engine: Engine) -> None:
    if not is_sqlite(engine):
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


@contextmanager
def writing():
    """Run a use case that writes: one transaction, write lock taken at its start, committed
    at the end or rolled back on any error (nothing half-written is left behind).

    Any read transaction already open in the session is ended first.
    """
    session = db.session
    if session().in_transaction():
        session.commit()
    token = _write_intent.set(True)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _write_intent.reset(token)
