"""Languages are a setting, not schema: drop the CHECK that listed en, fr, ar on users.preferred_language.

A fourth configured language (core.languages, README "Adding a language") must work without a
migration; every write checks the code against the app's languages instead.

Revision ID: langs_a
Revises: notice_b
Create Date: 2026-12-04 23:50:00

"""
from alembic import op

revision = 'langs_a'
down_revision = 'notice_b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_constraint(op.f('ck_users_preferred_language'), type_='check')


def downgrade():
    # Only people whose language is one of the three can be kept under the old rule.
    op.execute("UPDATE users SET preferred_language = 'en' WHERE preferred_language NOT IN ('en', 'fr', 'ar')")
    with op.batch_alter_table('users') as batch_op:
        batch_op.create_check_constraint('preferred_language', "preferred_language IN ('en', 'fr', 'ar')")
