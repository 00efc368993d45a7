"""The PostgreSQL engine's facets and candidate ranking in the web node: arrays per index generation.

Counting nine facets in SQL means unnesting the facet arrays of every matching row (0.6–1.1 s for the 80,000
documents a common word matches at 100,000), and a browse counts over every row. Here, as the Whoosh engine does
(search/facets.py), each node keeps per index generation each facet as numpy arrays (doc → value index, or
(doc, value) pairs), reads them again only when the generation in the database changes (every index write bumps
it: store/fulltext.py ``bump_generation``), and counts with ``np.bincount`` over boolean masks. PostgreSQL only
answers which document numbers match a query's words (its GIN index, no counting); a browse does not ask it at
all but for the ten rows shown. Nothing is kept in files: a node on another machine needs only the database.

Ranking in two stages: every match gets a first score from its small ``rank_terms`` vector (title, summary and the
body's most frequent words, in the row), and only the best ``CANDIDATES`` of a tier are ranked by ``ts_rank``
over their full ``terms`` (TOASTed, ~10 KB each, 0.5–0.9 s to read for 80,000 matches). A tier with at most
``CANDIDATES`` documents is ranked exactly as before.
"""

from __future__ import annotations

import numpy as np

from ..store import fulltext
from .facets import FacetData
from .schema import FACET_FIELDS

CANDIDATES = 200  # documents of a tier ranked by their full terms (the best first scores)


class PgFacetData(FacetData):
    """The facet arrays of one index generation. A document is its position in the generation's ascending
    ``docnum`` array (``docnums``); numbers that are not in it (written after it was read) are dropped."""

    def __init__(self, conn, generation: int):
        self.generation = generation
        read = fulltext.document_facets(conn)
        self.docnums = read.docnums
        self.size = len(self.docnums)
        self.all_mask = np.ones(self.size, dtype=bool)
        self.value_docs = {}
        self.value_ids = {}
        self.values = {}
        self.single = {}
        self.entry_docs = {}
        self.entry_values = {}
        for field in FACET_FIELDS.values():
            self._add_field(field, read.postings[field])
        self.published = read.published
        self.seen = read.seen
        self._published = read.published
        self._newest = None
        self._oldest = None

    def positions(self, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(positions of the known ``numbers``, which of ``numbers`` are known)."""
        found = np.searchsorted(self.docnums, numbers)
        known = found < self.size
        known[known] = self.docnums[found[known]] == numbers[known]
        return found[known], known

    def mask_of(self, numbers: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        mask[self.positions(numbers)[0]] = True
        return mask

    def scores_of(self, numbers: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """A score per position (``-inf`` where ``numbers`` do not reach)."""
        out = np.full(self.size, -np.inf)
        found, known = self.positions(numbers)
        out[found] = scores[known]
        return out


def candidates(data: PgFacetData, allowed: np.ndarray, first: np.ndarray | None, count: int) -> np.ndarray:
    """The positions of the ``count`` allowed documents with the best first scores (all of them when they are
    no more than ``count``)."""
    where = np.flatnonzero(allowed)
    if len(where) <= count:
        return where
    if first is None:
        return where[:count]
    return where[np.argpartition(-first[where], count - 1)[:count]]
