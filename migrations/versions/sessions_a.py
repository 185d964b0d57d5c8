"""In-person training (issue 18): sessions, attendance and its marks, scanned sheets, the mission
trainer role, and the delivery mode of completions and certificates.

Revision ID: sessions_a
Revises: notice_b
Create Date: 2026-12-04 23:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'sessions_a'
down_revision = 'langs_a'
branch_labels = None
depends_on = None

OLD_ROLES = "('learner', 'trainer', 'mission_lead', 'hq', 'admin')"
NEW_ROLES = "('learner', 'trainer', 'mission_lead', 'mission_trainer', 'hq', 'admin')"


def upgrade():
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_role_grants_scope_only_for_leads'), type_='check')
        batch_op.drop_constraint(op.f('ck_role_grants_role'), type_='check')
        batch_op.create_check_constraint(
            'scope_only_for_mission_roles', "(role IN ('mission_lead', 'mission_trainer')) = (mission_id IS NOT NULL)")
        batch_op.create_check_constraint('role', f"role IN {NEW_ROLES}")

    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery_mode', sa.String(length=12), server_default='online', nullable=False))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery_mode', sa.String(length=12), server_default='online', nullable=False))

    op.create_table('training_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('module_ids', sa.JSON(), nullable=False),
    sa.Column('mission_id', sa.Integer(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('pass_mark', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('pass_mark >= 0 AND pass_mark <= 100', name=op.f('ck_training_sessions_pass_mark_range')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_training_sessions_course_id_courses')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_training_sessions_created_by_id_users')),
    sa.ForeignKeyConstraint(['mission_id'], ['missions.id'], name=op.f('fk_training_sessions_mission_id_missions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_sessions'))
    )
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_sessions_course_id'), ['course_id'], unique=False)
        batch_op.create_index('ix_training_sessions_mission_held', ['mission_id', 'held_on'], unique=False)

    op.create_table('training_session_units',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_training_session_units_session_id_training_sessions')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_training_session_units_unit_id_units')),
    sa.PrimaryKeyConstraint('session_id', 'unit_id', name=op.f('pk_training_session_units'))
    )
    op.create_table('training_session_trainers',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_training_session_trainers_session_id_training_sessions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_training_session_trainers_user_id_users')),
    sa.PrimaryKeyConstraint('session_id', 'user_id', name=op.f('pk_training_session_trainers'))
    )
    with op.batch_alter_table('training_session_trainers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_session_trainers_user_id'), ['user_id'], unique=False)

    op.create_table('session_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('media_type', sa.String(length=40), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_session_evidence_session_id_training_sessions')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_session_evidence_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_evidence')),
    sa.UniqueConstraint('session_id', 'sha256', name=op.f('uq_session_evidence_session_id_sha256'))
    )

    op.create_table('attendances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('is_present', sa.Boolean(), nullable=False),
    sa.Column('paper_score', sa.Integer(), nullable=True),
    sa.Column('is_walk_in', sa.Boolean(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=True),
    sa.Column('evidence_id', sa.Integer(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('paper_score IS NULL OR (paper_score >= 0 AND paper_score <= 100)', name=op.f('ck_attendances_score_range')),
    sa.ForeignKeyConstraint(['evidence_id'], ['session_evidence.id'], name=op.f('fk_attendances_evidence_id_session_evidence')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_attendances_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_attendances_session_id_training_sessions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_attendances_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendances')),
    sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_attendances_session_id_user_id'))
    )
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendances_user_id'), ['user_id'], unique=False)

    op.create_table('attendance_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('is_present', sa.Boolean(), nullable=False),
    sa.Column('paper_score', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('paper_score IS NULL OR (paper_score >= 0 AND paper_score <= 100)', name=op.f('ck_attendance_marks_score_range')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_attendance_marks_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_attendance_marks_session_id_training_sessions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_attendance_marks_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_marks')),
    sa.UniqueConstraint('client_id', name=op.f('uq_attendance_marks_client_id'))
    )
    with op.batch_alter_table('attendance_marks', schema=None) as batch_op:
        batch_op.create_index('ix_attendance_marks_session_user', ['session_id', 'user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('attendance_marks', schema=None) as batch_op:
        batch_op.drop_index('ix_attendance_marks_session_user')
    op.drop_table('attendance_marks')
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendances_user_id'))
    op.drop_table('attendances')
    op.drop_table('session_evidence')
    with op.batch_alter_table('training_session_trainers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_session_trainers_user_id'))
    op.drop_table('training_session_trainers')
    op.drop_table('training_session_units')
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_training_sessions_mission_held')
        batch_op.drop_index(batch_op.f('ix_training_sessions_course_id'))
    op.drop_table('training_sessions')

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('delivery_mode')
    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.drop_column('delivery_mode')

    op.execute("DELETE FROM role_grants WHERE role = 'mission_trainer'")
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_role_grants_scope_only_for_mission_roles'), type_='check')
        batch_op.drop_constraint(op.f('ck_role_grants_role'), type_='check')
        batch_op.create_check_constraint('scope_only_for_leads', "(role = 'mission_lead') = (mission_id IS NOT NULL)")
        batch_op.create_check_constraint('role', f"role IN {OLD_ROLES}")
