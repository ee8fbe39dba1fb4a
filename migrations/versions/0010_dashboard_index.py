"""an index holding what the dashboard's cycle-wide queries read of an evaluation

Revision ID: 0010_dashboard_index
Revises: 0009_organisation
"""

from alembic import op

revision = "0010_dashboard_index"
down_revision = "0009_organisation"
branch_labels = None
depends_on = None

COLUMNS = ["cycle_id", "status", "tier_id", "score", "raw_score", "municipality_id",
           "rubric_version_id"]


def upgrade():
    # plain CREATE INDEX (no table rebuild): the lock triggers on evaluations stay as they are
    op.create_index("ix_evaluations_cycle_figures", "evaluations", COLUMNS)


def downgrade():
    op.drop_index("ix_evaluations_cycle_figures", table_name="evaluations")
