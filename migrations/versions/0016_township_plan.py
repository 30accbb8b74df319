"""年度计划 and 任务分解: a township's annual plan, its tasks, the problems they take up, progress notes

Revision ID: 0016_township_plan
Revises: 0015_jobs
"""
import sqlalchemy as sa
from alembic import op

revision = '0016_township_plan'
down_revision = '0015_jobs'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('support_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_support_plan_area_id_area')),
    sa.ForeignKeyConstraint(['created_by'], ['staff_user.id'], name=op.f('fk_support_plan_created_by_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_plan')),
    sa.UniqueConstraint('area_id', 'year', name=op.f('uq_support_plan_area_id_year'))
    )
    with op.batch_alter_table('support_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_plan_area_id'), ['area_id'], unique=False)

    op.create_table('support_plan_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('responsible_unit', sa.String(length=100), nullable=False),
    sa.Column('responsible_user_id', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('done_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.CheckConstraint("status = 'open' OR done_at IS NOT NULL", name=op.f('ck_support_plan_task_done_at')),
    sa.CheckConstraint("status IN ('open', 'done')", name=op.f('ck_support_plan_task_status')),
    sa.ForeignKeyConstraint(['created_by'], ['staff_user.id'], name=op.f('fk_support_plan_task_created_by_staff_user')),
    sa.ForeignKeyConstraint(['plan_id'], ['support_plan.id'], name=op.f('fk_support_plan_task_plan_id_support_plan')),
    sa.ForeignKeyConstraint(['responsible_user_id'], ['staff_user.id'], name=op.f('fk_support_plan_task_responsible_user_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_plan_task'))
    )
    with op.batch_alter_table('support_plan_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_plan_task_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_plan_task_responsible_user_id'), ['responsible_user_id'], unique=False)

    op.create_table('support_plan_task_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'], name=op.f('fk_support_plan_task_progress_actor_id_staff_user')),
    sa.ForeignKeyConstraint(['task_id'], ['support_plan_task.id'], name=op.f('fk_support_plan_task_progress_task_id_support_plan_task')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_plan_task_progress'))
    )
    with op.batch_alter_table('support_plan_task_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_plan_task_progress_task_id'), ['task_id'], unique=False)

    op.create_table('support_plan_task_problem',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['problem_id'], ['support_problem.id'], name=op.f('fk_support_plan_task_problem_problem_id_support_problem')),
    sa.ForeignKeyConstraint(['task_id'], ['support_plan_task.id'], name=op.f('fk_support_plan_task_problem_task_id_support_plan_task')),
    sa.PrimaryKeyConstraint('task_id', 'problem_id', name=op.f('pk_support_plan_task_problem')),
    sa.UniqueConstraint('problem_id', name=op.f('uq_support_plan_task_problem_problem_id'))
    )


def downgrade():
    op.drop_table('support_plan_task_problem')
    with op.batch_alter_table('support_plan_task_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_plan_task_progress_task_id'))

    op.drop_table('support_plan_task_progress')
    with op.batch_alter_table('support_plan_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_plan_task_responsible_user_id'))
        batch_op.drop_index(batch_op.f('ix_support_plan_task_plan_id'))

    op.drop_table('support_plan_task')
    with op.batch_alter_table('support_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_plan_area_id'))

    op.drop_table('support_plan')
