"""activity.integration: marks a 融合共建 activity, counted by the yearly 考核

Revision ID: 0017_integration_activities
Revises: 0016_township_plan
"""
import sqlalchemy as sa
from alembic import op

revision = "0017_integration_activities"
down_revision = "0016_township_plan"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("activity") as batch:
        batch.add_column(sa.Column("integration", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("activity") as batch:
        batch.drop_column("integration")
