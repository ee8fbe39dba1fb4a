"""report snapshots: a final report's content frozen when the evaluation becomes final (issue 14)

Revision ID: 0007_report_snapshots
Revises: 0006_sessions_locks

One new table (and an index on stored_reports.sha256), never changed once written: the same kind of trigger as the stored reports of
0004 refuses every UPDATE and DELETE, on SQLite and PostgreSQL alike. Finals issued before
this migration keep their stored files (stored_reports) and are served as they are.
"""

from alembic import op
import sqlalchemy as sa

revision = "0007_report_snapshots"
down_revision = "0006_sessions_locks"
branch_labels = None
depends_on = None

TABLE = "report_snapshots"


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("context_json", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("scorecard_json", sa.Text(), nullable=False),
        sa.Column("evaluation_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["evaluation_id"], ["evaluations.id"],
                                name=op.f("fk_report_snapshots_evaluation_id_evaluations")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_report_snapshots_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_snapshots")),
        sa.UniqueConstraint("evaluation_id", name=op.f("uq_report_snapshots_evaluation_id")),
        sa.UniqueConstraint("code", name=op.f("uq_report_snapshots_code")),
    )
    # /verify and `arzyab report verify` find a stored final by its file's sha256
    op.create_index(op.f("ix_stored_reports_sha256"), "stored_reports", ["sha256"],
                    unique=False)
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_frozen_{verb.lower()} BEFORE {verb} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{TABLE} cannot change once written'); END")
    else:
        # arzyab_frozen() comes from 0004_locks
        op.execute(f"CREATE TRIGGER {TABLE}_frozen BEFORE UPDATE OR DELETE ON {TABLE} "
                   "FOR EACH ROW EXECUTE FUNCTION arzyab_frozen()")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_frozen_{verb}")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_frozen ON {TABLE}")
    op.drop_index(op.f("ix_stored_reports_sha256"), table_name="stored_reports")
    op.drop_table(TABLE)
