"""Course audience: who is offered an optional course (issue 19). NULL offers it to nobody.

Revision ID: notice_c
Revises: notice_a
Create Date: 2026-12-04 21:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'notice_c'
down_revision = 'notice_a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audience', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('audience')
