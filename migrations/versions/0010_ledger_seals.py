"""ledger seals: signed household heads, the ledger_seal and ledger_verify_run tables, more triggers

- household.head_sig: HMAC of (id, ledger_seq, ledger_hash, balance); existing heads are signed here
  with the app's ledger key (docs/decisions.md#ledger-seals).
- ledger_seal (append-only): seals of every household's signed head; ledger_verify_run: verify runs
  started from the web page, run in the background.
- a trigger refuses any UPDATE that lowers household.ledger_seq; audit_log becomes append-only;
  PostgreSQL gets BEFORE TRUNCATE triggers on every append-only table.

Revision ID: 0010_ledger_seals
Revises: 0011_security
Create Date: 2026-12-07 14:00:00

"""
import hmac
import json

import sqlalchemy as sa
from alembic import op

from migrations.append_only import create_append_only, drop_append_only

revision = '0010_ledger_seals'
down_revision = '0011_security'
branch_labels = None
depends_on = None

#: append-only tables that get a BEFORE TRUNCATE trigger on PostgreSQL
APPEND_ONLY = ('ledger_entry', 'fund_entry', 'support_problem_change', 'audit_log', 'ledger_seal')


def upgrade():
    op.add_column('household', sa.Column('head_sig', sa.String(length=64), server_default='', nullable=False))
    op.create_table('ledger_seal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('code', sa.String(length=19), nullable=False),
    sa.Column('root', sa.String(length=64), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_seal'))
    )
    op.create_index(op.f('ix_ledger_seal_created_at'), 'ledger_seal', ['created_at'], unique=False)
    op.create_table('ledger_verify_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=True),
    sa.Column('report', sa.Text(), nullable=True),
    sa.CheckConstraint("state IN ('running', 'done', 'failed')", name=op.f('ck_ledger_verify_run_state')),
    sa.ForeignKeyConstraint(['requested_by'], ['staff_user.id'], name=op.f('fk_ledger_verify_run_requested_by_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_verify_run'))
    )
    _sign_existing_heads()
    create_append_only('ledger_seal')
    create_append_only('audit_log')
    _create_seq_trigger()
    if op.get_bind().dialect.name == 'postgresql':
        for table in APPEND_ONLY:
            op.execute(f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
                           FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()""")


def downgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER IF EXISTS household_seq_no_lower ON household")
        op.execute("DROP FUNCTION IF EXISTS household_seq_no_lower()")
    else:
        op.execute("DROP TRIGGER IF EXISTS household_seq_no_lower")
    drop_append_only('audit_log')
    drop_append_only('ledger_seal')
    op.drop_table('ledger_verify_run')
    op.drop_index(op.f('ix_ledger_seal_created_at'), table_name='ledger_seal')
    op.drop_table('ledger_seal')
    if postgresql:
        op.drop_column('household', 'head_sig')
    else:  # SQLite ≥ 3.35 drops a column in place (a batch copy would drop the referenced table)
        op.execute("ALTER TABLE household DROP COLUMN head_sig")


def _create_seq_trigger():
    """A household's chain head never moves back (deleting its newest entries needs that)."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("""
            CREATE OR REPLACE FUNCTION household_seq_no_lower() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'household.ledger_seq never goes down: % -> % refused', OLD.ledger_seq, NEW.ledger_seq;
            END;
            $$ LANGUAGE plpgsql""")
        op.execute("""CREATE TRIGGER household_seq_no_lower BEFORE UPDATE OF ledger_seq ON household
                      FOR EACH ROW WHEN (NEW.ledger_seq < OLD.ledger_seq)
                      EXECUTE FUNCTION household_seq_no_lower()""")
    else:
        op.execute("""CREATE TRIGGER household_seq_no_lower BEFORE UPDATE OF ledger_seq ON household
                      FOR EACH ROW WHEN NEW.ledger_seq < OLD.ledger_seq
                      BEGIN SELECT RAISE(ABORT, 'household.ledger_seq never goes down: UPDATE refused'); END""")


def _sign_existing_heads():
    """The head signature as services/ledger/__init__.py head_signature makes it (frozen here)."""
    from flask import current_app

    key = (current_app.config.get("LEDGER_KEY") or "").encode()
    if not key:
        return  # no key: verify reports these heads as unsigned
    bind = op.get_bind()
    heads = bind.execute(sa.text(
        "SELECT id, ledger_seq, ledger_hash, balance FROM household WHERE ledger_seq > 0")).all()
    for hid, seq, last_hash, balance in heads:
        fields = {"balance": balance, "hash": last_hash, "household_id": hid, "seq": seq}
        text = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        sig = hmac.digest(key, ("head:" + text).encode(), "sha256").hex()
        bind.execute(sa.text("UPDATE household SET head_sig = :sig WHERE id = :id"), {"sig": sig, "id": hid})
