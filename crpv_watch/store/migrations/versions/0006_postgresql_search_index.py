"""postgresql search index: documents as weighted tsvectors with facet arrays, and the index's words

The tables of the PostgreSQL search engine (``search_backend = "postgresql"``, store/fulltext.py), under GIN
indexes: the ``tsvector`` for ``@@``, the facet arrays for ``&&``, and a text-pattern index on the words for
fuzzy terms and spelling corrections. SQLite installs search with Whoosh: nothing is created there.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 01:45:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

FACETS = ("themes", "pillars", "centre", "region", "departments", "qpvs", "type", "year", "language")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_table(
        'search_documents',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('url', sa.Text(), server_default='', nullable=False),
        sa.Column('title', sa.Text(), server_default='', nullable=False),
        sa.Column('summary', sa.Text(), server_default='', nullable=False),
        *(sa.Column(name, postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False) for name in FACETS),
        sa.Column('published', sa.Integer(), server_default='0', nullable=False),
        sa.Column('seen', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('found_at', sa.Text(), server_default='[]', nullable=False),
        sa.Column('terms', postgresql.TSVECTOR(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_search_documents_terms', 'search_documents', ['terms'], postgresql_using='gin')
    for name in FACETS:
        op.create_index(f'ix_search_documents_{name}', 'search_documents', [name], postgresql_using='gin')
    op.create_index('ix_search_documents_newest', 'search_documents', ['published', 'seen'])
    op.create_table(
        'search_words',
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('word', sa.Text(), nullable=False),
        sa.Column('weight', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('kind', 'word'))
    op.execute("CREATE INDEX ix_search_words_pattern ON search_words (kind, word text_pattern_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_table('search_words')
    op.drop_table('search_documents')
