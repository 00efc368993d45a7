"""Which documents a query matches, unscored, as sets of doc numbers: the input of the total and the facet pass.

Postings are read a block at a time and combined as Python sets, several times faster than Whoosh's union
matchers; phrases are checked on positions for the documents holding every word. Phrase *scoring* is avoided
too (``scoring_query``): the engine ranks a phrase's documents by its words, restricted with ``filter``.
"""

from __future__ import annotations

from itertools import accumulate, chain
from pickle import loads

import numpy as np
from whoosh import query
from whoosh.formats import Positions
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import ConstantScoreQuery
from whoosh.reading import TermNotFound
from whoosh.system import _INT_SIZE

from .blocks import TermBlocks
from .facets import intersect, posting_ids
from .positions import PackedPositions, is_packed, packed_positions


def matching_docs(searcher, q: query.Query, all_docs: frozenset[int], cache=None) -> set[int] | frozenset[int]:
    """The doc numbers ``q`` matches, unscored: the input of the facet pass and of the total.

    Words in several fields are And/Or trees of terms; their postings are read a block at a time and combined
    as Python sets, several times faster than Whoosh's union matchers. Phrases and anything else go through
    ``docs_for_query``. ``cache`` (a ``topk.ScoreData`` of this searcher) keeps decoded posting lists.
    """
    reader = searcher.reader()

    def ids(fieldname: str, text: str) -> frozenset[int]:
        if cache is not None:
            found = cache.live_ids(fieldname, text)
            if found is not None:
                return frozenset(found)
        return frozenset(posting_ids(reader, fieldname, text))

    def docs(node: query.Query):
        if isinstance(node, query.Term) and type(node) is query.Term:
            return ids(node.fieldname, node.text) if node.fieldname in reader.schema else frozenset()
        if isinstance(node, query.Or):
            return frozenset().union(*(docs(child) for child in node.subqueries))
        if isinstance(node, query.And):
            return intersect([docs(child) for child in node.subqueries])
        if isinstance(node, query.Not):
            return all_docs - docs(node.query)
        if isinstance(node, query.AndNot):
            return docs(node.a) - docs(node.b)
        if isinstance(node, query.AndMaybe):
            return docs(node.a)
        if isinstance(node, ConstantScoreQuery):
            return docs(node.child)
        if isinstance(node, query.Phrase) and node.slop == 1 and node.fieldname in reader.schema \
                and reader.schema[node.fieldname].format.supports("positions"):
            candidates = intersect([ids(node.fieldname, w) for w in node.words])
            return phrase_docs(reader, node.fieldname, node.words, candidates, cache)
        return frozenset(searcher.docs_for_query(node))

    return docs(q)


def phrase_docs(reader, fieldname: str, words, candidates, cache=None) -> set[int]:
    """The ``candidates`` (documents holding every word) where the words follow each other. ``cache`` (a
    ``topk.ScoreData``) gives the words' blocks its ids pass read already.

    Whoosh's phrase matcher builds span objects for every candidate (~0.5 ms each: 1.5 s for a phrase of common
    words at 10k documents); reading each word's positions for the candidates only is ~20 times cheaper.
    """
    found: set[int] = set()
    if not candidates:
        return found
    for leaf, offset in reader.leaf_readers():
        size = leaf.doc_count_all()
        local = sorted(d - offset for d in candidates if offset <= d < offset + size)
        if not local:
            continue
        try:
            matchers = [leaf.postings(fieldname, w) for w in words]
        except TermNotFound:
            continue
        leaves = [m.child if isinstance(m, FilterMatcher) else m for m in matchers]
        if all(_block_readable(m) for m in leaves):
            if type(leaves[0].format) in (Positions, PackedPositions):
                # Rarest word first: the later (commoner) words are read and decoded only for the documents
                # still possible. The set is the same in any order (an intersection).
                order = sorted(range(len(words)), key=lambda i: leaf.frequency(fieldname, words[i]))
                blocks = [cache.blocks(leaf, fieldname, w) for w in words] if cache is not None \
                    else [TermBlocks.of(m) for m in leaves]
                if all(b is not None for b in blocks):
                    batched = _phrase_batched(lambda i, alive, b=blocks: _term_positions(b[i], alive), order, local,
                                              True)
                else:
                    batched = _phrase_batched(lambda i, alive, m=leaves: _decoded(_block_values(m[i], alive), alive),
                                              order, local, False)
                if batched is not None:
                    found.update(d + offset for d in batched)
                    continue
                # A value of an unexpected shape: document by document, on fresh matchers.
                leaves = [m.child if isinstance(m, FilterMatcher) else m
                          for m in (leaf.postings(fieldname, w) for w in words)]
            found.update(d + offset for d in _phrase_in_blocks(leaves, local))
            continue
        for d in local:
            positions = []
            for m in matchers:
                if m.is_active() and m.id() < d:
                    m.skip_to(d)
                if not m.is_active() or m.id() != d:
                    break
                positions.append(m.value_as("positions"))
            else:
                if _follow(positions):
                    found.add(d + offset)
    return found


def _follow(positions: list[list[int]]) -> bool:
    starts = set(positions[0])
    for i, later in enumerate(positions[1:], 1):
        starts &= {p - i for p in later}
        if not starts:
            return False
    return bool(starts)


def _block_readable(m) -> bool:
    return all(hasattr(m, a) for a in ("_read_ids", "_read_values", "_next_block", "_maxid", "_blocklength"))


def _block_values(m, wanted: list[int]) -> dict[int, bytes]:
    """The encoded values (positions) of the ``wanted`` doc numbers (sorted) in a whoosh3 leaf matcher's postings,
    a block at a time: blocks without a wanted document are skipped undecoded, and no per-document ``skip_to``."""
    out: dict[int, bytes] = {}
    k, n = 0, len(wanted)
    while m.is_active() and k < n:
        if m._maxid < wanted[k]:
            m._next_block()
            continue
        if m._ids is None:
            m._read_ids()
        ids, values = m._ids, None
        for i in range(m._i, m._blocklength):
            d = ids[i]
            while k < n and wanted[k] < d:
                k += 1
            if k == n:
                break
            if wanted[k] == d:
                if values is None:
                    m._read_values()
                    values = m._values
                out[d] = values[i]
                k += 1
        m._next_block()
    return out


def _decode_positions(value: bytes):
    """``whoosh.formats.Positions.decode_positions`` with the running sum in C (same positions)."""
    if not value.endswith(b"."):
        value += b"."
    return accumulate(loads(value[_INT_SIZE:]))


def _phrase_in_blocks(matchers, local: list[int]) -> list[int]:
    """The documents of ``local`` where the matchers' words follow each other (whoosh3 leaf matchers)."""
    fmt = matchers[0].format
    decode = _decode_positions if type(fmt) is Positions else fmt.decoder("positions")
    per_word = []
    for m in matchers:
        values = _block_values(m, local)
        per_word.append(values)
        local = [d for d in local if d in values]  # the next words are only read for documents still in
        if not local:
            return []
    found = []
    for d in local:
        starts = set(decode(per_word[0][d]))
        for i, values in enumerate(per_word[1:], 1):
            starts &= {p - i for p in decode(values[d])}
            if not starts:
                break
        if starts:
            found.append(d)
    return found


def _phrase_batched(values_of, order: list[int], local: list[int], chunked: bool) -> list[int] | None:
    """``_phrase_in_blocks`` for all the documents at once: the same set (documents with a position p of the
    first word such that p + i is a position of the i-th word, for every i), as intersections of sorted numpy
    arrays of (document, p - i) keys. Words are read in ``order``, each only for the documents still possible:
    ``values_of(i, docs)`` gives the i-th word's (documents holding it, position count of each, positions), or
    None (the caller then checks document by document). ``chunked``: ``values_of`` can be asked for any
    documents in any order, so the documents go in chunks.
    """
    if chunked and len(local) > _CHUNK:  # bounded numpy temporaries (peak memory)
        out: list[int] = []
        for k in range(0, len(local), _CHUNK):
            part = _phrase_batched(values_of, order, local[k:k + _CHUNK], False)
            if part is None:
                return None
            out.extend(part)
        return out
    alive = local
    keys = None
    for i in order:
        decoded = values_of(i, alive)
        if decoded is None:
            return None
        present, counts, positions = decoded
        # Key (document, p - i + len(order)): the last term stays in [1, 2**33) for positions below 2**32
        # (_positions_of gives no others), so no key spills into the next or previous document.
        word_keys = (np.repeat(np.asarray(present, dtype=np.int64), counts) << _KEY_SHIFT) + (positions + (len(order) - i))
        if len(word_keys) > 1 and not (word_keys[1:] >= word_keys[:-1]).all():
            word_keys.sort()
        if keys is None:
            keys = word_keys
        elif len(word_keys):
            at = np.searchsorted(word_keys, keys)
            keys = keys[word_keys[np.minimum(at, len(word_keys) - 1)] == keys]
        else:
            keys = word_keys
        if not len(keys):
            return []
        docs = keys >> _KEY_SHIFT
        alive = docs[np.concatenate(([True], docs[1:] != docs[:-1]))].tolist()
    return alive


def _term_positions(blocks, alive: list[int]):
    """(documents of ``alive`` holding the term, position counts, positions) from a ``blocks.TermBlocks`` or a
    ``common_terms.CommonTerm``; None when a value is in no known shape."""
    if hasattr(blocks, "positions_for"):  # common_terms.CommonTerm: arrays already
        return blocks.positions_for(alive)
    return _decoded(blocks.values_for(alive), alive)


def _decoded(values: dict[int, bytes], alive: list[int]):
    """``values`` (encoded positions by doc number) as (documents of ``alive`` among them, counts, positions).

    Each encoded value is ``pack_uint(count) + pickle.dumps(deltas, 2)`` (``whoosh.formats.Positions``), maybe
    without the final STOP, and a word's values are unpickled in one ``loads`` as a list of lists; or packed
    positions (``search/positions.py``), read with one ``numpy.frombuffer``. None when a value is in neither shape.
    """
    present = [d for d in alive if d in values]
    decoded = _positions_of([values[d] for d in present])
    return None if decoded is None else (present, *decoded)


_CHUNK = 2048  # documents a batch
_KEY_SHIFT = 33
_PROTO2 = b"\x80\x02"


def _positions_of(raw: list[bytes]) -> tuple[np.ndarray, np.ndarray] | None:
    """(count per value, all positions) of encoded ``Positions`` values; None when one is not in the expected form."""
    if not raw:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if is_packed(raw[0]):
        return packed_positions(raw)
    bodies = []
    for v in raw:
        if v[_INT_SIZE:_INT_SIZE + 2] != _PROTO2:
            return None
        bodies.append(v[_INT_SIZE + 2:-1] if v.endswith(b".") else v[_INT_SIZE + 2:])
    try:
        lists = loads(_PROTO2 + b"(" + b"".join(bodies) + b"l.")  # MARK, one list per value, LIST
    except Exception:
        return None
    counts = np.frombuffer(b"".join(v[:_INT_SIZE] for v in raw), dtype=">u4").astype(np.int64)
    if len(lists) != len(raw) or not np.array_equal(np.fromiter(map(len, lists), np.int64, len(lists)), counts):
        return None
    total = int(counts.sum())
    deltas = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=total)
    running = np.cumsum(deltas)
    before = np.concatenate(([0], running))[np.cumsum(counts) - counts]  # the running sum before each value
    positions = running - np.repeat(before, counts)
    if total and (positions.min() < 0 or positions.max() >= 1 << 32):  # outside the keys' range
        return None
    return counts, positions


def has_phrase(q: query.Query | None) -> bool:
    return q is not None and (isinstance(q, query.Phrase) or any(has_phrase(c) for c in q.children()))


def scoring_query(q: query.Query) -> query.Query:
    """``q`` with its (positive) phrases scored as their words: Whoosh's phrase scoring walks spans for every
    candidate, so the engine ranks by the words and restricts to the phrase's documents with ``filter``."""
    if isinstance(q, query.Phrase):
        return query.And([query.Term(q.fieldname, w, boost=q.boost) for w in q.words])
    if isinstance(q, query.AndNot):
        return query.AndNot(scoring_query(q.a), q.b)
    if isinstance(q, query.AndMaybe):
        return query.AndMaybe(scoring_query(q.a), q.b)
    if isinstance(q, (query.And, query.Or)):
        return type(q)([scoring_query(c) for c in q.subqueries], boost=q.boost)
    return q
