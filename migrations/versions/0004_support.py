"""follow-up support (包保, visits, problem ledger, monitoring) and household life events

Revision ID: 0004_support
Revises: 0003_earning
"""
import sqlalchemy as sa
from alembic import op

from migrations.append_only import create_append_only, drop_append_only

revision = "0004_support"
down_revision = "0003_earning"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('life_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('other_household_id', sa.Integer(), nullable=True),
    sa.Column('policy', sa.String(length=20), nullable=True),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('split', 'merge', 'move_out', 'move_in', 'move_site', 'head_change', 'member_add', 'member_deceased')", name=op.f('ck_life_event_kind')),
    sa.CheckConstraint('points >= 0', name=op.f('ck_life_event_points_non_negative')),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'], name=op.f('fk_life_event_actor_id_staff_user')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_life_event_household_id_household')),
    sa.ForeignKeyConstraint(['other_household_id'], ['household.id'], name=op.f('fk_life_event_other_household_id_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_life_event'))
    )
    with op.batch_alter_table('life_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_life_event_household_id'), ['household_id'], unique=False)
        batch_op.create_index('ix_life_event_other_household', ['other_household_id'], unique=False)

    op.create_table('support_cadre',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('unit', sa.String(length=100), nullable=True),
    sa.Column('staff_user_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("level IN ('county', 'township', 'village', 'department')", name=op.f('ck_support_cadre_level')),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_user.id'], name=op.f('fk_support_cadre_staff_user_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_cadre')),
    sa.UniqueConstraint('staff_user_id', name=op.f('uq_support_cadre_staff_user_id'))
    )
    op.create_table('support_monitoring_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('risk_note', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('phase', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('identifying', 'monitored', 'eliminating', 'eliminated', 'rejected')", name=op.f('ck_support_monitoring_case_status')),
    sa.CheckConstraint("type IN ('unstable', 'marginal', 'sudden')", name=op.f('ck_support_monitoring_case_type')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_support_monitoring_case_created_by_id_staff_user')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_support_monitoring_case_household_id_household')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_support_monitoring_case_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_monitoring_case'))
    )
    with op.batch_alter_table('support_monitoring_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_monitoring_case_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_monitoring_case_site_id'), ['site_id'], unique=False)

    op.create_table('support_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_type', sa.String(length=20), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=80), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("owner_type IN ('visit', 'problem_before', 'problem_after')", name=op.f('ck_support_photo_owner_type')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_support_photo_site_id_site')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['staff_user.id'], name=op.f('fk_support_photo_uploaded_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_photo')),
    sa.UniqueConstraint('filename', name=op.f('uq_support_photo_filename'))
    )
    with op.batch_alter_table('support_photo', schema=None) as batch_op:
        batch_op.create_index('ix_support_photo_owner', ['owner_type', 'owner_id'], unique=False)

    op.create_table('support_monitoring_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=16), nullable=False),
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('step_date', sa.Date(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('publicity_start', sa.Date(), nullable=True),
    sa.Column('publicity_end', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("phase IN ('identify', 'eliminate')", name=op.f('ck_support_monitoring_step_phase')),
    sa.CheckConstraint("step IN ('found', 'verified', 'publicity', 'township', 'county')", name=op.f('ck_support_monitoring_step_step')),
    sa.CheckConstraint('publicity_end IS NULL OR publicity_end >= publicity_start', name=op.f('ck_support_monitoring_step_publicity')),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'], name=op.f('fk_support_monitoring_step_actor_id_staff_user')),
    sa.ForeignKeyConstraint(['case_id'], ['support_monitoring_case.id'], name=op.f('fk_support_monitoring_step_case_id_support_monitoring_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_monitoring_step'))
    )
    with op.batch_alter_table('support_monitoring_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_monitoring_step_case_id'), ['case_id'], unique=False)

    op.create_table('support_responsibility',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('end_reason', sa.String(length=100), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('end_date IS NULL OR end_date >= start_date', name=op.f('ck_support_responsibility_dates')),
    sa.ForeignKeyConstraint(['cadre_id'], ['support_cadre.id'], name=op.f('fk_support_responsibility_cadre_id_support_cadre')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_support_responsibility_created_by_id_staff_user')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_support_responsibility_household_id_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_responsibility'))
    )
    with op.batch_alter_table('support_responsibility', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_responsibility_cadre_id'), ['cadre_id'], unique=False)
        batch_op.create_index('ix_support_responsibility_household_active', ['household_id', 'end_date'], unique=False)

    op.create_table('support_visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('visit_date', sa.Date(), nullable=False),
    sa.Column('visitors', sa.String(length=200), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=True),
    sa.Column('met', sa.Boolean(), nullable=False),
    sa.Column('met_person', sa.String(length=64), nullable=True),
    sa.Column('reached_by', sa.String(length=16), nullable=True),
    sa.Column('situation', sa.Text(), nullable=False),
    sa.Column('suggestions', sa.Text(), nullable=True),
    sa.Column('actions', sa.Text(), nullable=True),
    sa.Column('confirm_name', sa.String(length=64), nullable=True),
    sa.Column('signature_file', sa.String(length=80), nullable=True),
    sa.Column('backdate_reason', sa.String(length=200), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("reached_by IS NULL OR reached_by IN ('phone', 'wechat', 'none')", name=op.f('ck_support_visit_reached_by')),
    sa.ForeignKeyConstraint(['cadre_id'], ['support_cadre.id'], name=op.f('fk_support_visit_cadre_id_support_cadre')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_support_visit_household_id_household')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_support_visit_recorded_by_id_staff_user')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_support_visit_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_visit'))
    )
    with op.batch_alter_table('support_visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_visit_cadre_id'), ['cadre_id'], unique=False)
        batch_op.create_index('ix_support_visit_household_date', ['household_id', 'visit_date'], unique=False)
        batch_op.create_index('ix_support_visit_site_date', ['site_id', 'visit_date'], unique=False)

    op.create_table('support_problem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('found_date', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('lead_unit', sa.String(length=100), nullable=True),
    sa.Column('responsible_unit', sa.String(length=100), nullable=True),
    sa.Column('responsible_person', sa.String(length=64), nullable=True),
    sa.Column('measures', sa.Text(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("category IN ('就业', '产业', '住房', '饮水', '医疗', '教育', '社保', '基础设施', '环境', '其他')", name=op.f('ck_support_problem_category')),
    sa.CheckConstraint("source IN ('visit', 'meeting', 'self_report', 'other')", name=op.f('ck_support_problem_source')),
    sa.CheckConstraint("status IN ('not_started', 'in_progress', 'resolved', 'closed', 'unresolvable', 'escalated')", name=op.f('ck_support_problem_status')),
    sa.CheckConstraint('closed_by_id IS NULL OR resolved_by_id IS NULL OR closed_by_id <> resolved_by_id', name=op.f('ck_support_problem_reviewer_not_resolver')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['staff_user.id'], name=op.f('fk_support_problem_closed_by_id_staff_user')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_support_problem_created_by_id_staff_user')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_support_problem_household_id_household')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['staff_user.id'], name=op.f('fk_support_problem_resolved_by_id_staff_user')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_support_problem_site_id_site')),
    sa.ForeignKeyConstraint(['visit_id'], ['support_visit.id'], name=op.f('fk_support_problem_visit_id_support_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_problem'))
    )
    with op.batch_alter_table('support_problem', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_problem_household_id'), ['household_id'], unique=False)
        batch_op.create_index('ix_support_problem_site_status', ['site_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_problem_visit_id'), ['visit_id'], unique=False)

    op.create_table('support_problem_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('fields', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'], name=op.f('fk_support_problem_change_actor_id_staff_user')),
    sa.ForeignKeyConstraint(['problem_id'], ['support_problem.id'], name=op.f('fk_support_problem_change_problem_id_support_problem')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_problem_change'))
    )
    with op.batch_alter_table('support_problem_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_problem_change_problem_id'), ['problem_id'], unique=False)

    # every change of a problem is kept: the history table refuses UPDATE/DELETE
    create_append_only("support_problem_change")


def downgrade():
    drop_append_only("support_problem_change")
    with op.batch_alter_table('support_problem_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_problem_change_problem_id'))

    op.drop_table('support_problem_change')
    with op.batch_alter_table('support_problem', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_problem_visit_id'))
        batch_op.drop_index('ix_support_problem_site_status')
        batch_op.drop_index(batch_op.f('ix_support_problem_household_id'))

    op.drop_table('support_problem')
    with op.batch_alter_table('support_visit', schema=None) as batch_op:
        batch_op.drop_index('ix_support_visit_site_date')
        batch_op.drop_index('ix_support_visit_household_date')
        batch_op.drop_index(batch_op.f('ix_support_visit_cadre_id'))

    op.drop_table('support_visit')
    with op.batch_alter_table('support_responsibility', schema=None) as batch_op:
        batch_op.drop_index('ix_support_responsibility_household_active')
        batch_op.drop_index(batch_op.f('ix_support_responsibility_cadre_id'))

    op.drop_table('support_responsibility')
    with op.batch_alter_table('support_monitoring_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_monitoring_step_case_id'))

    op.drop_table('support_monitoring_step')
    with op.batch_alter_table('support_photo', schema=None) as batch_op:
        batch_op.drop_index('ix_support_photo_owner')

    op.drop_table('support_photo')
    with op.batch_alter_table('support_monitoring_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_monitoring_case_site_id'))
        batch_op.drop_index(batch_op.f('ix_support_monitoring_case_household_id'))

    op.drop_table('support_monitoring_case')
    op.drop_table('support_cadre')
    with op.batch_alter_table('life_event', schema=None) as batch_op:
        batch_op.drop_index('ix_life_event_other_household')
        batch_op.drop_index(batch_op.f('ix_life_event_household_id'))

    op.drop_table('life_event')
