"""earning: rules catalog, evaluation rounds, volunteer activities

Revision ID: 0003_earning
Revises: 0002_supermarket
Create Date: 2026-11-23 13:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0003_earning'
down_revision = '0002_supermarket'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('award_type',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('bonus_points', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint('bonus_points > 0', name=op.f('ck_award_type_bonus_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_type')),
    sa.UniqueConstraint('name', name=op.f('uq_award_type_name'))
    )

    op.create_table('eval_dimension',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('max_score', sa.Integer(), nullable=False),
    sa.Column('points_per_score', sa.Integer(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint('max_score > 0', name=op.f('ck_eval_dimension_max_score_positive')),
    sa.CheckConstraint('points_per_score > 0', name=op.f('ck_eval_dimension_points_per_score_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eval_dimension')),
    sa.UniqueConstraint('name', name=op.f('uq_eval_dimension_name'))
    )

    op.create_table('rule_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_category')),
    sa.UniqueConstraint('name', name=op.f('uq_rule_category_name'))
    )

    op.create_table('activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=100), nullable=True),
    sa.Column('points_mode', sa.String(length=16), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('organiser', sa.String(length=64), nullable=True),
    sa.Column('allow_other_sites', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("points_mode IN ('participant', 'hour')", name=op.f('ck_activity_points_mode')),
    sa.CheckConstraint("status IN ('open', 'closed', 'cancelled')", name=op.f('ck_activity_status')),
    sa.CheckConstraint('capacity IS NULL OR capacity > 0', name=op.f('ck_activity_capacity_positive')),
    sa.CheckConstraint('hours >= 1', name=op.f('ck_activity_hours_positive')),
    sa.CheckConstraint('points > 0', name=op.f('ck_activity_points_positive')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['staff_user.id'], name=op.f('fk_activity_closed_by_id_staff_user')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_activity_created_by_id_staff_user')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_activity_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity'))
    )
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_status'), ['status'], unique=False)

    op.create_table('evaluation_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=64), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('config_json', sa.Text(), nullable=True),
    sa.Column('notice_days', sa.Integer(), nullable=False),
    sa.Column('notice_start', sa.Date(), nullable=True),
    sa.Column('notice_end', sa.Date(), nullable=True),
    sa.Column('contact', sa.String(length=200), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('notice_opened_by_id', sa.Integer(), nullable=True),
    sa.Column('posted_by_id', sa.Integer(), nullable=True),
    sa.Column('posted_at', sa.DateTime(), nullable=True),
    sa.Column('cancelled_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'scoring', 'notice', 'posted', 'cancelled')", name=op.f('ck_evaluation_round_status')),
    sa.CheckConstraint('notice_days >= 1', name=op.f('ck_evaluation_round_notice_days_positive')),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_evaluation_round_period_order')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_evaluation_round_created_by_id_staff_user')),
    sa.ForeignKeyConstraint(['notice_opened_by_id'], ['staff_user.id'], name=op.f('fk_evaluation_round_notice_opened_by_id_staff_user')),
    sa.ForeignKeyConstraint(['posted_by_id'], ['staff_user.id'], name=op.f('fk_evaluation_round_posted_by_id_staff_user')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_evaluation_round_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_round'))
    )
    with op.batch_alter_table('evaluation_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_round_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_round_status'), ['status'], unique=False)

    op.create_table('rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('cap_points', sa.Integer(), nullable=True),
    sa.Column('cap_period', sa.String(length=16), nullable=False),
    sa.Column('evidence_required', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('cap_points IS NULL OR cap_points > 0', name=op.f('ck_rule_cap_positive')),
    sa.CheckConstraint('points <> 0', name=op.f('ck_rule_points_non_zero')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_rule_version_positive')),
    sa.ForeignKeyConstraint(['category_id'], ['rule_category.id'], name=op.f('fk_rule_category_id_rule_category')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_rule_created_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule')),
    sa.UniqueConstraint('series', 'version', name=op.f('uq_rule_series_version'))
    )
    with op.batch_alter_table('rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rule_is_current'), ['is_current'], unique=False)
        batch_op.create_index(batch_op.f('ix_rule_series'), ['series'], unique=False)

    op.create_table('activity_signin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=True),
    sa.Column('signed_by_id', sa.Integer(), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('nominal_points', sa.Integer(), nullable=True),
    sa.Column('capped_points', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('approver_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('ledger_entry_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('signed', 'pending', 'approved', 'rejected', 'none')", name=op.f('ck_activity_signin_status')),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], name=op.f('fk_activity_signin_activity_id_activity')),
    sa.ForeignKeyConstraint(['approver_id'], ['staff_user.id'], name=op.f('fk_activity_signin_approver_id_staff_user')),
    sa.ForeignKeyConstraint(['card_id'], ['card.id'], name=op.f('fk_activity_signin_card_id_card')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_activity_signin_household_id_household')),
    sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entry.id'], name=op.f('fk_activity_signin_ledger_entry_id_ledger_entry')),
    sa.ForeignKeyConstraint(['signed_by_id'], ['staff_user.id'], name=op.f('fk_activity_signin_signed_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_signin')),
    sa.UniqueConstraint('activity_id', 'household_id', name=op.f('uq_activity_signin_activity_id_household_id'))
    )
    with op.batch_alter_table('activity_signin', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_signin_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_signin_household_id'), ['household_id'], unique=False)

    op.create_table('round_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('total_score', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('awards_text', sa.String(length=200), nullable=False),
    sa.Column('award_points', sa.Integer(), nullable=False),
    sa.Column('ledger_entry_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('points >= 0', name=op.f('ck_round_line_points_non_negative')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_round_line_household_id_household')),
    sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entry.id'], name=op.f('fk_round_line_ledger_entry_id_ledger_entry')),
    sa.ForeignKeyConstraint(['round_id'], ['evaluation_round.id'], name=op.f('fk_round_line_round_id_evaluation_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_line')),
    sa.UniqueConstraint('round_id', 'household_id', name=op.f('uq_round_line_round_id_household_id'))
    )
    with op.batch_alter_table('round_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_line_round_id'), ['round_id'], unique=False)

    op.create_table('round_nomination',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('award_type_id', sa.Integer(), nullable=False),
    sa.Column('bonus_points', sa.Integer(), nullable=False),
    sa.Column('nominated_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ledger_entry_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['award_type_id'], ['award_type.id'], name=op.f('fk_round_nomination_award_type_id_award_type')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_round_nomination_household_id_household')),
    sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entry.id'], name=op.f('fk_round_nomination_ledger_entry_id_ledger_entry')),
    sa.ForeignKeyConstraint(['nominated_by_id'], ['staff_user.id'], name=op.f('fk_round_nomination_nominated_by_id_staff_user')),
    sa.ForeignKeyConstraint(['round_id'], ['evaluation_round.id'], name=op.f('fk_round_nomination_round_id_evaluation_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_nomination')),
    sa.UniqueConstraint('round_id', 'household_id', 'award_type_id', name=op.f('uq_round_nomination_round_id_household_id_award_type_id'))
    )
    with op.batch_alter_table('round_nomination', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_nomination_round_id'), ['round_id'], unique=False)

    op.create_table('round_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('dimension_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('scored_by_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('score >= 0', name=op.f('ck_round_score_score_non_negative')),
    sa.ForeignKeyConstraint(['dimension_id'], ['eval_dimension.id'], name=op.f('fk_round_score_dimension_id_eval_dimension')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_round_score_household_id_household')),
    sa.ForeignKeyConstraint(['round_id'], ['evaluation_round.id'], name=op.f('fk_round_score_round_id_evaluation_round')),
    sa.ForeignKeyConstraint(['scored_by_id'], ['staff_user.id'], name=op.f('fk_round_score_scored_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_score')),
    sa.UniqueConstraint('round_id', 'household_id', 'dimension_id', name=op.f('uq_round_score_round_id_household_id_dimension_id'))
    )
    with op.batch_alter_table('round_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_score_round_id'), ['round_id'], unique=False)

    op.create_table('rule_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('nominal_points', sa.Integer(), nullable=False),
    sa.Column('applied_points', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('evidence_file', sa.String(length=80), nullable=True),
    sa.Column('batch', sa.String(length=32), nullable=True),
    sa.Column('recorder_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('approver_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('ledger_entry_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name=op.f('ck_rule_event_status')),
    sa.CheckConstraint('nominal_points <> 0', name=op.f('ck_rule_event_nominal_non_zero')),
    sa.CheckConstraint('quantity >= 1', name=op.f('ck_rule_event_quantity_positive')),
    sa.ForeignKeyConstraint(['approver_id'], ['staff_user.id'], name=op.f('fk_rule_event_approver_id_staff_user')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_rule_event_household_id_household')),
    sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entry.id'], name=op.f('fk_rule_event_ledger_entry_id_ledger_entry')),
    sa.ForeignKeyConstraint(['recorder_id'], ['staff_user.id'], name=op.f('fk_rule_event_recorder_id_staff_user')),
    sa.ForeignKeyConstraint(['rule_id'], ['rule.id'], name=op.f('fk_rule_event_rule_id_rule')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_rule_event_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_event'))
    )
    with op.batch_alter_table('rule_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_event_batch'), ['batch'], unique=False)
        batch_op.create_index('ix_rule_event_household_date', ['household_id', 'event_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_rule_event_rule_id'), ['rule_id'], unique=False)
        batch_op.create_index('ix_rule_event_site_status', ['site_id', 'status'], unique=False)

    op.create_table('objection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('raised_by', sa.String(length=64), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'upheld', 'rejected')", name=op.f('ck_objection_status')),
    sa.ForeignKeyConstraint(['line_id'], ['round_line.id'], name=op.f('fk_objection_line_id_round_line')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_objection_recorded_by_id_staff_user')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['staff_user.id'], name=op.f('fk_objection_resolved_by_id_staff_user')),
    sa.ForeignKeyConstraint(['round_id'], ['evaluation_round.id'], name=op.f('fk_objection_round_id_evaluation_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objection'))
    )
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objection_round_id'), ['round_id'], unique=False)


def downgrade():
    op.drop_table('objection')
    op.drop_table('rule_event')
    op.drop_table('round_score')
    op.drop_table('round_nomination')
    op.drop_table('round_line')
    op.drop_table('activity_signin')
    op.drop_table('rule')
    op.drop_table('evaluation_round')
    op.drop_table('activity')
    op.drop_table('rule_category')
    op.drop_table('eval_dimension')
    op.drop_table('award_type')
