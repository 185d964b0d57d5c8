"""Quiz settings: min_critical, the critical questions every attempt draws (issue 13).

Revision ID: b13c9a7e5d21
Revises: 1179e786d47f
Create Date: 2026-12-04 20:50:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b13c9a7e5d21'
down_revision = '1179e786d47f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_critical', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.drop_column('min_critical')
