"""Training that happens in the room counts: how each completion and certificate was earned, what
satisfies each requirement, and recognised outside certificates.

Revision ID: counts_a
Revises: speeddash_a
Create Date: 2026-12-04 23:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'counts_a'
down_revision = 'speeddash_a'
branch_labels = None
depends_on = None


def upgrade():
    # completions.delivery_mode and certificates.delivery_mode came with sessions_a.
    with op.batch_alter_table('certificates') as batch_op:
        batch_op.drop_index('ix_certificates_user_course_status')
        batch_op.create_index('ix_certificates_user_course_status',
                              ['user_id', 'course_id', 'status', 'expires_at', 'delivery_mode'], unique=False)
    with op.batch_alter_table('requirements') as batch_op:
        batch_op.add_column(sa.Column('satisfied_by', sa.String(length=12), server_default='either', nullable=False))
        batch_op.create_check_constraint('satisfied_by', "satisfied_by IN ('either', 'online', 'in_person')")
    op.create_table(
        'outside_certificates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('requirement_id', sa.Integer(), nullable=False),
        sa.Column('issuer', sa.String(length=200), nullable=False),
        sa.Column('course_name', sa.String(length=300), nullable=False),
        sa.Column('completed_on', sa.Date(), nullable=False),
        sa.Column('certificate_expires_on', sa.Date(), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('evidence', sa.LargeBinary(), nullable=True),
        sa.Column('evidence_name', sa.String(length=200), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('removed_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_outside_certificates_recorded_by_id_users')),
        sa.ForeignKeyConstraint(['removed_by_id'], ['users.id'],
                                name=op.f('fk_outside_certificates_removed_by_id_users')),
        sa.ForeignKeyConstraint(['requirement_id'], ['requirements.id'],
                                name=op.f('fk_outside_certificates_requirement_id_requirements')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outside_certificates_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outside_certificates')),
    )
    with op.batch_alter_table('outside_certificates') as batch_op:
        batch_op.create_index(batch_op.f('ix_outside_certificates_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outside_certificates_requirement_id'), ['requirement_id'], unique=False)
        batch_op.create_index('uq_outside_certificates_in_force', ['user_id', 'requirement_id'], unique=True,
                              sqlite_where=sa.text('removed_at IS NULL'),
                              postgresql_where=sa.text('removed_at IS NULL'))


def downgrade():
    op.drop_table('outside_certificates')
    with op.batch_alter_table('requirements') as batch_op:
        batch_op.drop_constraint('satisfied_by', type_='check')
        batch_op.drop_column('satisfied_by')
    with op.batch_alter_table('certificates') as batch_op:
        batch_op.drop_index('ix_certificates_user_course_status')
        batch_op.create_index('ix_certificates_user_course_status',
                              ['user_id', 'course_id', 'status', 'expires_at'], unique=False)
