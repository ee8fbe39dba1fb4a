"""stored final reports (issue 4)

Revision ID: 0002_stored_reports
Revises: 0001
Create Date: 2026-11-30 09:00:00

Written by hand: one new table, so nothing needs batch mode on SQLite; the names follow the
naming convention of app.extensions so that later migrations can alter them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_stored_reports'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stored_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('evaluation_id', sa.Integer(), nullable=False),
        sa.Column('file_name', sa.String(length=100), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content_sha256', sa.String(length=64), nullable=False),
        sa.Column('content_json', sa.Text(), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('pages', sa.Integer(), nullable=False),
        sa.Column('evaluation_version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['evaluation_id'], ['evaluations.id'],
                                name=op.f('fk_stored_reports_evaluation_id_evaluations')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_stored_reports_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_reports')),
        sa.UniqueConstraint('evaluation_id', name=op.f('uq_stored_reports_evaluation_id')),
        sa.UniqueConstraint('file_name', name=op.f('uq_stored_reports_file_name')),
    )
    op.create_index(op.f('ix_stored_reports_content_sha256'), 'stored_reports',
                    ['content_sha256'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_stored_reports_content_sha256'), table_name='stored_reports')
    op.drop_table('stored_reports')
