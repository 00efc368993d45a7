"""portable column types: 64-bit simhash, unbounded URLs and validators, instants with time zone

PostgreSQL enforces what SQLite only declares: the 63-bit simhash overflowed its INTEGER column ("integer out of
range", so a crawl stored nothing), URLs and HTTP validators longer than their VARCHAR(n) were refused, and a
``timestamp without time zone`` depends on the reader agreeing that it is UTC. On SQLite these types share one
storage class (INTEGER, TEXT), so there is nothing to rewrite there and no table is copied.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 00:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TEXT_COLUMNS = {  # table: {column: its former VARCHAR length}
    'documents': {'canonical_url': 2000, 'content_type': 100, 'language': 10, 'author': 500},
    'places': {'url': 2000, 'etag': 500, 'last_modified': 100, 'feed_updated': 100},
    'crawl_errors': {'url': 2000},
    'audit_log': {'target': 2000},
    'rate_counters': {'key': 400},
    'digests': {'message_id': 300},
}
INSTANTS = {  # naive UTC timestamps, now "timestamp with time zone"
    'documents': ['first_seen_at', 'updated_at'],
    'places': ['first_seen_at', 'last_seen_at'],
    'tag_overrides': ['created_at'],
    'crawl_runs': ['started_at', 'finished_at'],
    'crawl_run_sources': ['finished_at'],
    'crawl_errors': ['created_at'],
    'index_queue': ['queued_at'],
    'users': ['created_at', 'last_login_at'],
    'rate_counters': ['window_start'],
    'query_log': ['at'],
    'audit_log': ['at'],
    'subscribers': ['created_at', 'confirmed_at', 'consent_at', 'unsubscribed_at', 'last_digest_at'],
    'alerts': ['created_at'],
    'digests': ['window_start', 'window_end', 'created_at', 'sent_at'],
}


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.alter_column('documents', 'simhash', type_=sa.BigInteger(), existing_type=sa.Integer())
    for table, columns in TEXT_COLUMNS.items():
        for column, length in columns.items():
            op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(length))
    for table, columns in INSTANTS.items():
        for column in columns:
            op.alter_column(table, column, type_=sa.DateTime(timezone=True), existing_type=sa.DateTime(),
                            postgresql_using=f"{column} AT TIME ZONE 'UTC'")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table, columns in INSTANTS.items():
        for column in columns:
            op.alter_column(table, column, type_=sa.DateTime(), existing_type=sa.DateTime(timezone=True),
                            postgresql_using=f"{column} AT TIME ZONE 'UTC'")
    for table, columns in TEXT_COLUMNS.items():
        for column, length in columns.items():
            op.alter_column(table, column, type_=sa.String(length), existing_type=sa.Text())
    op.alter_column('documents', 'simhash', type_=sa.Integer(), existing_type=sa.BigInteger())
