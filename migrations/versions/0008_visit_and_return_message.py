"""the visit date and the reviewer's message on a returned evaluation (issue 13)

Revision ID: 0008_visit_and_return_message
Revises: 0007_report_snapshots

Two columns on evaluations, added in place (no table copy, so the lock triggers of 0004 and
0006 stay): the day of the site visit as a date (entered in the Jalali calendar, printed in
the report), and the overall message a reviewer writes when returning an evaluation, which
the inspectors read at the top of their form.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_visit_and_return_message"
down_revision = "0007_report_snapshots"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("evaluations", sa.Column("visit_date", sa.Date(), nullable=True))
    op.add_column("evaluations", sa.Column("review_message", sa.Text(), nullable=False,
                                           server_default=""))


def downgrade():
    # SQLite ≥ 3.35 drops columns in place too
    op.drop_column("evaluations", "review_message")
    op.drop_column("evaluations", "visit_date")
