"""A rebuild on every core: consecutive runs of documents, each written as one Whoosh segment by its own process.

Analysis and Whoosh's posting writer are pure Python, so one process indexes ~100 documents per second. Here the
documents come as ``DocumentParts``: consecutive runs in store order, each able to read itself in another process
(a store id range). Run k is written by worker k into segment k, and the segments are listed in that order, so
each document gets the number a one-process rebuild would give it; the split depends only on the store, never on
which worker is free first. Scores do not depend on the split either: BM25F's statistics are the whole index's,
and multi-term queries are expanded over every segment (``expansion.py``); tests/test_parallel_rebuild.py
compares the answers of a one-segment and a parallel index.

Workers are ``spawn``ed (``fork`` is unsafe in the threaded worker and web processes); the parent holds the new
generation's write lock and commits the segments' table of contents, as Whoosh's own ``MpWriter`` does with
``multisegment=True`` (whose document-to-process dispatch is what made the split vary). Only then is the new
generation swapped in: a worker that raises, or dies without a word (killed, out of memory), drops it and the old
one stays served (``RebuildWorkerDied`` carries the French line the CLI and the index page show).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from ..items import IndexDocument
from ..store.failures import InterruptedWrite
from . import generations as gens

# Below this many documents a rebuild stays in one process: starting the workers (importing the project in each)
# costs more than it saves.
PARALLEL_MIN_DOCS = 2_000
# Segments a rebuild writes at most, whatever the cores: a query evaluates each segment's matchers in turn, and
# Whoosh's merge policy never merges large segments back together.
MAX_PARTS = 4


class RebuildWorkerDied(InterruptedWrite):
    """A worker process of a parallel rebuild died (killed, out of memory): the new generation is dropped."""


WORKER_DIED = ("un processus de la reconstruction de l'index s'est arrêté brutalement (tué, ou à court de "
               "mémoire) ; rien n'a été remplacé, l'index en service reste l'ancien. Relancez la reconstruction "
               "(crpv-watch index rebuild).")


@dataclass
class DocumentParts:
    """Documents as consecutive runs, each a picklable iterable that can read its documents in another process."""

    parts: list[Iterable[IndexDocument]]

    def __iter__(self) -> Iterator[IndexDocument]:
        for part in self.parts:
            yield from part


def _write_segment(path: str, indexname: str, part: Iterable[IndexDocument]):
    """In a worker: ``part`` as one finished segment of the index at ``path`` (the parent holds its lock)."""
    ix = gens.storage(Path(path)).open_index(indexname)
    writer = gens.RebuildWriter(ix, _lk=False)
    try:
        added = gens.add_documents(writer, part)
        segment = writer._finalize_segment() if added else None
        if not added:
            writer._close_segment()
    except BaseException:
        writer.cancel()
        raise
    # Not writer._finish(): the temporary directory is the index's, shared with the parent, which removes it.
    return segment, added


def fill_parallel(ix, path: Path, parts: list[Iterable[IndexDocument]],
                  progress: Callable[[int], None] | None = None) -> int:
    """Fills the empty index ``ix`` (in ``path``) with one segment per part, each written by its own process,
    in one commit. Documents of one id in two parts would be indexed twice: parts are disjoint id ranges."""
    writer = ix.writer()  # the generation's write lock; its own segment stays empty
    try:
        with ProcessPoolExecutor(len(parts), mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(_write_segment, str(path), ix.indexname, part) for part in parts]
            pending, done_count = set(futures), 0
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    done_count += future.result()[1]  # a worker's error is raised here
                if progress:
                    progress(done_count)
            results = [f.result() for f in futures]
    except BaseException as exc:
        with contextlib.suppress(Exception):  # the generation is dropped anyway; the first failure is the one told
            writer.cancel()
        if isinstance(exc, BrokenProcessPool):  # a worker died without a word: the pool has ended the others
            raise RebuildWorkerDied(WORKER_DIED) from exc
        raise
    writer._close_segment()
    writer._commit_toc(list(writer.segments) + [segment for segment, _ in results if segment is not None])
    writer._finish()
    return sum(added for _, added in results)
