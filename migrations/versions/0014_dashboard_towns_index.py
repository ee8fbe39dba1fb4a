"""an index of a cycle's evaluations with their municipality and id (the overview's page cut
from it at ten years), in place of the index on cycle_id alone

Revision ID: 0014_dashboard_towns_index
Revises: 0013_dashboard_finals_index
"""

from alembic import op

revision = "0014_dashboard_towns_index"
down_revision = "0013_dashboard_finals_index"
branch_labels = None
depends_on = None

COLUMNS = ["cycle_id", "municipality_id", "id"]


def upgrade():
    # plain CREATE and DROP INDEX (no table rebuild): the lock triggers on evaluations stay as
    # they are; the new index begins with cycle_id, so it serves what the old one did
    op.create_index("ix_evaluations_cycle_towns", "evaluations", COLUMNS)
    op.drop_index("ix_evaluations_cycle_id", table_name="evaluations")


def downgrade():
    op.create_index("ix_evaluations_cycle_id", "evaluations", ["cycle_id"])
    op.drop_index("ix_evaluations_cycle_towns", table_name="evaluations")
