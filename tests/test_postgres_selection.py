"""The PostgreSQL run (scripts/test-postgres.sh) deselects the tests that use no database
(tests/conftest.py `uses_database`) and those marked ``sqlite_only``: these tests show that the
rule keeps every test that reaches a database, however indirectly, and leaves out only tests
that cannot or that are about SQLite itself."""

from __future__ import annotations

from tests import conftest
from tests.conftest import split_for_postgres, uses_database


def _items(request, suffix: str):
    """The collected tests named `suffix` (none when the run selected other files)."""
    return [item for item in request.session.items if item.nodeid.endswith(suffix)]


def test_tests_that_reach_a_database_through_other_fixtures_are_kept(request):
    indirect = [
        # client -> demo_app -> databases
        "tests/test_web.py::test_login_page_is_persian_rtl",
        # dastjerd -> demo_ctx -> demo_app -> databases
        "tests/reports/test_context.py::test_context_is_plain_json_with_every_section",
        # signed_app -> demo_app (tests/reports/test_finals.py)
        "tests/reports/test_finals.py::test_verify_says_valid_only_for_the_issued_file",
        # the browser tests' demo_app -> _app_from(databases) (tests/browser/conftest.py)
        "tests/browser/test_offline_browser.py::test_fill_offline_with_photos_then_sync_exactly_once",
    ]
    for suffix in indirect:
        for item in _items(request, suffix):
            assert uses_database(item), item.nodeid
    kept, deselected = split_for_postgres(request.session.items)
    assert set(kept).isdisjoint(deselected)
    assert len(kept) + len(deselected) == len(request.session.items)
    for item in deselected:
        if item.get_closest_marker("sqlite_only"):
            continue  # about SQLite itself: run by the SQLite half only, on purpose
        # nothing that could reach `databases`, the only reader of ARZYAB_TEST_POSTGRES
        assert not {"databases", "app", "demo_app", "ctx", "demo_ctx", "client",
                    "_apps"} & set(item.fixturenames), item.nodeid
    # the access matrix's module world is built from the databases fixture
    matrix = [item for item in request.session.items
              if item.nodeid.startswith("tests/test_access_matrix.py")]
    assert sum(uses_database(item) for item in matrix) >= len(matrix) - 1
    # and this test, which uses no database, is one of those the PostgreSQL run leaves out
    assert request.node in deselected


def test_a_test_about_sqlite_itself_is_left_out_of_the_postgresql_run(request):
    marked = [item for item in request.session.items
              if item.get_closest_marker("sqlite_only")]
    kept, deselected = split_for_postgres(request.session.items)
    for item in marked:
        assert uses_database(item), item.nodeid  # it has a database: left out by its marker
        assert item in deselected and item not in kept


def test_a_database_fetched_by_name_at_run_time_is_counted(request):
    """`_database_rule` fails a test that gets a database without naming a fixture: every
    hand-out goes through `_used_database`."""
    before = conftest._database_count[0]
    dbs = request.getfixturevalue("databases")
    dbs.uri("empty")
    assert conftest._database_count[0] > before
    conftest._database_count[0] = before  # this test means to do it: not a mistake
