"""support daily work: the area a 包保 cadre serves (support_cadre.area_id)

A township or village cadre serves the households of their own area only; county and department
cadres (area_id NULL) may serve anywhere in the county.

Revision ID: 0013_support_daily
Revises: 0018_settlement_kinds
Create Date: 2026-12-07 14:15:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0013_support_daily'
down_revision = '0018_settlement_kinds'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('support_cadre', schema=None) as batch_op:
        batch_op.add_column(sa.Column('area_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_support_cadre_area_id'), ['area_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_support_cadre_area_id_area'), 'area', ['area_id'], ['id'])


def downgrade():
    with op.batch_alter_table('support_cadre', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_support_cadre_area_id_area'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_support_cadre_area_id'))
        batch_op.drop_column('area_id')
