"""search generation and ranking terms: what lets web nodes count facets in memory and rank without reading
every matching document's full ``tsvector``

- ``search_documents.docnum``: a number per document row, so a node keeps each facet as integer arrays and
  PostgreSQL answers a query with the matching numbers (search/pg_facets.py);
- ``search_state``: the index generation, bumped by every write of the index in the same transaction, so every
  node reloads its arrays when (and only when) the index changed;
- ``search_documents.rank_terms``: a small ``tsvector`` (title, summary, unstemmed title words and the body's most
  frequent words) that picks the candidates the full ``terms`` then rank, and ``length``, the number of words of
  ``terms`` (its length normalisation). Filled here from ``terms`` in SQL, as the engine writes them
  (search/pg_terms.py ``document_terms``), kept in the row (``STORAGE MAIN``) since every matching row's is read.

SQLite installs search with Whoosh: nothing is created there (as in 0006).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 07:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# As search/pg_terms.py: the RANK_BODY_WORDS body words (credit lines, marked ^, left out) with the most
# occurrences, the first RANK_BODY_POSITIONS positions of each.
RANK_BODY_WORDS = 32
RANK_BODY_POSITIONS = 8

# The title, summary and unstemmed title words (weights A, B, D) as they are, and the first positions of the body's
# most frequent words (C; credit lines, marked ^, left out), joined as text: tsvector input merges a word's
# positions without shifting them (``||`` would shift the right-hand ones).
FILL = f"""
UPDATE search_documents SET
  length = (SELECT coalesce(sum(coalesce(array_length(u.positions, 1), 1)), 0) FROM unnest(terms) u),
  rank_terms = (ts_filter(terms, '{{a,b,d}}')::text || ' ' || coalesce((
    SELECT string_agg('''' || replace(replace(k.lexeme, '\\', '\\\\'), '''', '''''') || ''':'
                      || (SELECT string_agg(p::text || 'C', ',') FROM unnest(k.positions[1:{RANK_BODY_POSITIONS}]) p),
                      ' ')
    FROM (SELECT u.lexeme, u.positions FROM unnest(ts_filter(terms, '{{c}}')) u WHERE left(u.lexeme, 1) <> '^'
          ORDER BY array_length(u.positions, 1) DESC, u.lexeme COLLATE "C" LIMIT {RANK_BODY_WORDS}) k), ''))::tsvector
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.add_column('search_documents', sa.Column('docnum', sa.BigInteger(), sa.Identity(), nullable=False))
    op.create_index('ix_search_documents_docnum', 'search_documents', ['docnum'], unique=True)
    op.add_column('search_documents', sa.Column('length', sa.Integer(), server_default='0', nullable=False))
    op.add_column('search_documents', sa.Column('rank_terms', postgresql.TSVECTOR(), server_default='',
                                                nullable=False))
    # Kept in the row: stored out of line (the default for a value that does not fit the row's 2 KB), reading
    # the ~1.2 KB of 93,000 matching rows took 0.3 s of TOAST lookups at 100,000 documents, in the row 0.02 s.
    op.execute("ALTER TABLE search_documents ALTER COLUMN rank_terms SET STORAGE MAIN")
    op.execute(FILL)
    op.create_table('search_state',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('generation', sa.BigInteger(), server_default='1', nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    op.execute("INSERT INTO search_state (id, generation) VALUES (1, 1)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_table('search_state')
    op.drop_index('ix_search_documents_docnum', table_name='search_documents')
    for name in ('rank_terms', 'length', 'docnum'):
        op.drop_column('search_documents', name)
