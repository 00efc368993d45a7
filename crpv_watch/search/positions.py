"""Word positions stored as packed integers instead of a pickled list: decoded with numpy, not one Python int at a time.

Whoosh's ``Positions`` format stores a word's positions in a document as ``pack_uint(count) + pickle.dumps(deltas)``;
checking a phrase of common words unpickles every position of its words in every candidate document (at 50,000
documents ``quartier`` has 1.5 M positions: most of a phrase query's time, docs/PERFORMANCE.md). ``PackedPositions``
keeps the same count prefix (so frequencies and weights read as before) followed by one byte giving the width of
the positions (2 bytes, or 4 in a document of more than 65,536 words: a long PDF) and the positions themselves as
little-endian unsigned integers (not deltas: no running sum to undo, and as small as pickled deltas below 65,536):
``search/matching.py`` decodes the values of thousands of documents with one ``numpy.frombuffer``. The positions
are the same, so phrases match exactly where they did; only an index built with this format (a rebuild) reads
faster, an older index keeps Whoosh's format and is read as before.

Whoosh pickles the schema with this class in it: keep its import path (schema.py).
"""

from __future__ import annotations

import sys
from array import array

import numpy as np
from whoosh.formats import Positions
from whoosh.system import _INT_SIZE, pack_uint

NARROW, WIDE = 2, 4  # the width byte: positions below 2**16 as uint16, otherwise uint32
DTYPES = {NARROW: np.dtype("<u2"), WIDE: np.dtype("<u4")}
HEADER = _INT_SIZE + 1  # count, width
_ARRAY_CODES = {NARROW: "H", WIDE: "I"}
_WIDTH_BYTES = {NARROW: bytes((NARROW,)), WIDE: bytes((WIDE,))}
_ONE_NARROW = pack_uint(1) + bytes((NARROW,))
_BIG_ENDIAN = sys.byteorder == "big"
assert array("H").itemsize == NARROW and array("I").itemsize == WIDE


class PackedPositions(Positions):
    """``whoosh.formats.Positions`` with the positions packed (see the module docstring)."""

    def encode(self, poslist):
        if len(poslist) == 1 and 0 <= poslist[0] < 1 << 16:  # most words of a document: built without an array
            return _ONE_NARROW + poslist[0].to_bytes(2, "little")
        return self._encode(poslist)

    def _encode(self, poslist):
        # array, not numpy: called for every word of every document while indexing, mostly with a handful of
        # positions, where numpy's per-call cost would dominate.
        width = NARROW if not poslist or max(poslist) < 1 << 16 else WIDE
        try:
            packed = array(_ARRAY_CODES[width], poslist)
        except OverflowError:  # a position beyond uint32 (never from a real text): Whoosh's own encoding, which
            return Positions.encode(self, poslist)  # decode_positions and the phrase matcher read too
        if _BIG_ENDIAN:
            packed.byteswap()
        return pack_uint(len(packed)) + _WIDTH_BYTES[width] + packed.tobytes()

    def word_values(self, value, analyzer, **kwargs):
        # The French analyzer groups a document's positions by word itself (text/analysis.py): a third of a
        # rebuild went to a token object and three generator steps per word. Anything else asks the tokens.
        by_word = getattr(analyzer, "positions_by_word", None)
        if by_word is None or not isinstance(value, str) or kwargs != {"mode": "index"}:
            yield from Positions.word_values(self, value, analyzer, **kwargs)
            return
        boost, encode = self.field_boost, self.encode
        for word, poslist in by_word(value).items():
            yield word, len(poslist), len(poslist) * boost, encode(poslist)

    def decode_positions(self, valuestring):
        if not is_packed(valuestring):  # a value written by Whoosh's own format
            return Positions.decode_positions(self, valuestring)
        return np.frombuffer(valuestring, dtype=DTYPES[valuestring[_INT_SIZE]], offset=HEADER).tolist()


def is_packed(value: bytes) -> bool:
    return len(value) > _INT_SIZE and value[_INT_SIZE] in DTYPES


def packed_positions(raw: list[bytes]) -> tuple[np.ndarray, np.ndarray] | None:
    """(count per value, all positions) of packed values, in one pass; None when one is not packed.

    The values are joined once and their headers read and dropped with numpy: a phrase of common words has
    ~100,000 values at 5,000 documents, where a Python loop per value costs more than the decoding itself."""
    if not raw:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    lengths = np.fromiter(map(len, raw), dtype=np.int64, count=len(raw))
    if lengths.min() < HEADER:
        return None
    data = np.frombuffer(b"".join(raw), dtype=np.uint8)
    starts = np.cumsum(lengths) - lengths
    counts = np.zeros(len(raw), dtype=np.int64)
    for k in range(_INT_SIZE):  # pack_uint: big-endian uint32
        counts = (counts << 8) | data[starts + k]
    widths = data[starts + _INT_SIZE].astype(np.int64)
    if not ((widths == NARROW) | (widths == WIDE)).all() or not (lengths == HEADER + widths * counts).all():
        return None
    payload = np.ones(len(data), dtype=bool)
    payload[(starts[:, None] + np.arange(HEADER)).ravel()] = False
    for width, dtype in DTYPES.items():
        if (widths == width).all():
            return counts, data[payload].view(dtype).astype(np.int64)
    # Both widths (a document of more than 65,536 words among the others): value by value.
    positions = np.concatenate([np.frombuffer(v, dtype=DTYPES[v[_INT_SIZE]], offset=HEADER).astype(np.int64)
                                for v in raw])
    return counts, positions
