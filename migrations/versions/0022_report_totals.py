"""report totals: the 报表 dashboard's Σ per (site, month, kind), each household's earning months per
year and its latest entry, folded up to a watermark entry (report_fold); entries after it are read live
(docs/decisions.md#folded-report-totals). Backfilled here from every entry.

Revision ID: 0022_report_totals
Revises: 0021_household_exports
Create Date: 2026-12-08 01:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0022_report_totals'
down_revision = '0021_household_exports'
branch_labels = None
depends_on = None

EARNING = "'evaluation', 'award', 'activity', 'rule_award', 'rule_deduction'"


def upgrade():
    op.create_table('report_fold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('folded_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_fold'))
    )
    op.create_table('site_month_total',
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_site_month_total_site_id_site')),
    sa.PrimaryKeyConstraint('month', 'site_id', 'kind', name=op.f('pk_site_month_total'))
    )
    op.create_table('household_year_total',
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('earned_months', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_household_year_total_household_id_household')),
    sa.PrimaryKeyConstraint('household_id', 'year', name=op.f('pk_household_year_total'))
    )
    op.create_table('household_last_entry',
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('last_date', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_household_last_entry_household_id_household')),
    sa.PrimaryKeyConstraint('household_id', name=op.f('pk_household_last_entry'))
    )
    # the same sums as services/reports/report_totals.py fold_sql (a migration does not import the app);
    # no writer runs during a migration, so every entry is settled
    if op.get_bind().dialect.name == 'postgresql':
        month, year, month_no = ("to_char(effective_date, 'YYYY-MM')", "CAST(EXTRACT(YEAR FROM effective_date) AS INTEGER)",
                                 "CAST(EXTRACT(MONTH FROM effective_date) AS INTEGER)")
    else:
        month, year, month_no = ("strftime('%Y-%m', effective_date)", "CAST(strftime('%Y', effective_date) AS INTEGER)",
                                 "CAST(strftime('%m', effective_date) AS INTEGER)")
    op.execute(f"INSERT INTO site_month_total (month, site_id, kind, points, entries) "
               f"SELECT {month}, site_id, kind, SUM(points), COUNT(*) FROM ledger_entry GROUP BY {month}, site_id, kind")
    op.execute(f"INSERT INTO household_year_total (household_id, year, earned_months) "
               f"SELECT household_id, {year}, SUM(DISTINCT CASE WHEN kind IN ({EARNING}) AND points > 0 "
               f"THEN 1 << ({month_no} - 1) ELSE 0 END) FROM ledger_entry GROUP BY household_id, {year}")
    op.execute("INSERT INTO household_last_entry (household_id, last_date) "
               "SELECT household_id, MAX(effective_date) FROM ledger_entry GROUP BY household_id")
    # after the backfill: one index build, and the planner's statistics of the new tables
    op.create_index('ix_household_last_entry_last', 'household_last_entry', ['last_date', 'household_id'], unique=False)
    op.execute("INSERT INTO report_fold (id, entry_id) SELECT 1, COALESCE(MAX(id), 0) FROM ledger_entry")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ANALYZE site_month_total, household_year_total, household_last_entry")


def downgrade():
    op.drop_index('ix_household_last_entry_last', table_name='household_last_entry')
    op.drop_table('household_last_entry')
    op.drop_table('household_year_total')
    op.drop_table('site_month_total')
    op.drop_table('report_fold')
