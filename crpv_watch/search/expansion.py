"""Prefix, fuzzy and other multi-term queries expanded over the whole index, so a score does not depend on how
the index is cut into segments.

Whoosh expands a multi-term query (``renouv*``, a fuzzy word) segment by segment, with each segment's own words:
a segment holding one matching word scores it with BM25F, a segment holding several sums their frequencies as a
constant score (``MultiTerm.matcher``). The same document then scored 15.45 for ``renouv*`` on a one-segment
index and 8.23 on two. Expanding once over every segment and giving each segment the same list of words (a word
a segment lacks matches nothing there) makes the matcher the same whatever the split: a parallel rebuild's
segments, or those incremental indexing adds.
"""

from __future__ import annotations

from whoosh import query


class IndexTerms(query.MultiTerm):
    """A multi-term query whose words were found over the whole index (``whole_index_terms``)."""

    def __init__(self, fieldname: str, words: tuple[str, ...], boost: float = 1.0, constantscore: bool = True):
        self.fieldname = fieldname
        self.words = words
        self.boost = boost
        self.constantscore = constantscore

    def __eq__(self, other):
        return type(other) is type(self) and (self.fieldname, self.words, self.boost, self.constantscore) == \
            (other.fieldname, other.words, other.boost, other.constantscore)

    def __hash__(self):
        return hash((type(self), self.fieldname, self.words, self.boost, self.constantscore))

    def __repr__(self):
        return f"{type(self).__name__}({self.fieldname!r}, {self.words!r}, boost={self.boost!r})"

    def _btexts(self, ixreader):
        return self.words


def whole_index_terms(q, reader):
    """``q`` with its multi-term leaves replaced by their words over every segment of ``reader``."""
    leaves = [leaf for leaf, _ in reader.leaf_readers()]
    if len(leaves) <= 1:  # one segment: Whoosh's own expansion already sees every word
        return q

    def expand(node):
        if isinstance(node, IndexTerms) or not isinstance(node, query.MultiTerm):
            return node.apply(expand)
        if isinstance(node, query.PatternQuery) and not node.text.strip("*"):  # Whoosh matches every document
            return node
        words: set = set()
        for leaf in leaves:  # per segment: a segment walks its term index with an automaton (fuzzy words)
            words.update(w for w in node._btexts(leaf) if w)
        return IndexTerms(node.field(), tuple(sorted(words)), node.boost, node.constantscore)

    return expand(q)
