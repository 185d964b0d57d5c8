"""Open Badges: one random subject URN per person (credentialSubject.id / JWT sub); GIFT: a
question keeps the ::name:: Moodle gave it.

Revision ID: a7c3e915b2d4
Revises: b13c9a7e5d21
Create Date: 2026-12-04 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e915b2d4'
down_revision = 'b13c9a7e5d21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'badge_subjects',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('subject_id', sa.String(length=60), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_badge_subjects_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_badge_subjects')),
        sa.UniqueConstraint('subject_id', name=op.f('uq_badge_subjects_subject_id')),
        sa.UniqueConstraint('user_id', name=op.f('uq_badge_subjects_user_id')),
    )


    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('name')
    op.drop_table('badge_subjects')
