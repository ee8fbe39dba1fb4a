"""Database engine set-up and the writing transaction.

SQLite: WAL, a busy timeout, ``synchronous=FULL``, foreign keys and reads through a memory map
on every connection, and the transaction begun by our own ``BEGIN`` (the driver's implicit one
is turned off) so that a writing use case can take the write lock up front with ``BEGIN
IMMEDIATE``: read-then-write transactions from several processes then queue instead of failing
with "database is locked".
"""

from __future__ import annotations

import contextvars
import fcntl
import logging
import os
from collections.abc import Callable
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.extensions import db

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 15_000
#: how much of an SQLite file is read through a memory map (the rest as usual)
MMAP_SIZE = 256 * 2**20
_AFTER_COMMIT = "arzyab_after_commit"
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
        # read the file through the OS's page cache, shared by every connection and process,
        # instead of each connection's 2 MB cache: at ten cycles a national dashboard query
        # reads ~1,500 evaluations scattered over a 8 MB table, and copying its pages in one
        # by one took a third of the query's time (bench/RESULTS.md, issue 17 part 4)
        cursor.execute(f"PRAGMA mmap_size = {MMAP_SIZE}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


@contextmanager
def writing():
    """Run a use case that writes: one transaction, write lock taken at its start, committed
    at the end or rolled back on any error (nothing half-written is left behind).

    Any read transaction already open in the session is ended first (or carried on, on
    PostgreSQL: see :func:`_end_read_transaction`). Work registered with
    :func:`after_commit` runs once the commit has gone through, outside the transaction.
    """
    session = db.session
    kept = _end_read_transaction(session()) if session().in_transaction() else None
    session.info.pop(_AFTER_COMMIT, None)  # left by a commit made outside writing()
    lock = None if _write_intent.get() else _writers_queue(db.engine)
    token = _write_intent.set(True)
    try:
        if kept is not None and is_sqlite(db.engine):
            kept.exec_driver_sql("BEGIN IMMEDIATE")  # the read transaction's connection
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        session.info.pop(_AFTER_COMMIT, None)
        raise
    finally:
        _write_intent.reset(token)
        if lock is not None:
            os.close(lock)  # lets the next writer in
    for callback in session.info.pop(_AFTER_COMMIT, []):
        try:
            callback()
        except Exception:  # noqa: BLE001 - the commit stands; the work can be redone later
            log.exception("work after commit failed: %s", callback)


def writers_take_turns(engine: Engine) -> bool:
    """Whether writers of this database wait for one turn (SQLite with a file: see
    :func:`_writers_queue`): a use case that reads much before it writes then does best to
    work its writing out before :func:`writing` takes the turn, and check under it that what
    it read still stands."""
    return is_sqlite(engine) and engine.url.database not in (None, "", ":memory:")


def _writers_queue(engine: Engine) -> int | None:
    """SQLite: wait for this database's write turn; returns the file descriptor that holds it
    (closing it passes the turn on), or None for other databases.

    SQLite's own wait for its write lock sleeps 1, 2, 5, 10 … ms between tries, so under
    load a waiting writer keeps missing the moment the lock is free and saves queue for
    seconds. Writers of this application (every process and thread) queue here instead, on an
    exclusive ``flock`` of a file beside the database: the kernel wakes the next one the
    moment the turn is passed on. The turn lasts one writing transaction (released with its
    commit or rollback, or when the process dies); ``BEGIN IMMEDIATE`` and the busy timeout
    still guard against writers that do not queue here (migrations, other tools)."""
    if not writers_take_turns(engine):
        return None
    descriptor = os.open(f"{engine.url.database}-writers", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def _end_read_transaction(session):
    """End what the session did before :func:`writing` began. Everything it loaded is read
    again inside the writing transaction when next used, except this request's user and
    session row, which the session check loaded and verified at the start of the request
    (app.auth.sessions): reloading them would only repeat that check.

    A session that only read (nothing to flush) keeps its connection: on PostgreSQL at READ
    COMMITTED (the default: every statement sees what was committed before it, so carrying
    on is what a new transaction would see) the transaction simply goes on, without a COMMIT
    and a BEGIN; on SQLite the read transaction is committed on the same connection and
    :func:`writing` begins its own with ``BEGIN IMMEDIATE`` once it holds the writers' turn
    (a read transaction is never upgraded to a writing one: under contention that fails
    with SQLITE_BUSY). Returns that connection when :func:`writing` must begin the SQLite
    transaction, else None."""
    from app.models import User, UserSession

    if session.new or session.dirty or session.deleted or _write_intent.get():
        session.commit()
        return None
    connection = _read_connection(session)
    if connection is None:
        session.expire_on_commit = False
        try:
            session.commit()
        finally:
            session.expire_on_commit = True
    for obj in list(session.identity_map.values()):
        if not isinstance(obj, User | UserSession):
            session.expire(obj)
    if connection is not None and is_sqlite(connection.engine):
        connection.exec_driver_sql("COMMIT")
        return connection
    return None


#: isolation levels under which a read transaction may simply go on writing
_CARRY_ON = frozenset({"READ COMMITTED"})


def _read_connection(session):
    """The connection of the session's read-only transaction when :func:`writing` may keep
    it (see :func:`_end_read_transaction`), else None (the transaction is committed)."""
    connection = session.connection()  # the app's one engine (no binds)
    if is_sqlite(connection.engine):
        return connection
    level = (connection.get_execution_options().get("isolation_level")
             or connection.dialect.isolation_level or connection.default_isolation_level)
    return connection if level in _CARRY_ON else None


def after_commit(callback: Callable[[], object]) -> None:
    """Run `callback()` after the current :func:`writing` transaction commits (never when it
    rolls back). Slow work that must not hold the write lock goes here, such as rendering a
    PDF. Outside :func:`writing` nothing runs it: such work must be safe to do later on demand.
    """
    db.session.info.setdefault(_AFTER_COMMIT, []).append(callback)
