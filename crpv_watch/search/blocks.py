"""A term's whoosh3 posting blocks read in one go, ids and weights decoded without the positions.

Whoosh stores each block of 128 postings as one zlib-compressed pickle of ``(ids, weights, values)``; for a
text field the values are every document's encoded positions, ~90 % of the block. Whoosh's matcher decompresses
and unpickles the whole block to get at the ids, so scoring a common word (``quartier``: 1.5 M positions at 50,000
documents) decoded all its positions. The ids and weights come first in the pickle, so only the first ~1.6 KB of
each block is decompressed here (``zlib.decompressobj(...).decompress(data, max_length)``) and read with numpy
when the block has the usual shape (ids as one-byte deltas, weights as floats); any other shape falls back to the
full ``pickle.loads`` of the block, so the result is always Whoosh's own. The block headers are parsed from one
read of the term's whole extent instead of a dozen small reads per block.

The values (positions) are decoded only on demand, for the blocks that hold a wanted document (phrases).
"""

from __future__ import annotations

import io
import pickle
import struct
import zlib

import numpy as np

try:
    from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3LeafMatcher
except ImportError:  # pragma: no cover
    W3LeafMatcher = None
    WHOOSH3_HEADER_MAGIC = b"W3Bl"

_BLOCK_LENGTH = struct.Struct("!i")
_FLOATS = np.dtype([("op", "u1"), ("value", ">f8")])
_K, _M, _J = b"K"[0], b"M"[0], b"J"[0]
_INT_WIDTH = {_K: 1, _M: 2, _J: 4}  # BININT1, BININT2, BININT
_G, _MARK, _TUPLE, _NONE, _BINPUT, _LONG_BINPUT = b"G"[0], b"("[0], b"t"[0], b"N"[0], b"q"[0], b"r"[0]


class TermBlocks:
    """All the blocks of one term in one segment (deleted documents included), from its whoosh3 leaf matcher at
    any position (a deletion filter may have moved it past deleted documents)."""

    def __init__(self, buf: bytes, blocks: list[tuple[int, int, int, int, int]]):
        self.buf = buf
        self.blocks = blocks  # (postings, last id, compression, data start, data end)
        self.max_ids = np.fromiter((b[1] for b in blocks), dtype=np.int64, count=len(blocks))
        self._values: dict[int, tuple] = {}
        self._decoded = 0  # bytes of the blocks decoded so far (their pickles, about what they take in memory)

    @classmethod
    def of(cls, m) -> TermBlocks | None:
        """None when ``m`` is not a whoosh3 leaf matcher over ordinary doc ids, or its extent does not parse as
        whoosh3 blocks."""
        if W3LeafMatcher is None or type(m) is not W3LeafMatcher or m._byteids:
            return None
        length = m._length[0] if isinstance(m._length, tuple) else m._length  # whoosh3 keeps it as a 1-tuple
        if not isinstance(length, int) or length <= len(WHOOSH3_HEADER_MAGIC):
            return None
        buf = m._postfile.get(m._startoffset, length)
        if buf[:len(WHOOSH3_HEADER_MAGIC)] != WHOOSH3_HEADER_MAGIC:
            return None
        blocks = _parse_blocks(buf)
        return cls(buf, blocks) if blocks else None

    def ids_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """All doc numbers (int64, segment-local) and weights (float64), deleted documents included."""
        ids, weights = [], []
        for n, block in enumerate(self.blocks):
            found = _ids_weights_prefix(self._raw(block), block[0], block[2])
            if found is None:
                data = self._data(n)
                found = np.cumsum(np.asarray(data[0], dtype=np.int64)), _weights(data[1], block[0])
            ids.append(found[0])
            weights.append(found[1])
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        return np.concatenate(ids), np.concatenate(weights)

    def values_for(self, wanted: list[int]) -> dict[int, bytes]:
        """The encoded values (positions) of the ``wanted`` doc numbers (sorted) that have this term; only the
        blocks holding one of them are decoded."""
        out: dict[int, bytes] = {}
        if not wanted or not self.blocks:
            return out
        docs = np.asarray(wanted, dtype=np.int64)
        at = np.searchsorted(self.max_ids, docs)  # the block that would hold each wanted document
        bounds = np.flatnonzero(np.concatenate(([True], at[1:] != at[:-1], [True])))
        for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            n = int(at[lo])
            if n >= len(self.blocks):
                break
            data = self._data(n)
            ids = np.cumsum(np.asarray(data[0], dtype=np.int64))
            here = docs[lo:hi]
            pos = np.searchsorted(ids, here)
            pos[pos >= len(ids)] = len(ids) - 1
            values = data[2]
            for d, i in zip(here[ids[pos] == here].tolist(), pos[ids[pos] == here].tolist(), strict=True):
                out[d] = values[i]
        return out

    @property
    def nbytes(self) -> int:
        """About the memory held: the term's extent and the blocks decoded from it."""
        return len(self.buf) + self._decoded

    def _raw(self, block) -> bytes:
        return self.buf[block[3]:block[4]]

    def _data(self, n: int) -> tuple:
        found = self._values.get(n)
        if found is None:
            block = self.blocks[n]
            raw = self._raw(block)
            plain = zlib.decompress(raw) if block[2] else raw
            found = pickle.loads(plain)
            self._values[n] = found
            self._decoded += len(plain)
        return found


def _parse_blocks(buf: bytes) -> list[tuple[int, int, int, int, int]]:
    """Each block's (postings, last id, compression, data start, data end) in ``buf``, as
    ``W3LeafMatcher._goto`` reads them; [] when the extent does not end with its last block."""
    blocks = []
    stream = io.BytesIO(buf)
    pos, end = len(WHOOSH3_HEADER_MAGIC), len(buf)
    while pos < end:
        (length,) = _BLOCK_LENGTH.unpack_from(buf, pos)
        start = pos + _BLOCK_LENGTH.size
        stream.seek(start)
        info = pickle.load(stream)
        pos = start + abs(length)
        blocks.append((info[0], info[1], info[3], stream.tell(), pos))
        if length < 0:
            return blocks if pos == end else []
    return []


def _ids_weights_prefix(raw: bytes, count: int, compression: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Ids and weights from the start of a block's pickle ``(ids, weights, values)`` when it has the usual
    shape: PROTO 2, MARK, ``count`` BININT1 deltas, TUPLE, BINPUT, then None, one BINFLOAT or MARK, ``count``
    BINFLOATs, TUPLE. None otherwise (the caller then unpickles the whole block)."""
    if count < 4:  # short tuples are pickled as TUPLE1-3, without MARK
        return None
    need = 3 + 5 + 2 * count + 1 + 5 + 1 + 9 * count + 1
    try:
        head = zlib.decompressobj().decompress(raw, need) if compression else raw[:need]
    except zlib.error:
        return None
    if head[:3] != b"\x80\x02(":
        return None
    # The first id is absolute (deltas start from 0), so it may take a 2- or 4-byte opcode; the rest are deltas.
    first_op = head[3] if len(head) > 3 else None
    width = _INT_WIDTH.get(first_op)
    if width is None:
        return None
    first = int.from_bytes(head[4:4 + width], "little", signed=first_op == _J)
    start = 4 + width
    end = start + 2 * (count - 1)
    if len(head) < end + 3 or head[end] != _TUPLE or head[start:end:2] != b"K" * (count - 1):
        return None
    deltas = np.frombuffer(head[start + 1:end:2], dtype=np.uint8).astype(np.int64)
    ids = np.cumsum(np.concatenate(([first], deltas)))
    at = end + 1
    if head[at] == _BINPUT:
        at += 2
    elif head[at] == _LONG_BINPUT:
        at += 5
    else:
        return None
    kind = head[at] if at < len(head) else None
    if kind == _NONE:
        return ids, np.ones(count)
    if kind == _G and len(head) >= at + 9:
        return ids, np.full(count, struct.unpack_from(">d", head, at + 1)[0])
    if kind == _MARK and len(head) >= at + 2 + 9 * count and head[at + 1 + 9 * count] == _TUPLE:
        floats = np.frombuffer(head, dtype=_FLOATS, count=count, offset=at + 1)
        if (floats["op"] == _G).all():
            return ids, floats["value"].astype(np.float64)
    return None


def _weights(weights, count: int) -> np.ndarray:
    if weights is None:
        return np.ones(count)
    if isinstance(weights, float):
        return np.full(count, weights)
    return np.asarray(weights, dtype=np.float64)
