"""type confidence: how sure the tagger is of a document's type, a column so that the review queue finds guesses

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 04:10:00
"""
from alembic import op
import sqlalchemy as sa



revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

BATCH = 1000


# A frozen copy of store/confidence.type_confidence_of as it was at this revision: a migration must do the same
# thing whatever the application code later becomes (tests/test_store_confidence.py holds the two equal today).
def type_confidence_of(doctype, explanation):
    if doctype == 'a_qualifier':
        return 0.0
    entries = [e for e in explanation or [] if isinstance(e, dict)]
    for entry in entries:
        if entry.get('field') == 'model':
            return float(entry.get('score') or 0.0)
    for entry in entries:
        if entry.get('field') == 'score':
            score = float(entry.get('score') or 0.0)
            return score / (1.0 + score) if score > 0 else 0.0
    return 0.5


def upgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('type_confidence', sa.Float(), nullable=True))
        batch_op.create_index(batch_op.f('ix_documents_type_confidence'), ['type_confidence'], unique=False)
    documents = sa.table('documents', sa.column('id', sa.String), sa.column('doctype', sa.String),
                         sa.column('doctype_explanation', sa.JSON), sa.column('type_confidence', sa.Float))
    conn = op.get_bind()
    last = ''
    while True:  # by id ranges: a large install is not read into memory at once
        rows = conn.execute(sa.select(documents.c.id, documents.c.doctype, documents.c.doctype_explanation)
                            .where(documents.c.id > last).order_by(documents.c.id).limit(BATCH)).all()
        if not rows:
            break
        conn.execute(documents.update().where(documents.c.id == sa.bindparam('doc_id'))
                     .values(type_confidence=sa.bindparam('confidence')),
                     [{'doc_id': r.id, 'confidence': type_confidence_of(r.doctype, r.doctype_explanation)}
                      for r in rows])
        last = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_type_confidence'))
        batch_op.drop_column('type_confidence')
