"""创业就业台账: a working-age member's employment record and the job subsidies paid to them

Revision ID: 0015_jobs
Revises: 0009_open_sessions
"""
import sqlalchemy as sa
from alembic import op

revision = "0015_jobs"
down_revision = "0009_open_sessions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('employment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('workplace', sa.String(length=100), nullable=False),
    sa.Column('since', sa.Date(), nullable=True),
    sa.Column('training_taken', sa.String(length=200), nullable=False),
    sa.Column('training_wanted', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('migrant', 'flexible', 'business', 'public_post', 'unemployed')",
                       name=op.f('ck_employment_status')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_employment_household_id_household')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_employment_member_id_member')),
    sa.ForeignKeyConstraint(['updated_by'], ['staff_user.id'], name=op.f('fk_employment_updated_by_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employment')),
    sa.UniqueConstraint('member_id', name=op.f('uq_employment_member_id'))
    )
    op.create_index(op.f('ix_employment_household_id'), 'employment', ['household_id'], unique=False)
    op.create_table('employment_subsidy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('granted_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('startup', 'rent', 'loan_interest')", name=op.f('ck_employment_subsidy_kind')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_employment_subsidy_amount')),
    sa.ForeignKeyConstraint(['created_by'], ['staff_user.id'], name=op.f('fk_employment_subsidy_created_by_staff_user')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_employment_subsidy_household_id_household')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_employment_subsidy_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employment_subsidy'))
    )
    op.create_index(op.f('ix_employment_subsidy_household_id'), 'employment_subsidy', ['household_id'], unique=False)
    op.create_index(op.f('ix_employment_subsidy_member_id'), 'employment_subsidy', ['member_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_employment_subsidy_member_id'), table_name='employment_subsidy')
    op.drop_index(op.f('ix_employment_subsidy_household_id'), table_name='employment_subsidy')
    op.drop_table('employment_subsidy')
    op.drop_index(op.f('ix_employment_household_id'), table_name='employment')
    op.drop_table('employment')
