"""Migration 0010: the index of what the dashboard's cycle-wide queries read, made and dropped
in place on a real database (the lock triggers on evaluations stay)."""

import pytest
import sqlalchemy as sa

from app.models.evaluations import Evaluation

NAME = "ix_evaluations_cycle_figures"


def _index(connection):
    found = [i for i in sa.inspect(connection).get_indexes("evaluations") if i["name"] == NAME]
    return found[0]["column_names"] if found else None


def _triggers(connection):
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'evaluations'"
    else:
        query = ("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                 "AND tgrelid = 'evaluations'::regclass")
    return sorted(connection.execute(sa.text(query)).scalars())


def _plan(connection, query: str, *, analyse: bool = True) -> str:
    """The plan of `query` (``EXPLAIN {}SELECT …``: the braces where SQLite's ``QUERY PLAN``
    goes) as one string. On PostgreSQL its tiny demo table would be read whole otherwise:
    the statistics are made (`analyse`) and table and bitmap scans ruled out for the
    transaction, so that the plan shows the index scan it would choose at scale."""
    if connection.dialect.name == "sqlite":
        return " ".join(row[-1] for row in connection.execute(
            sa.text(query.format("QUERY PLAN "))))
    if analyse:
        connection.execute(sa.text("ANALYZE evaluations"))
    connection.execute(sa.text("SET LOCAL enable_seqscan = off"))
    connection.execute(sa.text("SET LOCAL enable_bitmapscan = off"))
    return " ".join(connection.execute(sa.text(query.format(""))).scalars())


def _assert_plan(connection, query: str, sqlite: str, postgres: str, **options) -> None:
    """`query`'s plan (:func:`_plan`) says `sqlite` on SQLite, `postgres` on PostgreSQL."""
    plan = _plan(connection, query, **options)
    assert (sqlite if connection.dialect.name == "sqlite" else postgres) in plan, plan


def test_the_index_is_migrated_down_and_up_again(demo_app):
    from flask_migrate import downgrade, upgrade

    from app.extensions import db

    model = [c.name for c in next(i for i in Evaluation.__table__.indexes
                                  if i.name == NAME).columns]
    with demo_app.app_context():
        with db.engine.connect() as connection:
            assert _index(connection) == model
            triggers = _triggers(connection)
        assert triggers, "evaluations has its lock triggers"
        db.session.remove()
        downgrade(revision="0007_report_snapshots")
        with db.engine.connect() as connection:
            assert _index(connection) is None
            assert _triggers(connection) == triggers
        upgrade()
        with db.engine.connect() as connection:
            assert _index(connection) == model
            assert _triggers(connection) == triggers


def test_the_cycle_wide_count_reads_the_index(demo_ctx):
    """The plan of a peer-group count of one cycle goes through the index: on SQLite a
    covering-index search; on PostgreSQL (its tiny demo table would be read whole otherwise)
    the index scan it picks when table scans are ruled out."""
    from app.extensions import db

    query = ("EXPLAIN {}SELECT tier_id, count(*), avg(score) FROM evaluations "
             "WHERE cycle_id = 1 AND status = 'approved' GROUP BY tier_id")
    with db.engine.begin() as connection:
        _assert_plan(connection, query, f"COVERING INDEX {NAME}",
                     f"Only Scan using {NAME}")


FINALS = "ix_evaluations_cycle_finals"


def _named(connection, name):
    found = [i for i in sa.inspect(connection).get_indexes("evaluations") if i["name"] == name]
    return found[0]["column_names"] if found else None


def test_the_finals_index_is_migrated_down_and_up_again(demo_app):
    """Migration 0013: made and dropped in place; the lock triggers and 0010's index stay."""
    from flask_migrate import downgrade, upgrade

    from app.extensions import db

    model = [c.name for c in next(i for i in Evaluation.__table__.indexes
                                  if i.name == FINALS).columns]
    assert "signed_at" in model
    with demo_app.app_context():
        with db.engine.connect() as connection:
            assert _named(connection, FINALS) == model
            triggers = _triggers(connection)
        db.session.remove()
        downgrade(revision="0012_paradata")
        with db.engine.connect() as connection:
            assert _named(connection, FINALS) is None
            assert _named(connection, NAME) is not None
            assert _triggers(connection) == triggers
        upgrade()
        with db.engine.connect() as connection:
            assert _named(connection, FINALS) == model
            assert _triggers(connection) == triggers


def test_the_ranked_peers_are_read_from_the_finals_index(demo_ctx):
    """What the peer ranking reads of a cycle's finals (signed off: approved with signed_at)
    comes from the index alone: a covering-index search on SQLite, an index-only scan on
    PostgreSQL when table scans are ruled out."""
    from app.extensions import db

    query = ("EXPLAIN {}SELECT tier_id, score, raw_score, municipality_id FROM evaluations "
             "WHERE cycle_id = 1 AND score IS NOT NULL AND status = 'approved' "
             "AND signed_at IS NOT NULL")
    with db.engine.begin() as connection:
        _assert_plan(connection, query, f"COVERING INDEX {FINALS}",
                     f"Only Scan using {FINALS}")



def test_the_pending_ranking_reads_only_what_the_index_holds(demo_ctx):
    """The peer ranking with evaluations not signed off yet (its peers' figures, its page's
    cut and count) reads of the cycle's evaluations only columns of
    ix_evaluations_cycle_figures, so that PostgreSQL can read them from the index alone, as
    it does the finals': an always-true condition on the evaluation's id (``id IS NOT
    NULL``) made it read the table's rows of the cycle, scattered among the other cycles'.
    Only the rows of the page read the rest of their evaluation (through an alias, one row
    per municipality and cycle). The statements checked are the ones the page runs."""
    from sqlalchemy import event
    from sqlalchemy.sql import visitors

    from app.dashboard import queries
    from app.dashboard.filters import Filters
    from app.extensions import db
    from app.models import EvaluationCycle

    cycle = db.session.scalars(sa.select(EvaluationCycle).order_by(
        EvaluationCycle.year.desc())).first()
    statements = []

    def _remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(context.compiled.statement)

    f = Filters(cycle_id=cycle.id, year=cycle.year, pending=True)
    legend, cycles = queries.legend(cycle.id), queries.cycles()
    event.listen(db.engine, "before_cursor_execute", _remember)
    try:
        statistics = queries.peer_statistics(f)
        page = queries.ranking(f, legend, statistics=statistics, cycles=cycles)
    finally:
        event.remove(db.engine, "before_cursor_execute", _remember)
    assert statistics.groups and page.rows, "the demo's cycle has scored evaluations"
    table = Evaluation.__table__
    held = {c.name for c in next(i for i in table.indexes if i.name == NAME).columns}
    assert len(statements) == 2, statements  # the peers, the page with its count
    for statement in statements:
        read = {element.name for element in visitors.iterate(statement)
                if isinstance(element, sa.Column) and element.table is table}
        assert read and read <= held, (read - held, str(statement))


TOWNS = "ix_evaluations_cycle_towns"


def test_the_towns_index_is_migrated_down_and_up_again(demo_app):
    """Migration 0014: the index of a cycle's evaluations with their municipality and id made
    in place of the index on cycle_id alone, and undone; the lock triggers and the other
    dashboard indexes stay."""
    from flask_migrate import downgrade, upgrade

    from app.extensions import db

    model = [c.name for c in next(i for i in Evaluation.__table__.indexes
                                  if i.name == TOWNS).columns]
    assert model == ["cycle_id", "municipality_id", "id"]
    assert not any(i.name == "ix_evaluations_cycle_id" for i in Evaluation.__table__.indexes)
    with demo_app.app_context():
        with db.engine.connect() as connection:
            assert _named(connection, TOWNS) == model
            assert _named(connection, "ix_evaluations_cycle_id") is None
            triggers = _triggers(connection)
        db.session.remove()
        downgrade(revision="0013_dashboard_finals_index")
        with db.engine.connect() as connection:
            assert _named(connection, TOWNS) is None
            assert _named(connection, "ix_evaluations_cycle_id") == ["cycle_id"]
            assert _named(connection, NAME) is not None
            assert _named(connection, FINALS) is not None
            assert _triggers(connection) == triggers
        upgrade()
        with db.engine.connect() as connection:
            assert _named(connection, TOWNS) == model
            assert _named(connection, "ix_evaluations_cycle_id") is None
            assert _triggers(connection) == triggers


def _overview_statements(read, args):
    """The statement the overview page runs for its rows (captured as it runs), and its cut:
    the subquery the page's rows are chosen by."""
    from sqlalchemy import event

    from app.dashboard import queries
    from app.extensions import db
    from tests.dashboard.conftest import as_user

    f, legend = read(args, user="reviewer")
    statements = []

    def _remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(context.compiled.statement)

    person = as_user("reviewer")
    event.listen(db.engine, "before_cursor_execute", _remember)
    try:
        page = queries.overview(f, legend, per_page=2, user=person)
    finally:
        event.remove(db.engine, "before_cursor_execute", _remember)
    assert page.rows and page.page == f.page, page
    cuts = [(statement, element) for statement in statements
            for element in sa.sql.visitors.iterate(statement)
            if isinstance(element, sa.sql.Subquery) and element.name == "page"]
    assert len(cuts) == 1, statements  # the page's rows, their count and inspectors: one
    return cuts[0]


def _evaluation_columns(element) -> set[str]:
    table = Evaluation.__table__
    return {e.name for e in sa.sql.visitors.iterate(element)
            if isinstance(e, sa.Column) and e.table is table}


@pytest.mark.parametrize("args", [{}, {"sort": "inspectors"}, {"sort": "inspectors",
                                                                "dir": "desc"},
                                  {"sort": "county", "page": "2"}])
def test_the_overview_page_is_cut_from_what_the_towns_index_holds(read, args):
    """The overview's page is chosen by a cut that reads of the cycle's evaluations only
    what ix_evaluations_cycle_towns holds (the cycle, the municipality, the id: PostgreSQL
    reads them from the index, not from the table's rows of the cycle, scattered among the
    other cycles'); only the page's rows read the rest of their evaluation (by its id), and
    the user's access condition, which reads more, is not in the cut."""
    statement, cut = _overview_statements(read, {"year": "1404", **args})
    assert _evaluation_columns(cut.element) <= {"cycle_id", "municipality_id", "id"}, (
        str(cut.element))
    assert "score" in _evaluation_columns(statement)  # the page's rows: read outside the cut
    assert "viewable" not in cut.c


def test_the_overview_cut_reads_the_towns_index_alone(demo_ctx):
    """The shape of the cut's read of a cycle (each municipality with its evaluation's id)
    goes through an index alone: on PostgreSQL the towns index, in an index-only scan when
    table scans are ruled out; on SQLite a covering index."""
    from app.extensions import db

    query = ("EXPLAIN {}SELECT municipalities.id, municipalities.name, evaluations.id "
             "FROM municipalities LEFT OUTER JOIN evaluations "
             "ON evaluations.municipality_id = municipalities.id AND evaluations.cycle_id = 1")
    with db.engine.begin() as connection:
        _assert_plan(connection, query, "SEARCH evaluations USING COVERING INDEX",
                     f"Only Scan using {TOWNS}")


def test_an_analysed_database_keeps_its_cycle_wide_counts_on_the_covering_index(demo_app):
    """Migration 0014 on a database whose statistics were made (ANALYZE) makes those of the
    new index too: on SQLite an index without them looked as if each cycle had a few rows,
    and the planner read the cycle-wide counts through it (and the table) instead of the
    covering ix_evaluations_cycle_figures."""
    from flask_migrate import downgrade, upgrade

    from app.extensions import db

    query = ("EXPLAIN {}SELECT tier_id, count(*), avg(score) FROM evaluations "
             "WHERE cycle_id = 1 AND status = 'approved' GROUP BY tier_id")
    with demo_app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))
        db.session.remove()
        downgrade(revision="0013_dashboard_finals_index")
        upgrade()
        with db.engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                analysed = connection.execute(sa.text(
                    "SELECT idx FROM sqlite_stat1 WHERE tbl = 'evaluations'")).scalars().all()
                assert TOWNS in analysed and "ix_evaluations_cycle_id" not in analysed
            _assert_plan(connection, query, f"COVERING INDEX {NAME}",
                         f"Only Scan using {NAME}", analyse=False)  # the migration's statistics
