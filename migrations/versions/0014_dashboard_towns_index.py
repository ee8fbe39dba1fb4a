"""an index of a cycle's evaluations with their municipality and id (the overview's page cut
from it at ten years), in place of the index on cycle_id alone

Revision ID: 0014_dashboard_towns_index
Revises: 0013_dashboard_finals_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_dashboard_towns_index"
down_revision = "0013_dashboard_finals_index"
branch_labels = None
depends_on = None

COLUMNS = ["cycle_id", "municipality_id", "id"]


def _statistics_again():
    """SQLite's statistics of the table's indexes made again when the database has them: an
    index without them looks to SQLite's planner as if each cycle had a few rows, and it
    picked the new index over the covering ones for every cycle-wide count (reading the
    table). PostgreSQL makes an index's statistics as it builds it."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and bind.execute(sa.text(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first():
        op.execute("ANALYZE evaluations")


def upgrade():
    # plain CREATE and DROP INDEX (no table rebuild): the lock triggers on evaluations stay as
    # they are; the new index begins with cycle_id, so it serves what the old one did
    op.create_index("ix_evaluations_cycle_towns", "evaluations", COLUMNS)
    op.drop_index("ix_evaluations_cycle_id", table_name="evaluations")
    _statistics_again()


def downgrade():
    op.create_index("ix_evaluations_cycle_id", "evaluations", ["cycle_id"])
    op.drop_index("ix_evaluations_cycle_towns", table_name="evaluations")
    _statistics_again()
