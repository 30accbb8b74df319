"""安置点包保, household causes and 分类包保 by cause

Revision ID: 0018_settlement_kinds
Revises: 0017_integration_activities
"""
import sqlalchemy as sa
from alembic import op

revision = '0018_settlement_kinds'
down_revision = '0017_integration_activities'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('household_cause',
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('cause', sa.String(length=16), nullable=False),
    sa.CheckConstraint("cause IN ('illness', 'disability', 'schooling', 'disaster', 'labour', 'skills', 'capital', 'land', 'motivation')", name=op.f('ck_household_cause_cause')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_household_cause_household_id_household')),
    sa.PrimaryKeyConstraint('household_id', 'cause', name=op.f('pk_household_cause'))
    )
    with op.batch_alter_table('household_cause', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_household_cause_cause'), ['cause'], unique=False)

    op.create_table('support_cause_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('cause', sa.String(length=16), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.CheckConstraint("cause IN ('illness', 'disability', 'schooling', 'disaster', 'labour', 'skills', 'capital', 'land', 'motivation')", name=op.f('ck_support_cause_assignment_cause')),
    sa.CheckConstraint('end_date IS NULL OR end_date >= start_date', name=op.f('ck_support_cause_assignment_dates')),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_support_cause_assignment_area_id_area')),
    sa.ForeignKeyConstraint(['cadre_id'], ['support_cadre.id'], name=op.f('fk_support_cause_assignment_cadre_id_support_cadre')),
    sa.ForeignKeyConstraint(['created_by'], ['staff_user.id'], name=op.f('fk_support_cause_assignment_created_by_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_cause_assignment'))
    )
    with op.batch_alter_table('support_cause_assignment', schema=None) as batch_op:
        batch_op.create_index('ix_support_cause_assignment_area_cause', ['area_id', 'cause', 'end_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_cause_assignment_cadre_id'), ['cadre_id'], unique=False)

    op.create_table('support_site_leader',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.CheckConstraint('end_date IS NULL OR end_date >= start_date', name=op.f('ck_support_site_leader_dates')),
    sa.ForeignKeyConstraint(['cadre_id'], ['support_cadre.id'], name=op.f('fk_support_site_leader_cadre_id_support_cadre')),
    sa.ForeignKeyConstraint(['created_by'], ['staff_user.id'], name=op.f('fk_support_site_leader_created_by_staff_user')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_support_site_leader_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_site_leader'))
    )
    with op.batch_alter_table('support_site_leader', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_site_leader_cadre_id'), ['cadre_id'], unique=False)
        batch_op.create_index('ix_support_site_leader_site_active', ['site_id', 'end_date'], unique=False)



def downgrade():
    with op.batch_alter_table('support_site_leader', schema=None) as batch_op:
        batch_op.drop_index('ix_support_site_leader_site_active')
        batch_op.drop_index(batch_op.f('ix_support_site_leader_cadre_id'))

    op.drop_table('support_site_leader')
    with op.batch_alter_table('support_cause_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_cause_assignment_cadre_id'))
        batch_op.drop_index('ix_support_cause_assignment_area_cause')

    op.drop_table('support_cause_assignment')
    with op.batch_alter_table('household_cause', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_household_cause_cause'))

    op.drop_table('household_cause')
