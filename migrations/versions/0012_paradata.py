"""paradata of visits, what photos said of themselves, town centres, flag explanations (issue 18)

Revision ID: 0012_paradata
Revises: 0011_api_tokens

- ``paradata_records``: what the form recorded of a visit, one row per report received
  (with answers batches and at submission), append-only in the database itself.
- ``flag_notes``: reviewers' explanations of flags, append-only too.
- Columns added in place (no table copy, so the lock triggers of 0004 and 0006 stay):
  ``evidence.taken_at/latitude/longitude/phash`` (read from the upload before it is stripped),
  ``municipalities.latitude/longitude`` (the town centre), ``provinces.record_location``
  (the admin's setting: off by default).
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_paradata"
down_revision = "0011_api_tokens"
branch_labels = None
depends_on = None

APPEND_ONLY = ("paradata_records", "flag_notes")


def upgrade():
    op.create_table(
        "paradata_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("device", sa.String(length=64), nullable=True),
        sa.Column("batch_key", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("device_time", sa.DateTime(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.CheckConstraint("kind IN ('batch', 'submit')",
                           name=op.f("ck_paradata_records_kind_known")),
        sa.ForeignKeyConstraint(["evaluation_id"], ["evaluations.id"],
                                name=op.f("fk_paradata_records_evaluation_id_evaluations")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_paradata_records_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paradata_records")),
        sa.UniqueConstraint("batch_key", name=op.f("uq_paradata_records_batch_key")),
    )
    op.create_index(op.f("ix_paradata_records_evaluation_id"), "paradata_records",
                    ["evaluation_id"])
    op.create_index(op.f("ix_paradata_records_received_at"), "paradata_records",
                    ["received_at"])
    op.create_table(
        "flag_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("flag", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["evaluation_id"], ["evaluations.id"],
                                name=op.f("fk_flag_notes_evaluation_id_evaluations")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_flag_notes_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_notes")),
    )
    op.create_index(op.f("ix_flag_notes_evaluation_id"), "flag_notes", ["evaluation_id"])
    op.add_column("evidence", sa.Column("taken_at", sa.DateTime(), nullable=True))
    op.add_column("evidence", sa.Column("latitude", sa.Float(), nullable=True))
    op.add_column("evidence", sa.Column("longitude", sa.Float(), nullable=True))
    op.add_column("evidence", sa.Column("phash", sa.String(length=32), nullable=True))
    op.create_index(op.f("ix_evidence_phash"), "evidence", ["phash"])
    op.add_column("municipalities", sa.Column("latitude", sa.Float(), nullable=True))
    op.add_column("municipalities", sa.Column("longitude", sa.Float(), nullable=True))
    op.add_column("provinces", sa.Column("record_location", sa.Boolean(), nullable=False,
                                         server_default=sa.false()))
    for table in APPEND_ONLY:
        _append_only(table)


def _append_only(table):
    """Refuse UPDATE and DELETE on `table` in the database itself (as 0001 does for the
    audit trail)."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
    else:
        op.execute(f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
                   f"BEGIN RAISE EXCEPTION '{table} is append-only'; END $$ LANGUAGE plpgsql")
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()")


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in APPEND_ONLY:
        if sqlite:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
    op.drop_column("provinces", "record_location")
    op.drop_column("municipalities", "longitude")
    op.drop_column("municipalities", "latitude")
    op.drop_index(op.f("ix_evidence_phash"), table_name="evidence")
    op.drop_column("evidence", "phash")
    op.drop_column("evidence", "longitude")
    op.drop_column("evidence", "latitude")
    op.drop_column("evidence", "taken_at")
    op.drop_index(op.f("ix_flag_notes_evaluation_id"), table_name="flag_notes")
    op.drop_table("flag_notes")
    op.drop_index(op.f("ix_paradata_records_received_at"), table_name="paradata_records")
    op.drop_index(op.f("ix_paradata_records_evaluation_id"), table_name="paradata_records")
    op.drop_table("paradata_records")
