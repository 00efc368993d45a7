"""The writing half of ``SearchEngine`` (engine.py): add, replace and delete documents in the live generation,
rebuild a new generation aside and swap it in, clear what an interrupted rebuild left.

A mixin, not a class of its own: the writes and the reads share the engine's locks and its view of the live
generation (``_follow_pointer``, ``_open``), which engine.py owns; this keeps each module under ~400 lines.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from whoosh.index import LockError

from ..items import IndexDocument
from ..store.failures import BusyError
from . import generations as gens
from .schema import SCHEMA_VERSION, to_fields
from .segments import DocumentParts, fill_parallel

log = logging.getLogger("crpv_watch.search.engine")  # the engine's log, as before the split


class IndexBusyError(BusyError):
    """Another writer (probably another process) held the index for longer than ``write_timeout``."""

    def french(self) -> str:
        return ("l'index de recherche est verrouillé par un autre processus (une collecte, une reconstruction "
                "ou le worker) ; réessayez quand il aura fini")


class IndexNeedsRebuildError(RuntimeError):
    """The index was built with another schema version (or cannot be read): rebuild it from the store."""


class IndexWrites:
    """``SearchEngine``'s writes; the attributes used are set by ``SearchEngine.__init__``."""

    def _writer(self):
        """A writer on the live generation, waiting up to ``write_timeout`` for another process's writer."""
        for _ in range(5):
            with self._read_lock:
                self._follow_pointer()
                ix, name = self._ix, self._generation
            if ix is None or self.needs_rebuild:
                raise IndexNeedsRebuildError(
                    f"the search index in {self.index_dir} needs a rebuild (schema version {SCHEMA_VERSION})")
            try:
                writer = ix.writer(timeout=self.write_timeout, delay=0.1)
            except LockError:
                raise IndexBusyError(
                    f"the search index in {self.index_dir} is locked by another writer "
                    f"(waited {self.write_timeout:g} s): try again when the other crawl or rebuild ends") from None
            except OSError:  # the generation was deleted by a rebuild: follow the pointer
                continue
            if gens.read_pointer(self.index_dir) == name:
                return writer
            writer.cancel()  # a rebuild swapped generations while we waited for the lock
        raise IndexBusyError(f"the search index in {self.index_dir} keeps changing generation")

    def _commit(self, writer, changed: int) -> None:
        if changed:
            writer.commit()
        else:
            writer.cancel()
        with self._read_lock:
            self._dirty = True

    def index(self, docs: Iterable[IndexDocument]) -> int:
        """Adds or replaces documents by id, in one commit. Returns the number of documents written."""
        # Whoosh's update_document cannot replace a document added earlier by the same writer, so a batch is
        # de-duplicated first (the last version of an id wins).
        batch = {doc.id: doc for doc in docs}
        if not batch:
            return 0
        with self._write_lock:
            writer = self._writer()
            try:
                for doc in batch.values():
                    writer.update_document(**to_fields(doc))
            except BaseException:
                writer.cancel()
                raise
            self._commit(writer, len(batch))
        return len(batch)

    def delete(self, ids: Iterable[str]) -> int:
        """Deletes documents by id; returns how many were in the index."""
        wanted = {i for i in ids if i}
        if not wanted:
            return 0
        with self._write_lock:
            writer = self._writer()
            try:
                deleted = sum(writer.delete_by_term("id", doc_id) for doc_id in wanted)
            except BaseException:
                writer.cancel()
                raise
            self._commit(writer, deleted)
        return deleted

    def rebuild(self, docs: Iterable[IndexDocument], progress: Callable[[int], None] | None = None) -> int:
        """Builds a new generation from ``docs`` aside, swaps the pointer to it, then deletes the old one.

        ``DocumentParts`` are written by one process per part (``segments.py``, ``rebuild_parts`` parts asked
        by the indexer); ``progress`` then hears the documents done as each part ends.

        Searches keep answering from the old generation meanwhile; other writers wait (or fail with
        IndexBusyError) until the swap, then write to the new generation.
        """
        with self._write_lock:
            with self._read_lock:
                self._follow_pointer()
                old_ix, old_name = self._ix, self._generation
            old_lock = old_ix.lock("WRITELOCK") if old_ix is not None else None
            if old_lock is not None and not gens.acquire(old_lock, self.write_timeout):
                raise IndexBusyError(f"the search index in {self.index_dir} is locked by another writer")
            try:
                self._remove_leftovers(old_name)
                name, new_ix = gens.new_generation(self.index_dir)
                try:
                    if isinstance(docs, DocumentParts) and len(docs.parts) > 1:
                        count = fill_parallel(new_ix, self.index_dir / name, docs.parts, progress)
                    else:
                        count = gens.fill(new_ix, docs)
                    with gens.swap_lock(self.index_dir):
                        gens.write_pointer(self.index_dir, name)
                except BaseException:
                    new_ix.close()
                    gens.remove_generation(self.index_dir, name)
                    raise
                new_ix.close()
            finally:
                if old_lock is not None:
                    old_lock.release()
            with self._read_lock:
                self._open(name)
                self._checked = time.monotonic()
            if old_name != name:
                gens.remove_generation(self.index_dir, old_name)
        log.info("search index rebuilt: %d documents in %s", count, name)
        return count

    def _remove_leftovers(self, live: str | None) -> None:
        with gens.swap_lock(self.index_dir):
            removed = gens.remove_leftovers(self.index_dir, keep=live)
        if removed:
            log.warning("removed what interrupted index rebuilds left: %s", ", ".join(removed))

    def remove_leftovers(self) -> None:
        """At start: clears what a killed rebuild left, unless a writer is at work (it is then done at the next
        rebuild). Holding the live generation's write lock proves no rebuild is under way."""
        with self._write_lock:
            with self._read_lock:
                self._follow_pointer()
                ix, name = self._ix, self._generation
            lock = ix.lock("WRITELOCK") if ix is not None else None
            if lock is None or not gens.acquire(lock, 0.5):
                return
            try:
                self._remove_leftovers(name)
            finally:
                lock.release()
