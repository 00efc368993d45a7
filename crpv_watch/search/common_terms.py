"""Common words' postings kept uncompressed beside a rebuilt segment: a phrase of common words without unpickling.

A phrase is checked on the positions of its words in every document holding them all. For a phrase of common
words (``"renouvellement urbain quartier"``, a neighbourhood's name after ``quartier``) that is thousands of
documents, and Whoosh keeps positions in zlib-compressed pickles of 128 postings where each document's value is a
``_codecs.encode`` call to replay: at 50,000 documents ~150 µs a block, most of the slowest queries' time
(docs/PERFORMANCE.md). A rebuild (``generations.RebuildWriter``) therefore also writes, for every term of a
positions field with at least ``MIN_POSTINGS`` documents, its doc numbers, weights, position counts and positions
as plain little-endian arrays in one more file of the segment (``<segment id>.ctp``, packed into the compound
segment file with the others). Reading a term is then one read and a few ``numpy.frombuffer``; the same
documents, weights and positions as its blocks (tests/test_common_terms.py compares them).

Terms are found by where their postings start in the segment's postings file (the extent Whoosh's own term info
gives), so no term text is stored twice. A segment without the file (written by an ordinary commit or a merge)
or a term below the threshold is read from its blocks as before; the file is a cache of the blocks, never the
only copy. A positions field's weights are its counts times the field's boost, so they are kept only when they
are not. It costs half again the index on disk (405 → 615 MB at 50,000 documents, docs/PERFORMANCE.md).
"""

from __future__ import annotations

import struct

import numpy as np

from .positions import PackedPositions, packed_positions

EXTENSION = ".ctp"
MIN_POSTINGS = 256  # below two blocks, decoding the blocks costs less than a millisecond
_MAGIC = b"CRPVCT1\n"
_FOOTER = struct.Struct("<QQ8s")  # directory offset, entries, magic
_ENTRY = np.dtype([("start", "<u8"), ("offset", "<u8"), ("docs", "<u4"), ("positions", "<u8"),
                   ("width", "u1"), ("count_width", "u1"), ("weights", "u1"), ("boost", "<f8")])
_WIDTHS = {2: np.dtype("<u2"), 4: np.dtype("<u4")}


class CommonTermsWriter:
    """Collects a segment's common terms while its postings are written (``posting_writer.write_postings``)."""

    min_postings = MIN_POSTINGS

    def __init__(self, dbfile):
        self._file = dbfile
        self._entries: list[tuple] = []
        self._offset = 0

    def add(self, fieldobj, startoffset: int, postings: list[tuple]) -> None:
        """One term's postings (``(field, term, doc, weight, value)``, by doc number), whose blocks start at
        ``startoffset`` in the postings file. Terms of other formats, or with a value not in the packed form,
        are left to their blocks."""
        if type(fieldobj.format) is not PackedPositions:
            return
        decoded = packed_positions([p[4] for p in postings])
        if decoded is None:
            return
        counts, positions = decoded
        width = 2 if not len(positions) or positions.max() < 1 << 16 else 4
        count_width = 2 if counts.max() < 1 << 16 else 4
        weights = np.fromiter((p[3] for p in postings), dtype=np.float64, count=len(postings))
        # A positions field's weight is its count times the field's boost (``Positions.word_values``); the
        # weights are kept only when they are something else (half the file otherwise).
        boost = float(fieldobj.format.field_boost)
        derived = np.array_equal(weights, counts * boost)
        parts = [np.fromiter((p[2] for p in postings), dtype="<u4", count=len(postings)).tobytes(),
                 counts.astype(_WIDTHS[count_width]).tobytes()]
        if not derived:
            parts.append(weights.astype("<f8").tobytes())
        parts.append(positions.astype(_WIDTHS[width]).tobytes())
        for part in parts:
            self._file.write(part)
        self._entries.append((startoffset, self._offset, len(postings), len(positions), width, count_width,
                              0 if derived else 1, boost))
        self._offset += sum(map(len, parts))

    def close(self) -> None:
        entries = np.array(self._entries, dtype=_ENTRY)  # in postings-file order: sorted by start
        self._file.write(entries.tobytes())
        self._file.write(_FOOTER.pack(self._offset, len(entries), _MAGIC))
        self._file.close()


class CommonTerms:
    """A segment's common-terms file, open for reading; ``term(startoffset)`` gives one term's arrays."""

    def __init__(self, dbfile, entries: np.ndarray):
        self._file = dbfile
        self._entries = entries
        self._starts = entries["start"]
        # Each term's bytes: ids (4), counts (2 or 4), weights (8) when kept, then its positions (2 or 4 each).
        self._sizes = entries["docs"].astype(np.uint64) * (4 + entries["count_width"] + 8 * entries["weights"]) \
            + entries["positions"] * entries["width"]

    @classmethod
    def of(cls, leaf) -> CommonTerms | None:
        """The file of a Whoosh segment reader, or None when its segment has none or it does not read whole."""
        try:
            segment, storage = leaf.segment(), leaf._storage
            name = segment.make_filename(EXTENSION)
            if not storage.file_exists(name):
                return None
            dbfile = storage.open_file(name)
            size = storage.file_length(name)
        except (AttributeError, OSError, KeyError):
            return None
        if size < _FOOTER.size:
            return None
        directory, count, magic = _FOOTER.unpack(bytes(dbfile.get(size - _FOOTER.size, _FOOTER.size)))
        if magic != _MAGIC or directory + count * _ENTRY.itemsize + _FOOTER.size != size:
            return None
        found = cls(dbfile, np.frombuffer(bytes(dbfile.get(directory, count * _ENTRY.itemsize)), dtype=_ENTRY))
        if (found._entries["offset"] + found._sizes > directory).any() \
                or (np.diff(found._starts.astype(np.int64)) <= 0).any():
            return None  # a directory that does not describe this file: its blocks are the truth
        return found

    def term(self, startoffset: int) -> CommonTerm | None:
        """The term whose postings start at ``startoffset`` in the segment's postings file, if it is here."""
        at = int(np.searchsorted(self._starts, startoffset))
        if at == len(self._starts) or int(self._starts[at]) != startoffset:
            return None
        entry = self._entries[at]
        raw = bytes(self._file.get(int(entry["offset"]), int(self._sizes[at])))
        return CommonTerm(raw, int(entry["docs"]), int(entry["positions"]), int(entry["width"]),
                          int(entry["count_width"]), None if entry["weights"] else float(entry["boost"]))


class CommonTerm:
    """One term's postings in a segment (deleted documents included), as ``blocks.TermBlocks`` gives them."""

    def __init__(self, raw: bytes, docs: int, total: int, width: int, count_width: int, boost: float | None):
        at = docs * 4
        self.ids = np.frombuffer(raw, dtype="<u4", count=docs).astype(np.int64)
        self.counts = np.frombuffer(raw, dtype=_WIDTHS[count_width], count=docs, offset=at).astype(np.int64)
        at += docs * count_width
        if boost is None:
            self.weights = np.frombuffer(raw, dtype="<f8", count=docs, offset=at).astype(np.float64)
            at += docs * 8
        else:  # the same product, in the same float64 arithmetic, as when the weights were written
            self.weights = self.counts * boost
        self.positions = np.frombuffer(raw, dtype=_WIDTHS[width], count=total, offset=at)
        self.firsts = np.cumsum(self.counts) - self.counts  # where each document's positions start
        self.nbytes = len(raw) + docs * 32

    def ids_weights(self) -> tuple[np.ndarray, np.ndarray]:
        return self.ids, self.weights

    def positions_for(self, wanted: list[int]) -> tuple[list[int], np.ndarray, np.ndarray]:
        """(the ``wanted`` doc numbers (sorted) holding the term, their position counts, all their positions
        one document after the other), as int64."""
        docs = np.asarray(wanted, dtype=np.int64)
        at = np.searchsorted(self.ids, docs)
        at[at >= len(self.ids)] = max(len(self.ids) - 1, 0)
        hit = self.ids[at] == docs if len(self.ids) else np.zeros(len(docs), dtype=bool)
        rows = at[hit]
        counts = self.counts[rows]
        total = int(counts.sum())
        # Each document's run of positions, gathered in one indexing: run starts repeated, plus 0..count-1.
        ends = np.cumsum(counts)
        index = np.repeat(self.firsts[rows] - (ends - counts), counts) + np.arange(total)
        return docs[hit].tolist(), counts, self.positions[index].astype(np.int64)
