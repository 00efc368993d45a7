"""Help around a search: "Vouliez-vous dire …" corrections, the recency boost, and more-like-this key terms.

Corrections come from the index's own vocabulary (the ``spell`` field: unstemmed, accent-folded words of
titles and summaries), so a suggestion always names words the corpus uses. More-like-this takes a document's
key terms from its title, summary and stored text (the body is not stored in the index; the text comes from
the database through ``text_for``): term frequency in the document times inverse document frequency in the
index, the way Whoosh's own ``more_like`` weighs them, without term vectors (see docs/PERFORMANCE.md).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter

from whoosh import query

from ..text.analysis import french_analyzer
from .query import query_words
from .schema import SPELL_FIELD

# A query with fewer results than this gets a spelling check.
SUGGEST_BELOW = 3
# Recency: a document's BM25F score is multiplied by 1 + RECENCY_WEIGHT / (1 + age in years / HALF_LIFE), so a
# document of this year gets up to +RECENCY_WEIGHT, one HALF_LIFE years old half of it. Mild on purpose: it
# orders near-ties, it does not lift an off-topic news item above the reference guide.
RECENCY_WEIGHT = 0.15
RECENCY_HALF_LIFE = 2.0
# Only the best RERANK documents by BM25F are re-ordered (the rest keep BM25F order, pages stay consistent).
RERANK = 50

MLT_TERMS = 15
MLT_TEXT_CHARS = 30_000  # the start of a long PDF says what it is about; analysing all of it costs ~50 ms

_unstemmed = french_analyzer(stem=False, field_nouns=True)
_stemmed = french_analyzer(stem=True, field_nouns=True)


def recency_factor(published: int, today: dt.date) -> float:
    """``published`` as YYYYMMDD (0 when unknown: no boost)."""
    if not published:
        return 1.0
    age_days = max(0, (today.year - published // 10_000) * 365 + (today.month - published // 100 % 100) * 30
                   + today.day - published % 100)
    return 1.0 + RECENCY_WEIGHT / (1.0 + age_days / 365.0 / RECENCY_HALF_LIFE)


def rerank(top: list[tuple[int, float]], published: list[int], today: dt.date) -> list[tuple[int, float]]:
    head = [(d, s * recency_factor(published[d] if d < len(published) else 0, today)) for d, s in top[:RERANK]]
    head.sort(key=lambda p: (-p[1], p[0]))
    return head + top[RERANK:]


def correct(searcher, text: str) -> str | None:
    """``text`` with its unknown words replaced by the closest frequent words of the index; None if none is."""
    reader = searcher.reader()
    if SPELL_FIELD not in reader.schema:
        return None
    corrector = searcher.corrector(SPELL_FIELD)
    out, last, changed = [], 0, False
    for start, end, word in query_words(text):
        terms = [t.text for t in _unstemmed(word, mode="query")]
        if len(terms) != 1 or len(terms[0]) < 4 or terms[0].isdigit():
            continue
        term = terms[0]
        if reader.doc_frequency(SPELL_FIELD, term) or _in_body(reader, word):
            continue
        maxdist = 1 if len(term) <= 5 else 2
        for candidate in corrector.suggest(term, limit=3, maxdist=maxdist, prefix=1):
            if candidate != term:
                out.append(text[last:start])
                out.append(candidate)
                last, changed = end, True
                break
    if not changed:
        return None
    out.append(text[last:])
    return "".join(out)


def _in_body(reader, word: str) -> bool:
    stems = [t.text for t in _stemmed(word, mode="query")]
    return bool(stems) and all(reader.doc_frequency("body", s) for s in stems)


def key_terms(searcher, fields: dict[str, str], limit: int = MLT_TERMS) -> list[tuple[str, float]]:
    """The (stemmed term, weight) that best tell this document from the others, best first."""
    weights = {"title": 3.0, "summary": 2.0, "body": 1.0}
    tf: Counter = Counter()
    for name, text in fields.items():
        if text:
            for t in _stemmed(text[:MLT_TEXT_CHARS]):
                if len(t.text) > 2 and not t.text.isdigit():
                    tf[t.text] += weights.get(name, 1.0)
    total = max(1, searcher.doc_count())
    scored = []
    for term, freq in tf.items():
        df = searcher.doc_frequency("body", term) + searcher.doc_frequency("title", term)
        if df < 2 or df > total * 0.5:  # only in this document, or in half of all: no help
            continue
        scored.append((term, math.log1p(freq) * math.log(total / df)))
    scored.sort(key=lambda p: (-p[1], p[0]))
    return scored[:limit]


def like_query(terms: list[tuple[str, float]]) -> query.Query | None:
    if not terms:
        return None
    top = terms[0][1] or 1.0
    parts = []
    for term, weight in terms:
        boost = weight / top
        parts += [query.Term("title", term, boost=3.0 * boost), query.Term("summary", term, boost=2.0 * boost),
                  query.Term("body", term, boost=boost)]
    return query.Or(parts)
