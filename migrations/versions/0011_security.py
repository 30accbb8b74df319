"""security: staff_user.session_version (a password change ends the user's other sessions)

Revision ID: 0011_security
Revises: 0013_support_daily
Create Date: 2026-12-07 14:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0011_security'
down_revision = '0013_support_daily'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_user') as batch:
        batch.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('staff_user') as batch:
        batch.drop_column('session_version')
