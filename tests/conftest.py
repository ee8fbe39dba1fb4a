"""Shared fixtures: an app on a real database, migrated once per session and copied fresh for
every test (fast, and nothing leaks between tests); the Qom demo data the same way.

SQLite by default (a template file copied per test). With ARZYAB_TEST_POSTGRES set to a server
URL (scripts/test-postgres.sh does it), the same tests run on PostgreSQL, each on a database
created from a template database. The app objects themselves are built once per template and
reused (`_apps`): each test gets its app on a fresh database, configuration and data directory.

Safe under pytest-xdist (scripts/test.sh runs the suite on several workers). On SQLite the
session's templates (the empty and demo databases, and the larger ones some modules build on
them: the access matrix's world, the issued finals) are built once for all workers: the first
worker to need one builds it while holding a lock in the directory the workers share
(`build_once`), the others wait for it and copy its file into their own temporary directory
(pytest gives each worker its own). On PostgreSQL each worker builds its own, under database
names carrying the worker's id.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from tests import render_cache

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
POSTGRES = os.environ.get("ARZYAB_TEST_POSTGRES")
#: "gw0", "gw1", … under pytest-xdist; "main" in a plain run
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
_counter = itertools.count()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "real_renders: every report this test renders runs WeasyPrint afresh "
                   "(tests/render_cache.py)")
    config.addinivalue_line(
        "markers", "sqlite_only: about SQLite itself (its locks); left out of the PostgreSQL "
                   "run, not skipped there")
    render_cache.install()


def uses_database(item) -> bool:
    """Whether a test reaches the test database: the one rule that decides which tests run
    again on PostgreSQL. `databases` is the only fixture that reads ARZYAB_TEST_POSTGRES, and
    every database fixture (`app`, `demo_app`, `client`, the module worlds …) depends on it,
    so a test whose fixture closure lacks it runs the same code on both runs. A test that
    fetches it by name at run time (`request.getfixturevalue`) is caught by `_database_rule`."""
    return "databases" in getattr(item, "fixturenames", ())


def _runs_on_postgres(item) -> bool:
    return uses_database(item) and item.get_closest_marker("sqlite_only") is None


def split_for_postgres(items) -> tuple[list, list]:
    """(kept, deselected): on PostgreSQL only the tests that use a database run again, except
    those about SQLite itself (marked ``sqlite_only``)."""
    kept = [item for item in items if _runs_on_postgres(item)]
    return kept, [item for item in items if not _runs_on_postgres(item)]


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL, the tests that use no database (and those about SQLite itself) are
    deselected: the SQLite run (CI's first half) has run exactly those already. Then the long
    tests first — the browser tests, then the PDF tests — each group in its usual order: under
    xdist's work stealing the workers then end on short tests together, instead of one of them
    starting a minute-long browser test when the other has nothing left."""
    if POSTGRES:
        kept, deselected = split_for_postgres(items)
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = kept

    def weight(item):
        if item.get_closest_marker("browser"):
            return 0
        return 1 if item.get_closest_marker("pdf") else 2

    items.sort(key=weight)  # stable: the order within each group is kept


#: how many times a test database was handed out (a template, a copy, a reset)
_database_count = [0]


def _used_database() -> None:
    _database_count[0] += 1


@pytest.fixture(autouse=True)
def _database_rule(request):
    """Fails a test that got a database without `databases` in its fixture closure (fetched
    by name at run time): `uses_database` would deselect it on PostgreSQL by mistake."""
    before = _database_count[0]
    yield
    if _database_count[0] != before and not uses_database(request.node):
        pytest.fail(f"{request.node.nodeid} uses a test database without asking for a "
                    "database fixture by name: tests/conftest.py's uses_database would leave "
                    "it out of the PostgreSQL run; name the fixture in its arguments")


def session_dir(tmp_path_factory) -> Path:
    """A directory every worker of this session shares (and no other session): under
    pytest-xdist each worker's base directory lies in the session's own."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if WORKER != "main" else base


@pytest.fixture(scope="session", autouse=True)
def _shared_renders(tmp_path_factory):
    """The session's workers read each other's renders (tests/render_cache.py)."""
    where = os.environ.get("ARZYAB_TEST_RENDER_CACHE")
    folder = Path(where) if where else session_dir(tmp_path_factory) / "renders"
    folder.mkdir(parents=True, exist_ok=True)
    render_cache.shared_dir = folder
    yield
    render_cache.shared_dir = None


def pytest_runtest_setup(item):
    render_cache.enabled = item.get_closest_marker("real_renders") is None
    render_cache.new_test()


def pytest_sessionfinish(session):
    where = os.environ.get("ARZYAB_TEST_RENDER_STATS")
    if where:
        Path(where, f"{WORKER}.txt").write_text(repr(render_cache.stats))


def _make_app(uri: str, data_dir: Path, **extra):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": uri,
        "SECRET_KEY": "test-secret-key-0123456789",
        "DATA_DIR": str(data_dir),
        # each test is a server of its own: the workers' renders never queue for each other's
        # slots (the lock files are per server, the instance folder by default)
        "REPORT_LOCK_DIR": str(data_dir / "locks"),
        "RATELIMIT_STORAGE_URI": "bounded-memory://",  # never a REDIS_URL from the shell
        # the production limit (60 s) is not what these tests check, and a report can take
        # longer than that on a shared machine at a load of 15; the limit's own tests set theirs
        "REPORT_TIMEOUT": 300,
        # the form page's autosave timers (read by the page from its JSON, the same code path):
        # the browser tests wait for each save, and the production pause (800 ms after the
        # last change) and back-off (2 s first) were most of those waits; sync.js's own tests
        # (tests/js) check the timers' behaviour with a fake clock. The browser tests do not
        # depend on how many batches two fills in a row make (tests/browser/
        # test_offline_browser.py's refused corrections: one batch or two, each sent once)
        "AUTOSAVE_DEBOUNCE_MS": 300,
        "AUTOSAVE_RETRY_MS": [250, 500, 1000, 2000, 3000],
        **extra,
    }
    return create_app(config)


def _close(app):
    """Close every connection (and on SQLite fold the WAL in), so the database can be copied."""
    from app.extensions import db

    db.session.remove()
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.engine.dispose()


@contextmanager
def _session_lock(path: Path):
    """`path` (a lock file) held by this process against the session's other workers."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class SQLiteDatabases:
    def __init__(self, base: Path, shared: Path):
        self.base = base
        #: the templates the session's workers share (`build_once`)
        self.shared = shared

    def build_once(self, name: str, build, data: Path | None = None) -> None:
        """The template `name` as `build()` makes it (in this worker's directory, its
        connections closed), built once for the session: the first worker builds it and
        leaves a copy (and of the directory `data`, when the template comes with files) in
        the shared directory; every other worker copies that instead of building again."""
        kept, kept_data = self.shared / f"{name}.sqlite", self.shared / f"{name}.data"
        with _session_lock(self.shared / f"{name}.lock"):
            if kept.exists():
                shutil.copy(kept, self.base / f"{name}.sqlite")
                if data is not None:
                    shutil.copytree(kept_data, data, dirs_exist_ok=True)
                return
            build()
            if data is not None:
                shutil.copytree(data, self.shared / f".{name}.data.part")
                os.replace(self.shared / f".{name}.data.part", kept_data)
            shutil.copy(self.base / f"{name}.sqlite", self.shared / f".{name}.sqlite.part")
            os.replace(self.shared / f".{name}.sqlite.part", kept)  # last: the template is whole

    def uri(self, name: str) -> str:
        _used_database()
        return f"sqlite:///{self.base / (name + '.sqlite')}"

    def template(self, name: str) -> str:
        return self.uri(name)

    def copy_template(self, source: str, target: str) -> None:
        shutil.copy(self.base / f"{source}.sqlite", self.base / f"{target}.sqlite")

    def fresh(self, template: str, tmp_path: Path) -> str:
        _used_database()
        path = tmp_path / "test.sqlite"
        shutil.copy(self.base / f"{template}.sqlite", path)
        return f"sqlite:///{path}"

    def reset(self, template: str, name: str) -> str:
        """The database `name` made a fresh copy of `template` (its app's engine disposed)."""
        _used_database()
        path = self.base / f"{name}.sqlite"
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        shutil.copy(self.base / f"{template}.sqlite", path)
        return f"sqlite:///{path}"

    def blank(self, tmp_path: Path) -> str:
        """A database with no tables at all."""
        _used_database()
        return f"sqlite:///{tmp_path / 'blank.sqlite'}"

    def drop(self, uri: str) -> None:
        pass

    def close(self) -> None:
        pass


class PostgresDatabases:
    def __init__(self, server_url: str):
        self.server = sa.engine.make_url(server_url)
        self.admin = sa.create_engine(self.server, isolation_level="AUTOCOMMIT")
        self.prefix = f"arzyab_test_{WORKER}_{os.getpid()}"
        self._snapshots: dict[str, tuple] = {}
        self._engines: dict[str, sa.Engine] = {}

    def _url(self, name: str) -> str:
        return self.server.set(database=name).render_as_string(hide_password=False)

    def uri(self, name: str) -> str:
        _used_database()
        return self._url(f"{self.prefix}_{name}")

    def _create(self, name: str, template: str | None = None) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            suffix = f' TEMPLATE "{template}"' if template else ""
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"{suffix}')

    def template(self, name: str) -> str:
        _used_database()
        full = f"{self.prefix}_{name}"
        self._create(full)
        return self._url(full)

    def copy_template(self, source: str, target: str) -> None:
        self._create(f"{self.prefix}_{target}", f"{self.prefix}_{source}")

    def build_once(self, name: str, build, data: Path | None = None) -> None:
        """Each worker builds its own templates on PostgreSQL."""
        build()

    def fresh(self, template: str, tmp_path: Path) -> str:
        _used_database()
        name = f"{self.prefix}_t{next(_counter)}"
        self._create(name, f"{self.prefix}_{template}")
        return self._url(name)

    def reset(self, template: str, name: str) -> str:
        """The database `name` with the rows of `template` again. Created from the template
        once; after that its tables are emptied and refilled from a copy of the template's
        rows kept in memory (COPY), and its sequences set back: several times cheaper than
        CREATE DATABASE, which copies the whole catalogue each time."""
        _used_database()
        full = f"{self.prefix}_{name}"
        if full not in self._snapshots:
            with self.admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{full}" WITH (FORCE)')
            self._create(full, f"{self.prefix}_{template}")
            self._snapshots[full] = self._snapshot(full)
        else:
            self._restore(full, *self._snapshots[full])
        return self._url(full)

    def _engine(self, name: str):
        if name not in self._engines:
            self._engines[name] = sa.create_engine(self._url(name), poolclass=sa.pool.NullPool)
        return self._engines[name]

    def _snapshot(self, name: str):
        connection = self._engine(name).raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT quote_ident(tablename) FROM pg_tables "
                           "WHERE schemaname = 'public' ORDER BY tablename")
            tables, rows = [row[0] for row in cursor.fetchall()], {}
            for table in tables:
                with cursor.copy(f"COPY public.{table} TO STDOUT (FORMAT binary)") as copy:
                    rows[table] = b"".join(bytes(chunk) for chunk in copy)
            cursor.execute("SELECT quote_ident(sequencename), last_value FROM pg_sequences "
                           "WHERE schemaname = 'public'")
            sequences = cursor.fetchall()
            connection.rollback()
        finally:
            connection.close()
        return tables, rows, sequences

    def _restore(self, name: str, tables, rows, sequences) -> None:
        connection = self._engine(name).raw_connection()
        try:
            cursor = connection.cursor()
            # whatever a test left connected (its app's engine is disposed) holds no lock
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            # the triggers that refuse changes to approved records do not fire for this
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("TRUNCATE " + ", ".join(f"public.{t}" for t in tables))
            for table in tables:
                if len(rows[table]) > 21:  # more than the header and trailer of no rows
                    with cursor.copy(f"COPY public.{table} FROM STDIN (FORMAT binary)") as copy:
                        copy.write(rows[table])
            for sequence, value in sequences:
                cursor.execute("SELECT setval(%s, %s, %s)",
                               (f"public.{sequence}", value or 1, value is not None))
            connection.commit()
        finally:
            connection.close()

    def blank(self, tmp_path: Path) -> str:
        _used_database()
        name = f"{self.prefix}_b{next(_counter)}"
        self._create(name)
        return self._url(name)

    def drop(self, uri: str) -> None:
        name = sa.engine.make_url(uri).database
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        for name in ("demo", "empty", "live_demo", "live_empty"):
            self.drop(self.uri(name))
        self.admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    from flask_migrate import upgrade

    from app.demo import create_demo

    base = tmp_path_factory.mktemp("templates")
    if POSTGRES:
        dbs = PostgresDatabases(POSTGRES)
    else:
        shared = session_dir(tmp_path_factory) / "shared-templates"
        shared.mkdir(exist_ok=True)
        dbs = SQLiteDatabases(base, shared)

    def empty():
        app = _make_app(dbs.template("empty"), base / "data")
        with app.app_context():
            upgrade()
            _close(app)

    def demo():
        dbs.copy_template("empty", "demo")
        app = _make_app(dbs.uri("demo"), base / "data")
        with app.app_context():
            create_demo()
            _close(app)

    dbs.build_once("empty", empty)
    dbs.build_once("demo", demo)
    yield dbs
    dbs.close()


@pytest.fixture(scope="session")
def _apps(databases):
    """One app per template database and worker, reused by every test that asks for `app` or
    `demo_app`: building an app costs ~40 ms (compiling its URL rules) and a new app compiles
    every template it renders again, which together were a third of the suite's time."""
    apps = {}
    yield apps
    for app, _config in apps.values():
        with app.app_context():
            _close(app)


def _app_from(dbs, apps: dict, template: str, tmp_path: Path):
    """The reused app of `template`, on a fresh copy of that database (the same file or
    database name each time), with its configuration as it was built (a test's changes are
    undone) and a data directory of the test's own."""
    name = f"live_{template}"
    if template not in apps:
        app = _make_app(dbs.reset(template, name), tmp_path / "data")
        apps[template] = (app, dict(app.config))
    else:
        app, config = apps[template]
        dbs.reset(template, name)
        app.config.clear()
        app.config.update(config)
    app.config["DATA_DIR"] = str(tmp_path / "data")
    app.config["REPORT_LOCK_DIR"] = str(tmp_path / "data" / "locks")
    _forget_login_counts(app)
    yield app
    _join_background_exports()
    with app.app_context():
        _close(app)


def _join_background_exports() -> None:
    """An XLSX export a test started is built in a thread: it must end before the test's
    database is dropped or replaced (else it fails in the next test)."""
    from app.dashboard import jobs

    jobs.join_running()


def _forget_login_counts(app) -> None:
    """Rate-limit counts live in the limiter's storage, not in the database: a reused app
    starts each test with none, as a new one would."""
    from app.limits import limiter

    with app.app_context():
        limiter.reset()


def fresh_app(dbs, template: str, tmp_path: Path):
    """A new app of its own on a fresh copy of `template`, for tests whose requests run in
    other threads (a live server's request may outlast its test: it must not meet the next
    test's database)."""
    uri = dbs.fresh(template, tmp_path)
    app = _make_app(uri, tmp_path / "data")
    yield app
    _join_background_exports()
    with app.app_context():
        _close(app)
    dbs.drop(uri)


@pytest.fixture
def app(databases, _apps, tmp_path):
    """An app on a fresh copy of the migrated, empty database."""
    yield from _app_from(databases, _apps, "empty", tmp_path)


@pytest.fixture
def demo_app(databases, _apps, tmp_path):
    """An app on a fresh copy of the database with the Qom demo data."""
    yield from _app_from(databases, _apps, "demo", tmp_path)


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
