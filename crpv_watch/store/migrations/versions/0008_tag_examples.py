"""tag examples: editors' corrections and confirmations kept as labelled examples for `tags train`

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 01:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tag_examples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.String(length=64), nullable=False),
    sa.Column('source_id', sa.String(length=100), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('doctype', sa.String(length=40), nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('user_email', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('document_id')
    )
    with op.batch_alter_table('tag_examples', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tag_examples_source_id'), ['source_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tag_examples', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tag_examples_source_id'))
    op.drop_table('tag_examples')
