"""open kiosk sessions: a partial index on kiosk_session(device_id) WHERE ended_at IS NULL

Every scan ends the device's open session; with only the device_id index that UPDATE read all the
sessions the device ever had, a number that grows with every scan. The partial index replaces the
device_id index: every query by device looks for its open session. The household_id index goes:
nothing looks sessions up by household and households are never deleted.

Revision ID: 0009_open_sessions
Revises: 0008_integrity
Create Date: 2026-11-23 19:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0009_open_sessions'
down_revision = '0008_integrity'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_kiosk_session_open', 'kiosk_session', ['device_id'], unique=False,
                    sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))
    op.drop_index('ix_kiosk_session_device_id', table_name='kiosk_session')
    op.drop_index('ix_kiosk_session_household_id', table_name='kiosk_session')


def downgrade():
    op.create_index('ix_kiosk_session_household_id', 'kiosk_session', ['household_id'], unique=False)
    op.create_index('ix_kiosk_session_device_id', 'kiosk_session', ['device_id'], unique=False)
    op.drop_index('ix_kiosk_session_open', table_name='kiosk_session')
