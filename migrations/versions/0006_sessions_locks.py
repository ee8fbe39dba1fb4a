"""login sessions kept on the server; the same lock triggers on SQLite as on PostgreSQL

Revision ID: 0006_sessions_locks
Revises: 0005_structured_answers

- ``user_sessions``: one row per login, so that logging out, a password change or reset and a
  change of roles end sessions and "keep me logged in" cookies for good (app.auth.sessions).
- On SQLite the UPDATE lock trigger of the children of an evaluation (answers, unit results,
  photos, recommendations) checked only the row's old evaluation: moving a row onto an
  approved evaluation went through. It now checks the old and the new one, as PostgreSQL's
  ``arzyab_child_of_approved()`` does.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_sessions_locks"
down_revision = "0005_structured_answers"
branch_labels = None
depends_on = None

CHILDREN = ("answers", "unit_results", "evidence", "recommendations")
MESSAGE = "approved evaluations are locked"


def _approved(row: str) -> str:
    return f"(SELECT status FROM evaluations WHERE id = {row}.evaluation_id) = 'approved'"


def upgrade():
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("remember_selector", sa.String(length=32), nullable=True),
        sa.Column("remember_hash", sa.String(length=64), nullable=True),
        sa.Column("previous_remember_hash", sa.String(length=64), nullable=True),
        sa.Column("remember_rotated_at", sa.DateTime(), nullable=True),
        sa.Column("remember_expires_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_user_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
        sa.UniqueConstraint("remember_selector",
                            name=op.f("uq_user_sessions_remember_selector")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"])
    op.create_index(op.f("ix_user_sessions_ended_at"), "user_sessions", ["ended_at"])
    if op.get_bind().dialect.name == "sqlite":
        for table in CHILDREN:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_locked_update")
            op.execute(
                f"CREATE TRIGGER {table}_locked_update BEFORE UPDATE ON {table} "
                f"WHEN {_approved('OLD')} OR {_approved('NEW')} "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for table in CHILDREN:  # back to 0004's triggers, exactly
            op.execute(f"DROP TRIGGER IF EXISTS {table}_locked_update")
            op.execute(
                f"CREATE TRIGGER {table}_locked_update BEFORE UPDATE ON {table} "
                f"WHEN {_approved('OLD')} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
    op.drop_index(op.f("ix_user_sessions_ended_at"), table_name="user_sessions")
    op.drop_index(op.f("ix_user_sessions_user_id"), table_name="user_sessions")
    op.drop_table("user_sessions")
