"""The ranking function: BM25F with one probabilistic idf per word (Robertson–Spärck Jones, as Lucene and
SQLite FTS5 compute it) instead of Whoosh's ``log(N / (df + 1)) + 1`` computed field by field.

Two things of Whoosh's default made titles of common words outrank the text about what was asked, measured on
the real texts of the network (docs/QUALITY.md):

- its idf never falls below 1, so a word of nearly every document ("ville", "politique", "quartiers") still
  weighs about half of a telling word;
- each field has its own idf, so a common word is rare *in titles* and a title match on it weighs more than a
  body match on a rare word ("L'égalité dans les quartiers prioritaires…" first for "sport quartiers
  prioritaires").

Here a word's idf comes from the documents that hold it anywhere (at least its body's document frequency), and
the field boosts of the query (schema.TEXT_FIELDS) say how much a title match counts.
"""

from __future__ import annotations

from math import log

from whoosh import scoring

from ..text.analysis import stem_word

# Field → (the field whose document frequency also counts, whether the word must be stemmed to look it up).
SAME_WORD_IN = {"title": ("body", False), "summary": ("body", False), "credits": ("body", False),
                "title_exact": ("body", True)}


def probabilistic_idf(total: int, df: int) -> float:
    return log(1.0 + (total - df + 0.5) / (df + 0.5))


class RankingBM25F(scoring.BM25F):
    """BM25F (Whoosh's scorer, field lengths and boosts) with ``idf = ln(1 + (N - df + 0.5) / (df + 0.5))``,
    ``df`` the word's document frequency in its field or in the body, whichever is larger."""

    def idf(self, searcher, fieldname, text):
        parent = searcher.get_parent()
        df = parent.doc_frequency(fieldname, text)
        other = SAME_WORD_IN.get(fieldname)
        if other is not None and other[0] in parent.schema:
            word = text.decode("utf-8") if isinstance(text, bytes) else text
            df = max(df, parent.doc_frequency(other[0], stem_word(word) if other[1] else word))
        return probabilistic_idf(parent.doc_count_all(), df)
