"""The index stage: the single writer that carries the store's changes into the search index.

Everything reaches the index through the store's queue (``IndexQueue``), filled in the same transaction as the
change itself: a crash between the two leaves entries in the queue, which the next drain replays.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator

from ..store import repo
from ..store.failures import BusyError

log = logging.getLogger(__name__)
LOCK_FILE = "writer.lock"


class WriterBusy(BusyError):
    """Another process holds the writer lock (a crawl, a purge, a rebuild…) for longer than we wait."""

    def french(self) -> str:
        return str(self).split(" / ")[0]


_held: dict[str, list] = {}  # lock id -> [release(), holders in this process]
_held_lock = threading.Lock()


@contextlib.contextmanager
def writer_lock(settings, what: str, timeout: float | None = None) -> Iterator[None]:
    """One writing process at a time for the store and the index.

    On SQLite, ``fcntl.flock`` on ``<data_dir>/writer.lock``; on PostgreSQL, an advisory lock
    (``store/locks.py``), which every node of the install sees without sharing a directory. Either way the
    holder's death releases it, even by ``kill -9``, so a crash never leaves a stale lock (the lock file is never
    deleted: removing it while someone waits on it lets two holders in). Within one process the lock is shared
    (threads are serialised by the indexer's and the engine's own locks); another process waits up to
    ``timeout`` (``settings.writer_lock_timeout``), then gets :class:`WriterBusy` with who holds it.
    """
    from ..store import locks

    if locks.is_postgresql(settings.database_url):
        lock_id = "pg:" + settings.database_url
        acquire = functools.partial(_try_advisory, settings.database_url, what)
        holder = functools.partial(locks.holder, settings.database_url)
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        lock_id = str((settings.data_dir / LOCK_FILE).resolve())
        acquire = functools.partial(_try_flock, lock_id, what)
        holder = functools.partial(_holder, lock_id)
    wait = settings.writer_lock_timeout if timeout is None else timeout
    deadline = time.monotonic() + wait
    while not _enter(lock_id, acquire):
        if time.monotonic() >= deadline:
            busy = holder() or "?"
            raise WriterBusy(
                f"un autre processus écrit déjà dans la base et l'index ({busy}) ; abandon après {wait:g} s "
                f"d'attente. Réessayez quand il aura fini. / Another process is writing the store and index "
                f"({busy}); gave up after waiting {wait:g} s.")
        time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
    try:
        yield
    finally:
        with _held_lock:
            entry = _held[lock_id]
            entry[1] -= 1
            if entry[1] == 0:
                del _held[lock_id]
                entry[0]()


def _enter(lock_id: str, acquire: Callable[[], Callable[[], None] | None]) -> bool:
    with _held_lock:
        if lock_id in _held:
            _held[lock_id][1] += 1
            return True
        release = acquire()
        if release is None:
            return False
        _held[lock_id] = [release, 1]
        return True


def _try_advisory(url: str, what: str) -> Callable[[], None] | None:
    from ..store import locks

    conn = locks.try_advisory_lock(url, what)
    return None if conn is None else functools.partial(locks.release, conn)


def _try_flock(path: str, what: str) -> Callable[[], None] | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by child processes (PEP 446)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    since = dt.datetime.now().isoformat(timespec="seconds")
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()} : {what}, depuis {since}\n".encode(), 0)

    def release() -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    return release


def _holder(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(200).strip()
    except OSError:
        return ""


class Indexer:
    def __init__(self, services):
        self.services = services
        self.node = services.settings.node_name  # whose entries of the index queue this index drains
        self._lock = threading.Lock()

    def _regions(self) -> dict[str, list[str]]:
        return {s.id: list(s.region) for s in self.services.sources}

    def _pillar_of(self) -> Callable[[str], str | None]:
        return self.services.vocabulary.pillar_of

    def _parts(self, session, regions, pillar_of):
        """The store as ranges for a parallel rebuild, or None when one process does it (few documents, one
        core, an engine without parts, an in-memory database that other processes cannot open)."""
        from ..search.segments import PARALLEL_MIN_DOCS, DocumentParts
        from .parts import store_ranges

        procs = getattr(self.services.engine, "rebuild_parts", 1)
        url = self.services.db.url
        if procs <= 1 or not url or ":memory:" in url or repo.count_searchable(session) < PARALLEL_MIN_DOCS:
            return None
        pillars = {theme: pillar_of(theme) for theme in self.services.vocabulary.themes}
        return DocumentParts(store_ranges(session, procs, url, regions, pillars))

    def drain(self, batch: int = 500) -> int:
        """Index every queued document (or delete it from the index when it is no longer searchable)."""
        done = 0
        engine = self.services.engine
        if engine.needs_rebuild:  # the schema changed (or the index is unreadable): rebuild from the store
            return self.rebuild()
        regions, pillar_of = self._regions(), self._pillar_of()
        with self._lock:
            while True:
                with self.services.db.session() as session:
                    rows, ids = repo.take_index_queue(session, batch, self.node)
                    if not ids:
                        return done
                    docs = repo.documents_by_ids(session, ids)
                    live = [repo.to_index_document(d, regions, pillar_of) for d in docs if d.searchable]
                    gone = set(ids) - {d.id for d in docs if d.searchable}
                    if live:
                        engine.index(live)
                    if gone:
                        engine.delete(gone)
                    repo.clear_index_queue(session, rows)
                    done += len(ids)

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Rebuild the whole index from the store, aside, then swap it in; replay what was queued meanwhile.

        With an engine that writes parts (Whoosh) and enough documents, one process per core reads and indexes
        its own consecutive range of the store (indexing/parts.py, search/segments.py)."""
        regions, pillar_of = self._regions(), self._pillar_of()
        engine = self.services.engine
        with self._lock:
            with self.services.db.session() as session:
                parts = self._parts(session, regions, pillar_of)
                if parts is not None:
                    count = engine.rebuild(parts, progress=progress)
                else:

                    def documents():
                        for n, doc in enumerate(repo.searchable_documents(session), 1):
                            if progress and n % 100 == 0:
                                progress(n)
                            yield repo.to_index_document(doc, regions, pillar_of)

                    count = engine.rebuild(documents())
        self.drain()
        return count
