"""Whoosh's posting pool for a rebuild: the same external sort, with its runs written by ``marshal`` in chunks.

While a segment is written, every posting (field, term, document, weight, positions) goes into Whoosh's
``PostingPool``; past ``limitmb`` of estimated memory the pool sorts what it holds and writes it as a run on disk,
then merges the runs. Whoosh pickles and unpickles each posting one by one: for the bench corpus that was ~25 % of
a rebuild's CPU (``pickle.dump`` + ``pickle.load`` of four million tuples for 8,000 documents). A posting is a tuple
of str, bytes, int and float, which ``marshal`` writes and reads several times faster, and a list of ``CHUNK``
postings at a time keeps the per-call cost out of the loop while the memory of a merge stays bounded (one chunk
per run). The sorted order and what reaches the segment are unchanged: the segment is the same byte for byte.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterable, Iterator
from itertools import islice
from operator import itemgetter

from whoosh.writing import PostingPool

CHUNK = 20_000  # postings per marshal record: ~4 MB in memory per run being merged
_FIELD, _TERM, _VALUE = itemgetter(0), itemgetter(1), itemgetter(4)


class MarshalPostingPool(PostingPool):
    def add(self, item):
        # Whoosh's own size estimate (tuple, field name, term, numbers, value), without its per-posting asserts.
        self.fieldnames.add(item[0])
        self.currentsize += 150 + len(item[0]) + 2 * len(item[1]) + len(item[4] or b"")
        if self.currentsize > self.limit:
            self.save()
        self.current.append(item)

    def add_many(self, items: list[tuple]) -> None:
        """``add`` for each of a document's postings, the size estimate summed in C: a run may end after the
        document rather than inside it, which leaves the sorted order, and so the segment, unchanged."""
        if not items:
            return
        self.fieldnames.update(map(_FIELD, items))
        self.currentsize += (150 * len(items) + sum(map(len, map(_FIELD, items)))
                             + 2 * sum(map(len, map(_TERM, items))) + sum(map(len, filter(None, map(_VALUE, items)))))
        self.current.extend(items)
        if self.currentsize > self.limit:
            self.save()

    def _write_run(self, f, items: Iterable[tuple]) -> None:
        items = iter(items)
        while chunk := list(islice(items, CHUNK)):
            marshal.dump(chunk, f)
        f.close()

    def _read_run(self, path: str) -> Iterator[tuple]:
        f = self._open_run(path)
        try:
            while True:
                try:
                    chunk = marshal.load(f)
                except EOFError:
                    return
                yield from chunk
        finally:
            f.close()
            self._remove_run(path)
