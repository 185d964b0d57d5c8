"""An index on lower(email): sign-in, reset links, single sign-on and the roster import find people
by e-mail whatever its case, and every one of those lookups read the whole users table.

Revision ID: signin_a
Revises: counts_a
Create Date: 2026-12-06 11:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'signin_a'
down_revision = 'counts_a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_users_email_lower', 'users', [sa.text('lower(email)')], unique=False)


def downgrade():
    op.drop_index('ix_users_email_lower', table_name='users')
