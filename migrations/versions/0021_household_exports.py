"""household_export: a 一户一档 export too large to write inside a request, prepared in the background
and kept for a day for its requester (docs/decisions.md#background-exports)

Revision ID: 0021_household_exports
Revises: 0020_month_totals
Create Date: 2026-12-08 01:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0021_household_exports'
down_revision = '0020_month_totals'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('household_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('filter', sa.Text(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.CheckConstraint("state IN ('running', 'done', 'failed')", name=op.f('ck_household_export_state')),
    sa.ForeignKeyConstraint(['requested_by'], ['staff_user.id'], name=op.f('fk_household_export_requested_by_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_export'))
    )
    op.create_index(op.f('ix_household_export_requested_by'), 'household_export', ['requested_by'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_household_export_requested_by'), table_name='household_export')
    op.drop_table('household_export')
