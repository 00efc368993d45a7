"""Exact top-k scoring of a query with array arithmetic instead of Whoosh's per-document matcher walk.

Whoosh's top-N collection scores every matching document in Python (~35 µs each through the And(Or(4 fields))
tree of a multi-word query: 250 ms for a query of common words at 10k documents), and block-quality skipping
does not help on those trees. Here Whoosh still builds its matcher tree per segment (so the tree's shape, the
order in which scores are added, the BM25F statistics and the deleted-document filters are Whoosh's own), but
the tree is then evaluated a whole posting list at a time: a leaf's ids and weights are read a block at a time
and scored with the same BM25F expression over numpy arrays; unions, intersections and "and maybe" add the
children's score arrays in Whoosh's order. IEEE additions and multiplications in the same order give the same
floats, so the scores and the (score desc, doc number asc) order are those of ``searcher.search(q, limit=k)``
(checked on the benchmark's queries, see docs/PERFORMANCE.md).

Matchers this module does not know (phrases, inverse matchers, the unions of prefix and fuzzy terms…)
are stepped through one document at a time with Whoosh's own ``score()``: exact, just not faster. When the
weighting is not the one reproduced here, ``top_docs`` returns None and the caller uses Whoosh.

numpy is a dependency of py3langid (language detection), so it is always installed with the project.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict

import numpy as np
from whoosh.matching import mcore
from whoosh.matching.binary import AndMaybeMatcher, AndNotMatcher, IntersectionMatcher, UnionMatcher
from whoosh.matching.wrappers import FilterMatcher, WrappingMatcher
from whoosh.query import Or
from whoosh.scoring import BM25F, BM25FScorer
from whoosh.util.numeric import byte_to_length

from .blocks import TermBlocks
from .common_terms import CommonTerm, CommonTerms
from .expansion import whole_index_terms

try:  # whoosh3 codec's on-disk leaf matcher (whoosh-reloaded is pinned < 2.8)
    from whoosh.codec.whoosh3 import W3LeafMatcher
except ImportError:  # pragma: no cover
    W3LeafMatcher = None

_LENGTHS = np.array([byte_to_length(b) if b else 0 for b in range(256)], dtype=np.float64)


# Decoded postings kept per searcher generation (int64 ids and float64 weights, 16 bytes a posting): ~16 MB. The
# unscored pass (matching.py: total and facet counts) and the scoring read the same terms, and facet clicks, page
# 2 and the any-word fallback re-read them.
POSTINGS_BUDGET = 1_000_000
# Terms' whoosh3 blocks kept read (search/blocks.py), in bytes of extents and decoded blocks: a phrase reads its
# words' ids first, then their positions from the same blocks; facet clicks and page 2 re-run the phrase. A common
# word's body postings at 50,000 documents are ~8 MB with every position decoded.
BLOCKS_BUDGET = 48 * 2**20


class ScoreData:
    """Per searcher generation: each segment's decoded field lengths (what BM25F's ``dfl`` returns) and an LRU
    of decoded posting lists."""

    def __init__(self, searcher, budget: int = POSTINGS_BUDGET):
        self.searcher = searcher
        self.budget = budget
        self._lengths: dict[tuple[int, str], np.ndarray] = {}
        self._postings: OrderedDict[tuple, tuple[np.ndarray, np.ndarray] | None] = OrderedDict()
        self._held = 0
        self._blocks: OrderedDict[tuple, TermBlocks | CommonTerm | None] = OrderedDict()
        self._common: dict[int, CommonTerms | None] = {}
        self._leaves = [(leaf, offset) for leaf, offset in searcher.reader().leaf_readers()]

    def lengths(self, leaf, fieldname: str) -> np.ndarray:
        key = (id(leaf), fieldname)
        found = self._lengths.get(key)
        if found is None:
            found = _field_lengths(leaf, fieldname)
            self._lengths[key] = found
        return found

    def postings(self, leaf, fieldname: str, text) -> tuple[np.ndarray, np.ndarray] | None:
        """(ids, weights) of a term in one segment, deleted documents included; None when absent, or
        ``UNREADABLE`` when the postings are not whoosh3 blocks."""
        key = _term_key(leaf, fieldname, text)
        if key in self._postings:
            return _recent(self._postings, key)
        text, found = key[2], None
        if (fieldname, text) in leaf:
            m = leaf.postings(fieldname, text)
            if isinstance(m, FilterMatcher):
                m = m.child
            if W3LeafMatcher is not None and type(m) is W3LeafMatcher and not m._byteids:
                blocks = self._keep_blocks(key, self._term_blocks(leaf, m))
                found = blocks.ids_weights() if blocks is not None else _read_block_postings(m)
            elif type(m) is mcore.ListMatcher:
                found = _list_postings(m)
            else:
                return UNREADABLE
        self._postings[key] = found
        self._held += len(found[0]) if found is not None else 1
        while self._held > self.budget and len(self._postings) > 1:
            _, dropped = self._postings.popitem(last=False)
            self._held -= len(dropped[0]) if dropped is not None else 1
        return found

    def blocks(self, leaf, fieldname: str, text) -> TermBlocks | CommonTerm | None:
        """A term's whoosh3 blocks in one segment (or its arrays when the segment has them uncompressed:
        common_terms.py), read once for its ids and its positions; None when absent or not whoosh3 blocks."""
        key = _term_key(leaf, fieldname, text)
        if key in self._blocks:
            return _recent(self._blocks, key)
        if (fieldname, key[2]) not in leaf:
            return None
        m = leaf.postings(fieldname, key[2])
        return self._keep_blocks(key, self._term_blocks(leaf, m.child if isinstance(m, FilterMatcher) else m))

    def _term_blocks(self, leaf, m) -> TermBlocks | CommonTerm | None:
        if W3LeafMatcher is None or type(m) is not W3LeafMatcher or m._byteids:
            return None
        key = id(leaf)
        if key not in self._common:
            self._common[key] = CommonTerms.of(leaf)
        common = self._common[key]
        found = common.term(m._startoffset) if common is not None else None
        return found if found is not None else TermBlocks.of(m)

    def _keep_blocks(self, key: tuple, blocks):
        self._blocks[key] = blocks
        held = sum(b.nbytes for b in self._blocks.values() if b is not None)  # decoding grows them after insertion
        while held > BLOCKS_BUDGET and len(self._blocks) > 1:
            _, dropped = self._blocks.popitem(last=False)
            held -= dropped.nbytes if dropped is not None else 0
        return blocks

    def drop_postings(self) -> None:
        """Empties the posting-list and block caches (benchmarks: measure every query cold)."""
        self._postings.clear()
        self._blocks.clear()
        self._held = 0

    def live_ids(self, fieldname: str, text) -> list[int] | None:
        """The global live doc numbers of a term (``facets.posting_ids`` from the cache); None if unreadable."""
        out: list[int] = []
        for leaf, offset in self._leaves:
            found = self.postings(leaf, fieldname, text)
            if found is UNREADABLE:
                return None
            if found is None:
                continue
            ids = found[0]
            if leaf.has_deletions():
                deleted = leaf.deleted_docs_set
                out.extend(d + offset for d in ids.tolist() if d not in deleted)
            else:
                out.extend((ids + offset).tolist() if offset else ids.tolist())
        return out


UNREADABLE = (np.zeros(0, dtype=np.int64), np.zeros(0))


def _term_key(leaf, fieldname: str, text) -> tuple:
    """A term of a segment as the caches know it (the term as bytes)."""
    return id(leaf), fieldname, leaf.schema[fieldname].to_bytes(text) if isinstance(text, str) else text


def _recent(cache: OrderedDict, key: tuple):
    """``cache[key]``, marked as the most recently used."""
    cache.move_to_end(key)
    return cache[key]


def _field_lengths(reader, fieldname: str) -> np.ndarray:
    size = reader.doc_count_all()
    raw = None
    try:
        column = reader._perdoc._cached_reader(f"_{fieldname}_len", _lengths_column())
        if column is not None:
            raw = column._dbfile.get(column._basepos, column._count * column._fixedlen)
            raw = np.frombuffer(bytes(raw), dtype=np.uint8)
            if len(raw) < size:
                raw = np.concatenate([raw, np.zeros(size - len(raw), dtype=np.uint8)])
    except AttributeError:
        raw = None
    if raw is None:  # another codec: one call a document
        return np.array([reader.doc_field_length(d, fieldname, 0) or 0 for d in range(size)], dtype=np.float64)
    return _LENGTHS[raw[:size]]


def _lengths_column():
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN

    return LENGTHS_COLUMN


def top_docs(searcher, q, limit: int, allow=None, data: ScoreData | None = None) -> list[tuple[float, int]] | None:
    """``searcher.search(q, filter=allow, limit=limit).top_n``: [(score, global doc number)], best first (equal
    scores by doc number). None when the searcher's weighting is not one this module reproduces."""
    weighting = searcher.weighting
    if not isinstance(weighting, BM25F) or getattr(weighting, "use_final", False):
        return None
    data = data if data is not None and data.searcher is searcher else ScoreData(searcher)
    context = searcher.context(limit=limit)
    tree = binary_ors(whole_index_terms(q, searcher.reader()))
    total = searcher.doc_count_all()
    mask = np.zeros(total, dtype=bool)
    scores = np.zeros(total, dtype=np.float64)
    for subsearcher, offset in searcher.leaf_searchers():
        size = subsearcher.doc_count_all()
        evaluator = _Evaluator(subsearcher, size, data)
        part_mask, part_scores = evaluator.run(tree.matcher(subsearcher, context))
        mask[offset:offset + size] = part_mask
        scores[offset:offset + size] = part_scores
    if allow is not None:
        allowed = np.zeros(len(mask), dtype=bool)
        ids = np.fromiter(allow, dtype=np.int64, count=len(allow))
        allowed[ids[ids < len(mask)]] = True
        mask &= allowed
    docs = np.flatnonzero(mask)
    if not len(docs) or limit <= 0:
        return []
    found = scores[docs]
    if len(docs) > limit:
        # The limit-th best score; everything strictly above it is in, ties at it go by doc number.
        kth = -np.partition(-found, limit - 1)[limit - 1]
        keep = found >= kth
        docs, found = docs[keep], found[keep]
    order = np.lexsort((docs, -found))[:limit]
    return [(float(found[i]), int(docs[i])) for i in order]


def binary_ors(q):
    """``q`` with its Or nodes matched by Whoosh's binary tree of unions.

    For segments of up to 5,000 documents Whoosh picks a preloaded array union for an Or of three or more
    clauses; its ``skip_to`` loses documents, so ``word -excluded`` could still list documents holding the
    excluded word (seen on the 92 judged documents). The binary union tree is what Whoosh uses on larger
    segments anyway, and it can be evaluated a posting list at a time.
    """
    q = q.apply(binary_ors)
    if type(q) is Or:  # a fresh copy: CompoundQuery.apply builds a new node
        q.matcher_type = Or.DEFAULT_MATCHER
    return q


class _Evaluator:
    def __init__(self, subsearcher, size: int, data: ScoreData):
        self.searcher = subsearcher
        self.reader = subsearcher.reader()
        self.size = size
        self.data = data

    def empty(self):
        return np.zeros(self.size, dtype=bool), np.zeros(self.size, dtype=np.float64)

    def run(self, m):
        """(mask, scores) of matcher ``m`` from its current position on; scores are 0 outside the mask."""
        kind = type(m)
        if isinstance(m, mcore.NullMatcherClass):
            return self.empty()
        if not m.is_active():
            return self.empty()
        if kind is UnionMatcher:
            ma, sa = self.run(m.a)
            mb, sb = self.run(m.b)
            return ma | mb, sa + sb
        if kind is IntersectionMatcher:
            ma, sa = self.run(m.a)
            mb, sb = self.run(m.b)
            mask = ma & mb
            return mask, np.where(mask, sa + sb, 0.0)
        if kind is AndMaybeMatcher:
            ma, sa = self.run(m.a)
            _, sb = self.run(m.b)
            return ma, np.where(ma, sa + sb, 0.0)
        if kind is AndNotMatcher:
            ma, sa = self.run(m.a)
            mb, _ = self.run(m.b)
            mask = ma & ~mb
            return mask, np.where(mask, sa, 0.0)
        if kind is WrappingMatcher or kind is FilterMatcher:
            mask, scores = self.run(m.child)
            if kind is FilterMatcher:
                ids = m._ids
                if ids:
                    listed = np.zeros(self.size, dtype=bool)
                    listed[np.fromiter(ids, dtype=np.int64, count=len(ids))] = True
                    mask = mask & ~listed if m._exclude else mask & listed
            return mask, np.where(mask, scores * m.boost, 0.0)
        if W3LeafMatcher is not None and kind is W3LeafMatcher and not m._byteids:
            cached = self.data.postings(self.reader, *m._term) if m._term else UNREADABLE
            if cached is None or cached is UNREADABLE:
                return self.leaf(m, *_read_block_postings(m))
            # From the matcher's current position: a parent may have moved it on (documents before it are not
            # matched by the parent).
            start = int(np.searchsorted(cached[0], m.id()))
            return self.leaf(m, cached[0][start:], cached[1][start:])
        if kind is mcore.ListMatcher:
            ids, weights = _list_postings(m)
            if m._scorer:
                return self.leaf(m, ids, weights, scorer=m._scorer)
            mask, scores = self.empty()
            mask[ids] = True
            scores[ids] = weights
            return mask, scores
        return self.step(m)

    def leaf(self, m, ids, weights, scorer=None):
        scorer = scorer if scorer is not None else m.scorer
        mask, scores = self.empty()
        if not len(ids):
            return mask, scores
        mask[ids] = True
        if not scorer:
            scores[ids] = weights
            return mask, scores
        if type(scorer) is not BM25FScorer:
            return self.step(m)
        fieldname = m._term[0] if m._term else None
        if fieldname is None:
            return self.step(m)
        fl = self.data.lengths(self.reader, fieldname)[ids]
        idf, avgfl, b, k1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
        # whoosh.scoring.bm25, operation for operation (same rounding as the per-document Python floats)
        scores[ids] = idf * ((weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * fl / avgfl)))
        return mask, scores

    def step(self, m):
        """Any other matcher: one document at a time with Whoosh's own score (exact, not faster)."""
        ids: list[int] = []
        values: list[float] = []
        while m.is_active():
            ids.append(m.id())
            values.append(m.score())
            m.next()
        mask, scores = self.empty()
        if ids:
            index = np.asarray(ids, dtype=np.int64)
            mask[index] = True
            scores[index] = values
        return mask, scores


def _list_postings(m) -> tuple[np.ndarray, np.ndarray]:
    """A ListMatcher's remaining ids and weights, as ``ListMatcher.weight`` gives them."""
    ids = np.asarray(m._ids[m._i:], dtype=np.int64)
    if m._all_weights:
        weights = np.full(len(ids), float(m._all_weights))
    elif m._weights:
        weights = np.asarray(m._weights[m._i:], dtype=np.float64)
    else:
        weights = np.ones(len(ids))
    return ids, weights


def _read_block_postings(m) -> tuple[np.ndarray, np.ndarray]:
    """A whoosh3 leaf matcher's remaining ids and weights, a block at a time (from its current position)."""
    ids = array("I")
    weights: list[float] = []
    while m.is_active():
        if m._ids is None:
            m._read_ids()
        if m._weights is None:
            m._read_weights()
        start, end = m._i, m._blocklength
        block_ids = m._ids[start:end]
        ids.extend(block_ids if isinstance(block_ids, array) and block_ids.typecode == "I" else array("I", block_ids))
        weights.extend(m._weights[start:end])
        m._next_block()
    return np.frombuffer(ids, dtype=np.uint32).astype(np.int64), np.asarray(weights, dtype=np.float64)
