"""Profile: the holder's name in Arabic script, kept on the person and on each certificate.

Revision ID: notice_a
Revises: a7c3e915b2d4
Create Date: 2026-12-04 21:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'notice_a'
down_revision = 'a7c3e915b2d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('name_arabic', sa.String(length=200), nullable=True))
    with op.batch_alter_table('certificates') as batch_op:
        batch_op.add_column(sa.Column('holder_name_arabic', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('certificates') as batch_op:
        batch_op.drop_column('holder_name_arabic')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('name_arabic')
