"""Indexes for the readiness reports: a mission's people, open deployments, valid certificates and
completions per person, each answered from the index alone.

Revision ID: d591bd16fe6a
Revises: 4a043ee8d8ce
Create Date: 2026-12-01 11:26:44.170421

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd591bd16fe6a'
down_revision = '4a043ee8d8ce'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index('ix_certificates_user_course_status', ['user_id', 'course_id', 'status', 'expires_at'], unique=False)

    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.create_index('ix_completions_user_module', ['user_id', 'module_id', 'completed_at'], unique=False)

    with op.batch_alter_table('deployments', schema=None) as batch_op:
        batch_op.create_index('ix_deployments_mission_user', ['mission_id', 'user_id', 'departure_on', 'arrival_on', 'unit_id'], unique=False)
        batch_op.create_index('ix_deployments_user_open', ['user_id', 'departure_on', 'arrival_on', 'mission_id', 'unit_id'], unique=False)


def downgrade():
    with op.batch_alter_table('deployments', schema=None) as batch_op:
        batch_op.drop_index('ix_deployments_user_open')
        batch_op.drop_index('ix_deployments_mission_user')

    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.drop_index('ix_completions_user_module')

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('ix_certificates_user_course_status')
