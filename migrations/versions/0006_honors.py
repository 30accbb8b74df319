"""honors: honor lists (光荣榜) with sections, entries, objections; year-end runs

Revision ID: 0006_honors
Revises: 0004_support
Create Date: 2026-11-23 13:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006_honors'
down_revision = '0004_support'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('honor_list',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=64), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('notice_days', sa.Integer(), nullable=False),
    sa.Column('notice_start', sa.Date(), nullable=True),
    sa.Column('notice_end', sa.Date(), nullable=True),
    sa.Column('contact', sa.String(length=200), nullable=True),
    sa.Column('broadcast_script', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawn_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'notice', 'published', 'withdrawn')", name=op.f('ck_honor_list_status')),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_honor_list_period_order')),
    sa.CheckConstraint('notice_days >= 1', name=op.f('ck_honor_list_notice_days_positive')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_honor_list_site_id_site')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_honor_list_created_by_id_staff_user')),
    sa.ForeignKeyConstraint(['published_by_id'], ['staff_user.id'],
                            name=op.f('fk_honor_list_published_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_honor_list'))
    )
    with op.batch_alter_table('honor_list', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_honor_list_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_honor_list_status'), ['status'], unique=False)

    op.create_table('honor_section',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('award_type_id', sa.Integer(), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['list_id'], ['honor_list.id'], name=op.f('fk_honor_section_list_id_honor_list')),
    # award_type_id refers to award_type.id (earning branch); no FK so this branch stands alone
    sa.PrimaryKeyConstraint('id', name=op.f('pk_honor_section')),
    sa.UniqueConstraint('list_id', 'name', name=op.f('uq_honor_section_list_id_name'))
    )
    with op.batch_alter_table('honor_section', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_honor_section_list_id'), ['list_id'], unique=False)

    op.create_table('honor_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('display_name', sa.String(length=64), nullable=False),
    sa.Column('citation', sa.Text(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('earned', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['section_id'], ['honor_section.id'],
                            name=op.f('fk_honor_entry_section_id_honor_section')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_honor_entry_household_id_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_honor_entry')),
    sa.UniqueConstraint('section_id', 'household_id', name=op.f('uq_honor_entry_section_id_household_id'))
    )
    with op.batch_alter_table('honor_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_honor_entry_section_id'), ['section_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_honor_entry_household_id'), ['household_id'], unique=False)

    op.create_table('honor_objection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('raised_by', sa.String(length=64), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'upheld', 'rejected')", name=op.f('ck_honor_objection_status')),
    sa.ForeignKeyConstraint(['list_id'], ['honor_list.id'], name=op.f('fk_honor_objection_list_id_honor_list')),
    sa.ForeignKeyConstraint(['entry_id'], ['honor_entry.id'], ondelete='SET NULL',
                            name=op.f('fk_honor_objection_entry_id_honor_entry')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'],
                            name=op.f('fk_honor_objection_recorded_by_id_staff_user')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['staff_user.id'],
                            name=op.f('fk_honor_objection_resolved_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_honor_objection'))
    )
    with op.batch_alter_table('honor_objection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_honor_objection_list_id'), ['list_id'], unique=False)

    op.create_table('year_end_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('policy', sa.String(length=16), nullable=False),
    sa.Column('expire_months', sa.Integer(), nullable=True),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('run_by_id', sa.Integer(), nullable=False),
    sa.Column('run_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("policy IN ('carry_over', 'expire', 'reset')", name=op.f('ck_year_end_run_policy')),
    sa.ForeignKeyConstraint(['county_id'], ['area.id'], name=op.f('fk_year_end_run_county_id_area')),
    sa.ForeignKeyConstraint(['run_by_id'], ['staff_user.id'], name=op.f('fk_year_end_run_run_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_year_end_run')),
    sa.UniqueConstraint('county_id', 'year', name=op.f('uq_year_end_run_county_id_year'))
    )


def downgrade():
    op.drop_table('year_end_run')
    with op.batch_alter_table('honor_objection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_honor_objection_list_id'))
    op.drop_table('honor_objection')
    with op.batch_alter_table('honor_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_honor_entry_household_id'))
        batch_op.drop_index(batch_op.f('ix_honor_entry_section_id'))
    op.drop_table('honor_entry')
    with op.batch_alter_table('honor_section', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_honor_section_list_id'))
    op.drop_table('honor_section')
    with op.batch_alter_table('honor_list', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_honor_list_status'))
        batch_op.drop_index(batch_op.f('ix_honor_list_site_id'))
    op.drop_table('honor_list')
