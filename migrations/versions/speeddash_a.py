"""Planner statistics on the open-until expression of deployments (PostgreSQL only).

The reports ask for the deployments open on a day as COALESCE(departure_on, '9999-12-31') >= day
(readiness.report_sql.is_open); without statistics on that expression PostgreSQL guessed a third
of the rows and planned the HQ view for 40,000 people instead of 96,000 (accounts.models).

Revision ID: speeddash_a
Revises: notice_b
Create Date: 2026-12-05 00:10:00

"""
from alembic import op

revision = 'speeddash_a'
down_revision = 'sessions_a'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE STATISTICS IF NOT EXISTS deployments_open_until "
                   "ON (COALESCE(departure_on, DATE '9999-12-31')) FROM deployments")
        op.execute("ANALYZE deployments")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS deployments_open_until")
