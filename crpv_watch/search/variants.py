"""The closest indexed forms of the rare or unknown words of a query, matched with them automatically.

Centres spell the same thing several ways ("entreprenariat" / "entrepreneuriat") and readers mistype
("discrimminations"): with every word required, one such word leaves a handful of results. A typed word whose
stem is in few documents (``rare_below``) is matched together with the stems of the same field within one or two
edits (Damerau-Levenshtein, first letter kept) that are clearly more frequent, weighted a little below the word
itself so that documents with the very word typed stay first. Only rare words are looked up, each once per index
generation (Whoosh walks its term index with an automaton: no pass over the whole vocabulary).
"""

from __future__ import annotations

from whoosh import query

from ..text.analysis import french_analyzer, stem_word

FIELD = "body"  # stems are looked up where most words are
RARE_PER_DOCS = 2_000  # a stem in at most max(RARE_MIN, docs / RARE_PER_DOCS) documents is rare
RARE_MIN = 2
MORE_FREQUENT = 3  # a variant must be in at least this many times as many documents as the word
MAX_VARIANTS = 2
VARIANT_BOOST = 0.8  # below the typed word itself
MIN_STEM = 5  # shorter stems have too many neighbours one edit away ("cite" / "cote" / "cale")
CACHE_SIZE = 2_000

_unstemmed = french_analyzer(stem=False, field_nouns=True)


class Variants:
    """Per searcher generation: typed word → the stems of its closest more frequent indexed forms."""

    def __init__(self, searcher):
        self.reader = searcher.reader()
        self.rare_below = max(RARE_MIN, searcher.doc_count() // RARE_PER_DOCS)
        self._cache: dict[str, tuple[str, ...]] = {}

    def doc_frequency(self, stem: str) -> int:
        try:
            return self.reader.doc_frequency(FIELD, stem)
        except Exception:  # a reader without the field: nothing known
            return 0

    def __call__(self, word: str) -> tuple[str, ...]:
        if word in self._cache:
            return self._cache[word]
        found = self._lookup(word)
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[word] = found
        return found

    def _lookup(self, word: str) -> tuple[str, ...]:
        folded = [t.text for t in _unstemmed(word, mode="query")]
        if len(folded) != 1 or folded[0].isdigit():
            return ()
        stem = stem_word(folded[0])
        if len(stem) < MIN_STEM:
            return ()
        df = self.doc_frequency(stem)
        if df > self.rare_below:
            return ()
        maxdist = 1 if len(stem) <= 7 else 2
        near: set[str] = set()
        try:
            # Segment by segment: a segment reader walks its term index with an automaton, while the
            # multi-segment reader's own method would compare every term of the first letter.
            for leaf, _ in self.reader.leaf_readers():
                near.update(leaf.terms_within(FIELD, stem, maxdist, prefix=1))
        except Exception:  # a codec without the automaton: no variants rather than a full scan
            return ()
        near.discard(stem)
        wanted = MORE_FREQUENT * df if df else 1  # an unknown word takes any indexed neighbour
        scored = [(self.doc_frequency(t), t) for t in near if not t.isdigit()]
        best = sorted(((f, t) for f, t in scored if f >= wanted), key=lambda p: (-p[0], p[1]))
        return tuple(t for _, t in best[:MAX_VARIANTS])


def variant_query(stems: tuple[str, ...], fields: dict[str, float], stemmed_fields) -> query.Query | None:
    """The variants' stems in the stemmed ones of ``fields`` (the exact-title field holds unstemmed words)."""
    parts = [query.Term(f, s, boost=b * VARIANT_BOOST) for s in stems for f, b in fields.items()
             if f in stemmed_fields]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else query.Or(parts)
