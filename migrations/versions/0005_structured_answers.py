"""structured answers (computed inputs, ticked items, site samples) and gated scores

Revision ID: 0005_structured_answers
Revises: 0004_locks

Answers keep the structured part of what the inspector entered (the inputs a computed value is
computed from, the ticked checklist items, the sites observed) beside the number they store
already; evaluations keep the score before any verdict rule (gate) and which gates were met.
Columns are added in place (no table copy), so the lock triggers of 0004 stay.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_structured_answers"
down_revision = "0004_locks"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("answers", sa.Column("data", sa.JSON(), nullable=True))
    op.add_column("evaluations", sa.Column("ungated_score", sa.Float(), nullable=True))
    op.add_column("evaluations", sa.Column("raw_ungated_score", sa.Float(), nullable=True))
    op.add_column("evaluations", sa.Column("gates", sa.JSON(), nullable=True))


def downgrade():
    # SQLite ≥ 3.35 drops columns in place too
    op.drop_column("evaluations", "gates")
    op.drop_column("evaluations", "raw_ungated_score")
    op.drop_column("evaluations", "ungated_score")
    op.drop_column("answers", "data")
