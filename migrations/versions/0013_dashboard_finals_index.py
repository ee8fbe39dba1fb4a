"""an index holding what the dashboard reads of a cycle's finals (the ranking at ten years)

Revision ID: 0013_dashboard_finals_index
Revises: 0012_paradata
"""

from alembic import op

revision = "0013_dashboard_finals_index"
down_revision = "0012_paradata"
branch_labels = None
depends_on = None

COLUMNS = ["cycle_id", "status", "signed_at", "tier_id", "score", "raw_score",
           "municipality_id"]


def upgrade():
    # plain CREATE INDEX (no table rebuild): the lock triggers on evaluations stay as they are
    op.create_index("ix_evaluations_cycle_finals", "evaluations", COLUMNS)


def downgrade():
    op.drop_index("ix_evaluations_cycle_finals", table_name="evaluations")
