"""Reminders that reach everyone: how each reminder reached the person (e-mail, in the app, both).

Revision ID: notice_b
Revises: 4ec2bc39f783
Create Date: 2026-12-04 21:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'notice_b'
down_revision = '4ec2bc39f783'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reminders') as batch_op:
        batch_op.add_column(sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('seen_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('reminders') as batch_op:
        batch_op.drop_column('seen_at')
        batch_op.drop_column('emailed_at')
