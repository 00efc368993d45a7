"""alerts.dossier_id: a subscriber follows a dossier documentaire (« recevoir les ajouts à ce dossier »)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 04:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dossier_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_alerts_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_foreign_key('fk_alerts_dossier_id_dossiers', 'dossiers', ['dossier_id'], ['id'],
                                    ondelete='CASCADE')


def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_constraint('fk_alerts_dossier_id_dossiers', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_alerts_dossier_id'))
        batch_op.drop_column('dossier_id')
