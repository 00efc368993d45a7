"""Word positions stored as packed integers instead of a pickled list: decoded with numpy, not one Python int at a time.

Whoosh's ``Positions`` format stores a word's positions in a document as ``pack_uint(count) + pickle.dumps(deltas)``;
checking a phrase of common words unpickles every position of its words in every candidate document (at 50,000
documents ``quartier`` has 1.5 M positions: most of a phrase query's time, docs/PERFORMANCE.md). ``PackedPositions``
keeps the same count prefix (so frequencies and weights read as before) followed by one byte giving the width of
the deltas (2 or 4 bytes) and the deltas as little-endian unsigned integers: ``search/matching.py`` decodes the
values of thousands of documents with one ``numpy.frombuffer``. The positions are the same, so phrases match
exactly where they did; only an index built with this format (a rebuild) reads faster, an older index keeps
Whoosh's format and is read as before.

Whoosh pickles the schema with this class in it: keep its import path (schema.py).
"""

from __future__ import annotations

import numpy as np
from whoosh.formats import Positions
from whoosh.system import _INT_SIZE, pack_uint

NARROW, WIDE = 2, 4  # the width byte: deltas below 2**16 as uint16, otherwise uint32
DTYPES = {NARROW: np.dtype("<u2"), WIDE: np.dtype("<u4")}
HEADER = _INT_SIZE + 1  # count, width


class PackedPositions(Positions):
    """``whoosh.formats.Positions`` with the deltas packed (see the module docstring)."""

    def encode(self, poslist):
        deltas = np.diff(np.asarray(poslist, dtype=np.int64), prepend=0)
        width = NARROW if not len(deltas) or int(deltas.max()) < 1 << 16 else WIDE
        return pack_uint(len(deltas)) + bytes((width,)) + deltas.astype(DTYPES[width]).tobytes()

    def decode_positions(self, valuestring):
        if not is_packed(valuestring):  # a value written by Whoosh's own format
            return Positions.decode_positions(self, valuestring)
        return np.cumsum(np.frombuffer(valuestring, dtype=DTYPES[valuestring[_INT_SIZE]], offset=HEADER),
                         dtype=np.int64).tolist()


def is_packed(value: bytes) -> bool:
    return len(value) > _INT_SIZE and value[_INT_SIZE] in DTYPES


def packed_positions(raw: list[bytes]) -> tuple[np.ndarray, np.ndarray] | None:
    """(count per value, all positions) of packed values, in one pass; None when one is not packed."""
    if not all(is_packed(v) for v in raw):
        return None
    if all(v[_INT_SIZE] == NARROW for v in raw):
        deltas = np.frombuffer(b"".join(v[HEADER:] for v in raw), dtype=DTYPES[NARROW]).astype(np.int64)
    else:
        deltas = np.concatenate([np.frombuffer(v, dtype=DTYPES[v[_INT_SIZE]], offset=HEADER).astype(np.int64)
                                 for v in raw])
    counts = np.frombuffer(b"".join(v[:_INT_SIZE] for v in raw), dtype=">u4").astype(np.int64)
    if int(counts.sum()) != len(deltas):
        return None
    running = np.cumsum(deltas)
    before = np.concatenate(([0], running))[np.cumsum(counts) - counts]  # the running sum before each value
    return counts, running - np.repeat(before, counts)
