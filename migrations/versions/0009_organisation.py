"""the whole organisation: municipality accounts, the director-general's sign-off,
self-declarations, recommendations followed up (issue 15)

Revision ID: 0009_organisation
Revises: 0008_visit_and_return_message

- ``users.municipality_id``: the municipality a municipality account speaks for.
- ``evaluations.signed_at`` / ``signed_by_id``: the director-general's sign-off after the
  reviewer's approval; only a signed-off evaluation has a final report. Evaluations approved
  before this migration had their final issued at approval: they count as signed off then, by
  their approver.
- ``evaluation_cycles.declaration_deadline``: the last day municipalities may declare.
- ``evidence.source``: "inspection" or "declaration" (a document the municipality added).
- ``declarations``: values the municipality declared; ``follow_ups``: the next cycle's
  inspector's finding on a recommendation — both children of an evaluation, locked with it by
  the same triggers as answers; ``recommendation_responses``: the municipality's answers to a
  recommendation, appended and never changed.
- The lock trigger of evaluations lets an approved evaluation be updated once more, by its
  sign-off (signed_at and the report number set, nothing of its content changed); a signed
  evaluation refuses every change.

Columns are added in place (no table copy), so the lock triggers of 0004 and 0006 stay.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_organisation"
down_revision = "0008_visit_and_return_message"
branch_labels = None
depends_on = None

CHILDREN = ("declarations", "follow_ups")
APPENDED = "recommendation_responses"
MESSAGE = "approved evaluations are locked"
#: the columns a sign-off may not change (SQLite compares them with IS, PostgreSQL with IS
#: NOT DISTINCT FROM; JSON as text)
CONTENT = ("status", "municipality_id", "cycle_id", "rubric_version_id", "tier_id",
           "tier_basis", "score", "raw_score", "band", "raw_band", "ungated_score",
           "raw_ungated_score", "gates", "complete", "strengths_text", "improvements_text",
           "approved_at", "approved_by_id", "submitted_at")
JSON_COLUMNS = ("tier_basis", "gates")
#: finals issued at approval before this migration: signed off then, by their approver (an
#: update the new trigger lets through: a sign-off that changes nothing else)
SIGN_OLD_FINALS = ("UPDATE evaluations SET signed_at = COALESCE(approved_at, updated_at), "
                   "signed_by_id = approved_by_id WHERE status = 'approved'")


def _approved(row: str) -> str:
    return f"(SELECT status FROM evaluations WHERE id = {row}.evaluation_id) = 'approved'"


def _sqlite_sign_off() -> str:
    same = " AND ".join(f"NEW.{column} IS OLD.{column}" for column in CONTENT)
    return (f"OLD.signed_at IS NULL AND NEW.signed_at IS NOT NULL AND {same} "
            "AND (OLD.report_number IS NULL OR NEW.report_number IS OLD.report_number)")


def _pg_sign_off() -> str:
    def same(column):
        if column in JSON_COLUMNS:
            return f"NEW.{column}::text IS NOT DISTINCT FROM OLD.{column}::text"
        return f"NEW.{column} IS NOT DISTINCT FROM OLD.{column}"

    return (f"OLD.signed_at IS NULL AND NEW.signed_at IS NOT NULL AND "
            + " AND ".join(same(column) for column in CONTENT)
            + " AND (OLD.report_number IS NULL "
              "OR NEW.report_number IS NOT DISTINCT FROM OLD.report_number)")


def _add_reference(table: str, column: str, target: str) -> None:
    """An integer column referring to `target`.id, added in place: SQLite takes the
    reference inline in ALTER TABLE … ADD COLUMN (Alembic would want a table copy)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER REFERENCES {target} (id)")
        return
    op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
    op.create_foreign_key(op.f(f"fk_{table}_{column}_{target}"), table, target, [column], ["id"])


def _drop_reference(table: str, column: str, target: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f(f"fk_{table}_{column}_{target}"), table, type_="foreignkey")
    op.drop_column(table, column)  # SQLite ≥ 3.35 drops columns in place too


def upgrade():
    _add_reference("users", "municipality_id", "municipalities")
    op.add_column("evaluations", sa.Column("signed_at", sa.DateTime(), nullable=True))
    _add_reference("evaluations", "signed_by_id", "users")
    op.add_column("evaluation_cycles", sa.Column("declaration_deadline", sa.Date(),
                                                 nullable=True))
    op.add_column("evidence", sa.Column("source", sa.String(length=20), nullable=False,
                                        server_default="inspection"))
    op.create_table(
        "declarations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.String(length=50), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("correction_reason", sa.Text(), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=True),
        sa.Column("declared_at", sa.DateTime(), nullable=False),
        sa.Column("declared_by_id", sa.Integer(), nullable=True),
        sa.Column("verified_at", sa.DateTime(), nullable=True),
        sa.Column("verified_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("verdict IS NULL OR verdict IN ('confirmed', 'corrected')",
                           name=op.f("ck_declarations_verdict_known")),
        sa.ForeignKeyConstraint(["evaluation_id"], ["evaluations.id"],
                                name=op.f("fk_declarations_evaluation_id_evaluations")),
        sa.ForeignKeyConstraint(["declared_by_id"], ["users.id"],
                                name=op.f("fk_declarations_declared_by_id_users")),
        sa.ForeignKeyConstraint(["verified_by_id"], ["users.id"],
                                name=op.f("fk_declarations_verified_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declarations")),
        sa.UniqueConstraint("evaluation_id", "criterion_id",
                            name=op.f("uq_declarations_evaluation_criterion")),
    )
    op.create_index(op.f("ix_declarations_evaluation_id"), "declarations", ["evaluation_id"])
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("outcome IN ('done', 'partly', 'not_done')",
                           name=op.f("ck_follow_ups_outcome_known")),
        sa.ForeignKeyConstraint(["evaluation_id"], ["evaluations.id"],
                                name=op.f("fk_follow_ups_evaluation_id_evaluations")),
        sa.ForeignKeyConstraint(["recommendation_id"], ["recommendations.id"],
                                name=op.f("fk_follow_ups_recommendation_id_recommendations")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"],
                                name=op.f("fk_follow_ups_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
        sa.UniqueConstraint("evaluation_id", "recommendation_id",
                            name=op.f("uq_follow_ups_evaluation_recommendation")),
    )
    op.create_index(op.f("ix_follow_ups_evaluation_id"), "follow_ups", ["evaluation_id"])
    op.create_index(op.f("ix_follow_ups_recommendation_id"), "follow_ups",
                    ["recommendation_id"])
    op.create_table(
        APPENDED,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.Column("action_taken", sa.Text(), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("acted_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("progress BETWEEN 0 AND 100",
                           name=op.f("ck_recommendation_responses_progress_range")),
        sa.ForeignKeyConstraint(["recommendation_id"], ["recommendations.id"],
                                name=op.f("fk_recommendation_responses_recommendation_id_"
                                          "recommendations")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_recommendation_responses_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation_responses")),
    )
    op.create_index(op.f("ix_recommendation_responses_recommendation_id"), APPENDED,
                    ["recommendation_id"])
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _pg_upgrade()


def _sqlite_upgrade():
    op.execute("DROP TRIGGER IF EXISTS evaluations_locked_update")
    op.execute(
        "CREATE TRIGGER evaluations_locked_update BEFORE UPDATE ON evaluations "
        f"WHEN OLD.status = 'approved' AND NOT ({_sqlite_sign_off()}) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
    op.execute(SIGN_OLD_FINALS)
    for table in CHILDREN:
        op.execute(f"CREATE TRIGGER {table}_locked_insert BEFORE INSERT ON {table} "
                   f"WHEN {_approved('NEW')} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
        op.execute(f"CREATE TRIGGER {table}_locked_update BEFORE UPDATE ON {table} "
                   f"WHEN {_approved('OLD')} OR {_approved('NEW')} "
                   f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
        op.execute(f"CREATE TRIGGER {table}_locked_delete BEFORE DELETE ON {table} "
                   f"WHEN {_approved('OLD')} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER {APPENDED}_frozen_{verb.lower()} BEFORE {verb} ON "
                   f"{APPENDED} BEGIN SELECT RAISE(ABORT, '{APPENDED} cannot change once "
                   "written'); END")


def _pg_upgrade():
    op.execute(f"""
        CREATE OR REPLACE FUNCTION arzyab_approved_evaluation() RETURNS trigger AS $$
        BEGIN
          IF OLD.status = 'approved' THEN
            IF TG_OP = 'UPDATE' AND {_pg_sign_off()} THEN RETURN NEW; END IF;
            RAISE EXCEPTION '{MESSAGE}';
          END IF;
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql""")
    op.execute(SIGN_OLD_FINALS)
    for table in CHILDREN:  # arzyab_child_of_approved() comes from 0004_locks
        op.execute(f"CREATE TRIGGER {table}_locked BEFORE INSERT OR UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION arzyab_child_of_approved()")
    op.execute(f"CREATE TRIGGER {APPENDED}_frozen BEFORE UPDATE OR DELETE ON {APPENDED} "
               "FOR EACH ROW EXECUTE FUNCTION arzyab_frozen()")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for table in CHILDREN:
            for verb in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_locked_{verb}")
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {APPENDED}_frozen_{verb}")
        op.execute("DROP TRIGGER IF EXISTS evaluations_locked_update")
        op.execute(  # 0004's trigger, exactly
            "CREATE TRIGGER evaluations_locked_update BEFORE UPDATE ON evaluations "
            f"WHEN OLD.status = 'approved' BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
    else:
        for table in CHILDREN:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_locked ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {APPENDED}_frozen ON {APPENDED}")
        op.execute(f"""
        CREATE OR REPLACE FUNCTION arzyab_approved_evaluation() RETURNS trigger AS $$
        BEGIN
          IF OLD.status = 'approved' THEN RAISE EXCEPTION '{MESSAGE}'; END IF;
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql""")
    op.drop_index(op.f("ix_recommendation_responses_recommendation_id"), table_name=APPENDED)
    op.drop_table(APPENDED)
    op.drop_index(op.f("ix_follow_ups_recommendation_id"), table_name="follow_ups")
    op.drop_index(op.f("ix_follow_ups_evaluation_id"), table_name="follow_ups")
    op.drop_table("follow_ups")
    op.drop_index(op.f("ix_declarations_evaluation_id"), table_name="declarations")
    op.drop_table("declarations")
    # SQLite ≥ 3.35 drops columns in place too
    op.drop_column("evidence", "source")
    op.drop_column("evaluation_cycles", "declaration_deadline")
    _drop_reference("evaluations", "signed_by_id", "users")
    op.drop_column("evaluations", "signed_at")
    _drop_reference("users", "municipality_id", "municipalities")
