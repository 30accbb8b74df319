"""ledger month totals: Σ points, entries and positive entries per (household, month, kind, site),
kept in step by the ledger's write path in the entry's own transaction; backfilled here from the
entries in one INSERT … SELECT … GROUP BY (docs/decisions.md#month-totals). anomaly_run: the
anomaly checks run in the background with their findings stored (docs/decisions.md#anomaly-runs)

Revision ID: 0020_month_totals
Revises: 0019_offline_kiosk
Create Date: 2026-12-07 18:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0020_month_totals'
down_revision = '0019_offline_kiosk'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ledger_month_total',
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('credits', sa.Integer(), nullable=False),
    sa.Column('first_date', sa.Date(), nullable=False),
    sa.Column('last_date', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_ledger_month_total_household_id_household')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_ledger_month_total_site_id_site')),
    sa.PrimaryKeyConstraint('household_id', 'month', 'kind', 'site_id', name=op.f('pk_ledger_month_total'))
    )
    month = ("to_char(effective_date, 'YYYY-MM')" if op.get_bind().dialect.name == 'postgresql'
             else "strftime('%Y-%m', effective_date)")
    # the same sums as services/ledger/month_totals.py recompute_sql (a migration does not import the app)
    op.execute(
        "INSERT INTO ledger_month_total (household_id, month, kind, site_id, points, entries, credits, "
        f"first_date, last_date) SELECT household_id, {month}, kind, site_id, SUM(points), COUNT(*), "
        "SUM(CASE WHEN points > 0 THEN 1 ELSE 0 END), MIN(effective_date), MAX(effective_date) "
        f"FROM ledger_entry GROUP BY household_id, {month}, kind, site_id")
    # after the backfill: one index build instead of an update per row
    op.create_index('ix_ledger_month_total_month_site', 'ledger_month_total', ['month', 'site_id', 'kind', 'points', 'credits', 'household_id'], unique=False)


    op.create_table('anomaly_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('thresholds', sa.Text(), nullable=False),
    sa.Column('findings', sa.Text(), nullable=True),
    sa.CheckConstraint("state IN ('running', 'done', 'failed')", name=op.f('ck_anomaly_run_state')),
    sa.ForeignKeyConstraint(['requested_by'], ['staff_user.id'], name=op.f('fk_anomaly_run_requested_by_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_anomaly_run'))
    )
    op.create_index('ix_anomaly_run_period', 'anomaly_run', ['period_start', 'period_end'], unique=False)


def downgrade():
    op.drop_index('ix_anomaly_run_period', table_name='anomaly_run')
    op.drop_table('anomaly_run')
    op.drop_index('ix_ledger_month_total_month_site', table_name='ledger_month_total')
    op.drop_table('ledger_month_total')
