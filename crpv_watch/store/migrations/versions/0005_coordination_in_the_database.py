"""coordination in the database: index nodes and their queue entries, runtime state, work requests

Web nodes on other machines share no directory with the worker: what used to be files in the data directory
(crawl and rebuild requests, the heartbeat, the rebuild's progress) lives in these tables, and each index node
gets its own entries in the index queue.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 00:45:00
"""
from alembic import op
import sqlalchemy as sa



revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('index_queue') as batch:
        batch.add_column(sa.Column('node', sa.String(length=100), server_default='', nullable=False))
        batch.create_index('ix_index_queue_node_id', ['node', 'id'])
    op.create_table('index_nodes',
                    sa.Column('name', sa.String(length=100), nullable=False),
                    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('name'))
    op.create_table('runtime_state',
                    sa.Column('key', sa.String(length=200), nullable=False),
                    sa.Column('value', sa.JSON(), nullable=False),
                    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('key'))
    op.create_table('work_requests',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('kind', sa.String(length=20), nullable=False),
                    sa.Column('payload', sa.JSON(), nullable=False),
                    sa.Column('user_email', sa.String(length=320), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_work_requests_kind', 'work_requests', ['kind'])


def downgrade() -> None:
    op.drop_index('ix_work_requests_kind', table_name='work_requests')
    op.drop_table('work_requests')
    op.drop_table('runtime_state')
    op.drop_table('index_nodes')
    with op.batch_alter_table('index_queue') as batch:
        batch.drop_index('ix_index_queue_node_id')
        batch.drop_column('node')
