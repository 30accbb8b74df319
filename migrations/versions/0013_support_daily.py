"""support daily work: the area a 包保 cadre serves (support_cadre.area_id); the monthly report's
narrative and sign-off (monthly_report_note)

A township or village cadre serves the households of their own area only; county and department
cadres (area_id NULL) may serve anywhere in the county. A month's report for a scope carries
工作开展情况 / 存在问题 / 下步打算, its 填报人 and an 审核人 who is someone else.

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
    op.create_table('monthly_report_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('work_done', sa.Text(), nullable=False),
    sa.Column('issues', sa.Text(), nullable=False),
    sa.Column('next_steps', sa.Text(), nullable=False),
    sa.Column('filled_by_id', sa.Integer(), nullable=False),
    sa.Column('filled_at', sa.DateTime(), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('month BETWEEN 1 AND 12', name=op.f('ck_monthly_report_note_month')),
    sa.CheckConstraint('reviewed_by_id IS NULL OR reviewed_by_id <> filled_by_id',
                       name=op.f('ck_monthly_report_note_reviewer_not_filler')),
    sa.ForeignKeyConstraint(['filled_by_id'], ['staff_user.id'], name=op.f('fk_monthly_report_note_filled_by_id_staff_user')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['staff_user.id'],
                            name=op.f('fk_monthly_report_note_reviewed_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monthly_report_note')),
    sa.UniqueConstraint('scope', 'year', 'month', name=op.f('uq_monthly_report_note_scope_year_month'))
    )


def downgrade():
    op.drop_table('monthly_report_note')
    with op.batch_alter_table('support_cadre', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_support_cadre_area_id_area'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_support_cadre_area_id'))
        batch_op.drop_column('area_id')
