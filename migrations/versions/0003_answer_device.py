"""answers remember the device that last changed them (offline sync, conflict detection)

Revision ID: 0003_answer_device
Revises: 0002_stored_reports
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_answer_device"
down_revision = "0002_stored_reports"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("answers") as batch:
        batch.add_column(sa.Column("device_id", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("answers") as batch:
        batch.drop_column("device_id")
