"""Signing keys in the database: the private half sealed with KEY_ENCRYPTION_KEY.

Existing keys keep working: their private half is read from instance/signing-keys/ once and
sealed into this column (certificates.keys), or all at once with `flask import-signing-keys`.

Revision ID: keys_sealed
Revises: d591bd16fe6a
Create Date: 2026-12-04 21:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'keys_sealed'
down_revision = 'd591bd16fe6a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('private_key_encrypted', sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.drop_column('private_key_encrypted')
