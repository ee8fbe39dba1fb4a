"""Finding: the integrity triggers differed. On SQLite the UPDATE lock trigger checked only
``OLD.evaluation_id``, on PostgreSQL OLD and NEW, so moving a child row onto an approved
evaluation was refused on one database and allowed on the other; the 0001 downgrade left a
PostgreSQL function behind. These tests run the same forbidden statements, and the downgrade
to nothing and back, on whichever database the suite runs on: SQLite by default, PostgreSQL
under ``scripts/test-postgres.sh``."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import exc, inspect, select, text

from app.db import writing
from app.extensions import db
from app.models import Answer, Evaluation, Evidence, Recommendation, UnitResult
from tests.security.conftest import evaluation_id

CHILDREN = {"answers": Answer, "unit_results": UnitResult, "evidence": Evidence,
            "recommendations": Recommendation}


@pytest.fixture
def own_app(databases, tmp_path):
    """An app on a database of its own: these tests leave the schema at other revisions,
    which a database reused by the next test must never see."""
    from tests.conftest import fresh_app

    yield from fresh_app(databases, "empty", tmp_path)


def _child(model, evaluation_id: int, tag: str):
    values = {"answers": {"criterion_id": f"zz.{tag}", "value": 1.0},
              "unit_results": {"unit_id": f"zz-{tag}", "score": 50.0},
              "evidence": {"criterion_id": "1.1", "stored_name": f"zz-{tag}.jpg",
                           "sha256": "0" * 64, "width": 1, "height": 1, "size_bytes": 1},
              "recommendations": {"text": f"zz {tag}"}}[model.__tablename__]
    return model(evaluation_id=evaluation_id, **values)


@pytest.fixture
def locked(demo_app):
    """(approved evaluation id, open evaluation id, {table: (locked row id, open row id)})."""
    approved, draft = evaluation_id(demo_app, "قنوات"), evaluation_id(demo_app, "جعفریه")
    rows = {}
    with demo_app.app_context():
        with writing():
            for table, model in CHILDREN.items():
                on_locked, on_open = _child(model, approved, "a"), _child(model, draft, "b")
                db.session.add_all([on_locked, on_open])
                db.session.flush()
                rows[table] = (on_locked.id, on_open.id)
            db.session.execute(text(
                "INSERT INTO stored_reports (evaluation_id, file_name, sha256, content_sha256, "
                "content_json, size_bytes, pages, evaluation_version, created_at) VALUES "
                "(:e, 'zz.pdf', :h, :h, '{}', 1, 1, 1, :t)"),
                {"e": approved, "h": "0" * 64, "t": dt.datetime(2025, 1, 1)})
            db.session.execute(text("UPDATE evaluations SET status = 'approved' WHERE id = :e"),
                               {"e": approved})
        assert db.session.get(Evaluation, approved).status == "approved"
    return approved, draft, rows


def _refused(app, statement: str, **params):
    """`statement` fails in the database itself, and changes nothing."""
    with app.app_context(), db.engine.connect() as connection:
        with pytest.raises(exc.DBAPIError) as error:
            connection.execute(text(statement), params)
            connection.commit()
        connection.rollback()
    message = str(error.value.orig)
    assert "locked" in message or "cannot change" in message or "append-only" in message, \
        message


def _evaluation_of(app, table, row_id):
    with app.app_context():
        return db.session.execute(text(f"SELECT evaluation_id FROM {table} WHERE id = :i"),
                                  {"i": row_id}).scalar()


@pytest.mark.parametrize("table", sorted(CHILDREN))
def test_children_of_an_approved_evaluation_cannot_change_or_move(demo_app, locked, table):
    approved, draft, rows = locked
    on_locked, on_open = rows[table]
    _refused(demo_app, f"UPDATE {table} SET evaluation_id = evaluation_id WHERE id = :i",
             i=on_locked)
    # the finding: moving a row of an open evaluation onto the approved one
    _refused(demo_app, f"UPDATE {table} SET evaluation_id = :e WHERE id = :i", e=approved,
             i=on_open)
    _refused(demo_app, f"UPDATE {table} SET evaluation_id = :e WHERE id = :i", e=draft,
             i=on_locked)
    _refused(demo_app, f"DELETE FROM {table} WHERE id = :i", i=on_locked)
    with demo_app.app_context():
        model = CHILDREN[table]
        source = db.session.get(model, on_open)
        copy = {c.key: getattr(source, c.key) for c in inspect(model).column_attrs
                if c.key != "id"}
    copy.update(evaluation_id=approved, **({"stored_name": "zz-copy.jpg"}
                                            if table == "evidence" else {}))
    columns = ", ".join(copy)
    _refused(demo_app, f"INSERT INTO {table} ({columns}) VALUES "
             f"({', '.join(':' + c for c in copy)})", **copy)
    assert _evaluation_of(demo_app, table, on_locked) == approved
    assert _evaluation_of(demo_app, table, on_open) == draft
    # the open evaluation's rows still change freely
    with demo_app.app_context(), db.engine.connect() as connection:
        connection.execute(text(f"UPDATE {table} SET evaluation_id = evaluation_id "
                                "WHERE id = :i"), {"i": on_open})
        connection.commit()


def test_an_approved_evaluation_and_published_records_cannot_change(demo_app, locked):
    approved, _draft, _rows = locked
    _refused(demo_app, "UPDATE evaluations SET status = 'draft' WHERE id = :e", e=approved)
    _refused(demo_app, "UPDATE evaluations SET version = version + 1 WHERE id = :e",
             e=approved)
    _refused(demo_app, "DELETE FROM evaluations WHERE id = :e", e=approved)
    _refused(demo_app, "UPDATE stored_reports SET pages = 2 WHERE evaluation_id = :e",
             e=approved)
    _refused(demo_app, "DELETE FROM stored_reports WHERE evaluation_id = :e", e=approved)
    _refused(demo_app, "UPDATE rubric_versions SET version_label = 'x'")
    _refused(demo_app, "DELETE FROM rubric_versions")
    _refused(demo_app, "UPDATE audit_events SET action = 'x'")
    _refused(demo_app, "DELETE FROM audit_events")


# --- downgrades leave nothing behind -----------------------------------------------------------

def _normal(kind: str, sql: str | None):
    """A table's DDL as the set of its column and constraint lines: SQLite keeps the text of
    a table rebuilt by a batch migration with its constraints in another order."""
    if kind != "table" or not sql:
        return sql
    head, body = sql.split("(", 1)
    parts, depth, current = [], 0, ""
    for ch in body.rsplit(")", 1)[0]:  # split on the commas outside parentheses
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    parts.append(current.strip())
    return head.replace('"', "").strip(), tuple(sorted(parts))


def _schema(app) -> dict:
    """Every table with its columns, index, trigger and function of the database."""
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            objects = connection.execute(text(
                "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
                "ORDER BY type, name")).all()
            return {"objects": [(kind, name, _normal(kind, sql)) for kind, name, sql in objects]}
        return {
            "columns": connection.execute(text(
                "SELECT table_name, column_name, data_type, is_nullable FROM "
                "information_schema.columns WHERE table_schema = 'public' "
                "ORDER BY 1, 2")).all(),
            "indexes": connection.execute(text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                "ORDER BY 1")).all(),
            "triggers": connection.execute(text(
                "SELECT tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "WHERE NOT tgisinternal ORDER BY 1")).all(),
            "functions": connection.execute(text(
                "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p JOIN "
                "pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' "
                "ORDER BY 1")).all(),
            "sequences": connection.execute(text(
                "SELECT sequence_name FROM information_schema.sequences "
                "WHERE sequence_schema = 'public' ORDER BY 1")).all(),
            "types": connection.execute(text(
                "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                "WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c') "
                "AND t.typrelid = 0 ORDER BY 1")).all(),
        }


def _nothing_but_alembic(schema: dict) -> bool:
    if "objects" in schema:
        return [name for _type, name, _sql in schema["objects"]] == ["alembic_version"]
    return ({table for table, *_ in schema["columns"]} <= {"alembic_version"}
            and not schema["triggers"] and not schema["functions"]
            and not schema["sequences"] and not schema["types"]
            and all("alembic_version" in name for name, _ in schema["indexes"]))


def test_downgrade_to_base_leaves_nothing_and_upgrade_works_again(own_app):
    app = own_app
    with app.app_context():
        downgrade(revision="base")
    schema = _schema(app)
    assert _nothing_but_alembic(schema), schema
    with app.app_context():
        upgrade()
        db.session.remove()
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert {"users", "evaluations", "answers", "user_sessions", "audit_events"} <= tables


def test_the_0006_downgrade_returns_exactly_to_0004(own_app):
    app = own_app
    with app.app_context():
        downgrade(revision="0004_locks")
    at_0004 = _schema(app)
    with app.app_context():
        upgrade()
        db.session.remove()
    assert _schema(app) != at_0004  # the new table, and on SQLite the new triggers
    with app.app_context():
        downgrade(revision="0004_locks")
    assert _schema(app) == at_0004


def test_every_downgrade_step_leaves_the_schema_it_started_from(own_app):
    """Each migration's downgrade undoes exactly its upgrade."""
    app = own_app
    from alembic.script import ScriptDirectory
    from flask import current_app

    with app.app_context():
        config = current_app.extensions["migrate"].migrate.get_config()
        revisions = [r.revision for r in reversed(list(
            ScriptDirectory.from_config(config).walk_revisions()))]
        downgrade(revision="base")
    before = _schema(app)
    for revision in revisions:
        with app.app_context():
            upgrade(revision=revision)
        after_up = _schema(app)
        with app.app_context():
            downgrade(revision="-1")
        assert _schema(app) == before, revision
        with app.app_context():
            upgrade(revision=revision)
        assert _schema(app) == after_up, revision
        before = after_up
    with app.app_context():
        assert db.session.execute(select(text("1"))).scalar() == 1
